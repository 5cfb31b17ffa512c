"""Embeddings per second for a batch of 256 sentences: the sidecar's MLX embedder (the code /v1/embeddings
runs, with its batching) against the independent NumPy forward pass, on all-MiniLM-L6-v2, in the same run.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

from orchard_fixtures.bert_reference import ReferenceBert
from orchard_fixtures.sentences import sentences
from orchard_sidecar.embedding_starter import install_embedding_starter
from orchard_sidecar.embeddings import load

BATCH = 256


def best_of(fn, repeats: int) -> tuple[float, object]:
    best, out = float("inf"), None
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--cache", type=Path, required=True)
    ap.add_argument("--repeats", type=int, default=2)
    ap.add_argument("--out", type=Path, required=True)
    args = ap.parse_args()
    folder = install_embedding_starter(args.cache, log=lambda line: print(f"bench: {line}", flush=True))
    texts = sentences(BATCH)
    embedder, _, _ = load(folder)
    reference = ReferenceBert(folder)
    mlx_s, got = best_of(lambda: embedder.embed([embedder.fit(s) for s in embedder.tokenize(texts)]), args.repeats)
    ref_s, want = best_of(lambda: reference.embed(texts), 1)
    cos = (got * want).sum(1) / np.linalg.norm(got, axis=1) / np.linalg.norm(want, axis=1)
    results = {
        "model": "sentence-transformers/all-MiniLM-L6-v2",
        "sentences": BATCH,
        "mlx_embeddings_per_second": round(BATCH / mlx_s, 2),
        "numpy_reference_embeddings_per_second": round(BATCH / ref_s, 2),
        "min_cosine_vs_reference": float(cos.min()),
        "ratios": {"embeddings_per_second_vs_numpy_reference": round(ref_s / mlx_s, 3),
                   "min_cosine_vs_reference": round(float(cos.min()), 6)},
        "targets": {"embeddings_per_second_vs_numpy_reference": 1.0, "min_cosine_vs_reference": 0.999},
    }
    print(f"bench: embeddings {json.dumps(results)}", flush=True)
    args.out.write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
