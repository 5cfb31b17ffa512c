"""The prefix cache on disk (kv_store.py) and quantized KV caches (kv_quant.py), over real HTTP.

Fixture models keep these fast: a token-id prompt of several 256-token blocks on random-llama.
"""

from __future__ import annotations

from pathlib import Path

from conftest import chat_body

PROMPT = [(i * 7919) % 300 + 10 for i in range(700)]  # two full blocks and a rest


def _complete(sc, model: str, **kw) -> dict:
    r = sc.client.post("/v1/completions", json={"model": model, "prompt": PROMPT, "max_tokens": 4,
                                                "temperature": 0, **kw})
    assert r.status_code == 200, r.text
    return r.json()


def _warm_disk(make_sidecar, kv_dir: Path, model: str) -> tuple[dict, list[Path]]:
    sc = make_sidecar(["--kv-dir", str(kv_dir)])
    first = _complete(sc, model)
    assert first["usage"]["prompt_tokens_details"]["cached_tokens"] == 0
    sc.wait_events("kv_disk_written", count=2, timeout=30)
    sc.stop()
    return first, sorted(kv_dir.glob("*.kv"))


def test_prefix_read_back_after_restart(make_sidecar, llama, tmp_path):
    model = llama["repo_id"]
    first, files = _warm_disk(make_sidecar, tmp_path, model)
    assert len(files) == 2  # 700 tokens (+ 4 generated): two full blocks of 256
    sc = make_sidecar(["--kv-dir", str(tmp_path), "--kv-disk-bytes", str(10**9)])
    # /admin/memory reports the cache on disk as indexed at the start: both files, under its budget.
    disk = sc.client.get("/admin/memory").json()["disk_prefix_cache"]
    assert disk == {"bytes": sum(f.stat().st_size for f in files), "budget_bytes": 10**9, "entries": 2}
    again = _complete(sc, model)
    assert again["usage"]["prompt_tokens_details"]["cached_tokens"] == 512
    assert again["choices"][0]["text"] == first["choices"][0]["text"]
    assert sc.events("kv_disk_read")[0]["tokens"] == 512


def test_speculative_request_reads_the_prefix_back_after_restart(make_sidecar, llama, tmp_path):
    # Speculative streams run beside the batch; they must find the disk cache all the same.
    model = llama["repo_id"]
    first, _ = _warm_disk(make_sidecar, tmp_path, model)
    sc = make_sidecar(["--kv-dir", str(tmp_path)])
    again = _complete(sc, model, speculative={"method": "prompt_lookup"})
    assert again["usage"]["prompt_tokens_details"]["cached_tokens"] == 512
    assert again["usage"]["orchard"]["speculative"]["applied"] is True
    assert again["choices"][0]["text"] == first["choices"][0]["text"]
    assert sc.events("kv_disk_read")[0]["tokens"] == 512


def test_prefix_read_back_after_an_eviction(make_sidecar, llama, tmp_path):
    model = llama["repo_id"]
    sc = make_sidecar(["--kv-dir", str(tmp_path)])
    first = _complete(sc, model)
    sc.wait_events("kv_disk_written", count=2, timeout=30)
    assert sc.client.post("/admin/models/unload", json={"model": model}).status_code == 200
    again = _complete(sc, model)  # loaded again just in time; its memory cache went with the unload
    assert again["usage"]["prompt_tokens_details"]["cached_tokens"] == 512
    assert again["choices"][0]["text"] == first["choices"][0]["text"]


