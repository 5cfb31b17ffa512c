"""Prefix cache on disk and quantized KV benchmark, on SmolLM2 in one run.

1. A ~3,000-token agent-style prompt (system rules and tool descriptions, then a task): time to first
   token on a fresh sidecar with the model loaded first (cold), then after a full restart of the sidecar
   (model loaded again first) reading its prefix back from the disk cache. Target: restart / cold <= 0.2.
2. kv_bits 8: KV bytes per 1,000 prompt tokens (the sidecar's own prefix-cache accounting) / unquantized,
   target <= 0.55, with the greedy agreement over 256 tokens (shared token prefix / 256) beside it.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).parent))
from sidecar_bench import STARTER, snapshot_of, start_sidecar

TOOLS = ["read_file", "write_file", "list_dir", "grep", "run_tests", "git_diff", "git_commit", "http_get"]


def agent_prompt(tokens_wanted: int, tokenizer) -> list[dict]:
    rules, i = [], 0
    while True:
        tool = TOOLS[i % len(TOOLS)]
        rules.append(f"Rule {i}: before calling {tool} on path src/module_{i}/file_{i}.py, state why, keep edits "
                     f"minimal, and never touch files outside the workspace (case {i * 37 % 101}).")
        i += 1
        if i % 20 == 0:
            text = "You are a coding agent.\n" + "\n".join(rules)
            if len(tokenizer.encode(text)) >= tokens_wanted:
                break
    return [{"role": "system", "content": text},
            {"role": "user", "content": "Which tool do you call first to fix the failing test? One sentence."}]


def ttft(url: str, headers: dict, body: dict) -> tuple[float, dict]:
    t0 = time.perf_counter()
    first, usage = None, None
    with httpx.stream("POST", f"{url}/v1/chat/completions", headers=headers, timeout=3600,
                      json={**body, "stream": True, "stream_options": {"include_usage": True}}) as r:
        r.raise_for_status()
        for line in r.iter_lines():
            if not line.startswith("data: ") or line == "data: [DONE]":
                continue
            chunk = json.loads(line[6:])
            if first is None and chunk.get("choices") and chunk["choices"][0]["delta"].get("content"):
                first = time.perf_counter() - t0
            usage = chunk.get("usage") or usage
    return first, usage


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--cache", required=True)
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    cache = Path(args.cache)
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(str(snapshot_of(cache, STARTER)))
    os.environ["ORCHARD_KV_DIR"] = tempfile.mkdtemp(prefix="orchard-kv-bench-")
    body = {"model": STARTER, "messages": agent_prompt(3000, tok), "max_tokens": 8, "temperature": 0}

    def fresh():
        proc, url, headers = start_sidecar(cache)
        httpx.post(f"{url}/admin/models/load", headers=headers, json={"model": STARTER}, timeout=600).raise_for_status()
        return proc, url, headers

    proc, url, headers = fresh()
    cold, cold_usage = ttft(url, headers, body)
    time.sleep(3)  # the writer thread finishes its blocks (it also drains on shutdown)
    proc.terminate()
    proc.wait()
    proc, url, headers = fresh()
    warm, warm_usage = ttft(url, headers, body)
    print(f"cold ttft {cold:.2f}s, after restart {warm:.2f}s, cached {warm_usage['prompt_tokens_details']}")

    # kv_bits 8: bytes of kept KV per 1,000 tokens, and greedy agreement.
    def kept():
        return httpx.get(f"{url}/admin/memory", headers=headers).json()["prefix_cache_bytes"]

    short = {"model": STARTER, "messages": agent_prompt(1000, tok), "max_tokens": 1, "temperature": 0}
    before = kept()
    r = httpx.post(f"{url}/v1/chat/completions", headers=headers, json={**short, "kv_bits": 8}, timeout=3600).json()
    q8_bytes = kept() - before
    before = kept()
    httpx.post(f"{url}/v1/chat/completions", headers=headers, json={**short, "messages": short["messages"][:1] + [
        {"role": "user", "content": "Which tool do you call first to fix the failing test? One line."}]},
        timeout=3600).json()
    plain_bytes = kept() - before
    n_tokens = r["usage"]["prompt_tokens"]
    story = {"model": STARTER, "max_tokens": 256, "temperature": 0,
             "messages": [{"role": "user", "content": "Write a long story about a lighthouse keeper and a storm."}]}
    plain = httpx.post(f"{url}/v1/chat/completions", headers=headers, json=story, timeout=3600).json()
    q8 = httpx.post(f"{url}/v1/chat/completions", headers=headers, json={**story, "kv_bits": 8}, timeout=3600).json()
    proc.terminate()
    proc.wait()
    a = tok.encode(plain["choices"][0]["message"]["content"])
    b = tok.encode(q8["choices"][0]["message"]["content"])
    shared = next((i for i, (x, y) in enumerate(zip(a, b, strict=False)) if x != y), min(len(a), len(b)))
    result = {
        "model": STARTER,
        "prompt_tokens": cold_usage["prompt_tokens"],
        "cold_ttft_s": cold, "restart_ttft_s": warm,
        "restart_cached_tokens": warm_usage["prompt_tokens_details"]["cached_tokens"],
        "kv_bytes_per_1000_tokens": {"plain": plain_bytes * 1000 / n_tokens, "kv_bits_8": q8_bytes * 1000 / n_tokens},
        "greedy_agreement_256": {"shared_prefix_tokens": shared, "of": 256},
        "ratios": {"restart_ttft_vs_cold": warm / cold, "kv_bits_8_bytes_vs_plain": q8_bytes / plain_bytes,
                   "kv_bits_8_greedy_agreement_256": shared / 256},
        "targets": {"restart_ttft_vs_cold": {"max": 0.2}, "kv_bits_8_bytes_vs_plain": {"max": 0.55}},
    }
    Path(args.out).write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result["ratios"], indent=2))


if __name__ == "__main__":
    main()