def test_corrupt_and_foreign_files_are_ignored_and_removed(make_sidecar, llama, tmp_path):
    model = llama["repo_id"]
    first, _ = _warm_disk(make_sidecar, tmp_path, model)
    sc = make_sidecar(["--kv-dir", str(tmp_path)])  # learn which file is the second block
    assert _complete(sc, model)["usage"]["prompt_tokens_details"]["cached_tokens"] == 512
    sc.stop()
    written = sorted(tmp_path.glob("*.kv"), key=lambda p: p.stat().st_mtime)
    second = written[0]  # the deeper block looks older (kv_store: a chain loses its tail first)
    data = bytearray(second.read_bytes())
    data[len(data) // 2] ^= 0xFF
    second.write_bytes(bytes(data))
    foreign = tmp_path / ("0" * 63 + "x.kv")
    foreign.write_bytes(b"not a cache")
    unrelated = tmp_path / "notes.txt"
    unrelated.write_text("left alone")

    sc = make_sidecar(["--kv-dir", str(tmp_path)])
    body = _complete(sc, model)
    assert body["usage"]["prompt_tokens_details"]["cached_tokens"] == 256  # the first block only
    assert body["choices"][0]["text"] == first["choices"][0]["text"]
    reasons = {e["reason"] for e in sc.wait_events("kv_file_rejected", count=2)}
    assert reasons == {"not a block file", "checksum mismatch"}
    assert not foreign.exists() and unrelated.exists()
    sc.wait_events("kv_disk_written", count=1, timeout=30)  # the damaged block written again
    assert second.exists() and second.read_bytes() != bytes(data)
    assert sc.client.get("/health").status_code == 200


def test_kv_bits_validation(sidecar, llama):
    for bad in (3, 16, "8", 0):
        r = sidecar.client.post("/v1/chat/completions", json=chat_body(llama["repo_id"], "hi", kv_bits=bad))
        assert r.status_code == 400, r.text
        assert r.json()["error"]["param"] == "kv_bits"
    r = sidecar.client.post("/v1/messages", json={"model": llama["repo_id"], "max_tokens": 4, "kv_bits": 5,
                                                  "messages": [{"role": "user", "content": "hi"}]})
    assert r.status_code == 400 and r.json()["type"] == "error"
    # random-llama's heads are 16 wide: MLX quantizes groups of 32 at least, so this model cannot.
    r = sidecar.client.post("/v1/chat/completions", json=chat_body(llama["repo_id"], "hi", kv_bits=8))
    assert r.status_code == 400 and "head dimension (16)" in r.json()["error"]["message"]
    assert sidecar.client.get("/health").status_code == 200


def _mlx_lm_greedy(folder: Path, messages: list[dict], **kw) -> str:
    """mlx-lm's own single-stream decoding (its QuantizedKVCache from the first token with kv_bits)."""
    import mlx_lm
    from mlx_lm.generate import generate

    from orchard_sidecar import cpu_weights

    model, tok = mlx_lm.load(str(folder))
    cpu_weights.place(model, cpu_weights.AUTO, 8 << 30)  # as the sidecar holds them
    prompt = tok.apply_chat_template(messages, add_generation_prompt=True)
    return {k: generate(model, tok, prompt, max_tokens=12, **k_kw) for k, k_kw in kw.items()}


def test_kv_bits_greedy_and_memory(make_sidecar, starter_repo, starter):
    """SmolLM2 (heads of 64): 8-bit KV decodes greedily as mlx-lm's own quantized cache does, batched
    or alone, in under 0.55 of the bytes; requests with and without kv_bits share the sidecar at once."""
    import concurrent.futures

    sc = make_sidecar(["--kv-disk-bytes", "0"])
    messages = [{"role": "user", "content": "List the planets of the solar system in order."}]

    def ask(**kw):
        r = sc.client.post("/v1/chat/completions", json={"model": starter_repo, "messages": messages,
                                                         "max_tokens": 24, "temperature": 0, **kw})
        assert r.status_code == 200, r.text
        return r.json()

    def kept() -> int:
        return sc.client.get("/admin/memory").json()["prefix_cache_bytes"]

    plain = ask()
    plain_bytes = kept()
    q8 = ask(kv_bits=8)
    q8_bytes = kept() - plain_bytes
    text, text8 = plain["choices"][0]["message"]["content"], q8["choices"][0]["message"]["content"]
    ref = _mlx_lm_greedy(starter, messages, plain={}, q8={"kv_bits": 8, "quantized_kv_start": 0})
    assert text.startswith(ref["plain"]) and text8.startswith(ref["q8"])
    assert q8_bytes / plain_bytes <= 0.55
    with concurrent.futures.ThreadPoolExecutor(3) as pool:
        both = list(pool.map(lambda kw: ask(**kw), [{"kv_bits": 8}, {}, {"kv_bits": 4}]))
    assert both[0]["choices"][0]["message"]["content"] == text8
    assert both[1]["choices"][0]["message"]["content"] == text
