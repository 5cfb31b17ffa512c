"""Sidecar benchmarks: decode and prefill speed against in-process mlx-lm and mlx_lm.server, in one run.

Every figure is a ratio against a reference measured in the same run on the same model and prompts, so the
machine's speed cancels out. Results go to a JSON file that bench/run.mjs turns into a table.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx

STARTER = "HuggingFaceTB/SmolLM2-135M-Instruct"
DECODE_PROMPT = "Write a long story about a lighthouse keeper who finds a map. Use many details."
PROMPTS = [
    "Write a long story about a lighthouse keeper who finds a map.",
    "Describe, step by step, how bread is baked in a village bakery.",
    "Explain how tides work to a curious child, at length.",
    "Write a long letter from a sailor to his sister about the sea.",
    "Describe a busy market in a port town in the morning.",
    "Tell the history of a fictional mountain kingdom.",
    "Explain how a bicycle works, part by part.",
    "Write a travel diary of a week on a small island.",
]


def snapshot_of(cache: Path, repo_id: str) -> Path:
    repo = cache / ("models--" + repo_id.replace("/", "--"))
    ref = (repo / "refs" / "main").read_text().strip()
    return repo / "snapshots" / ref


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_sidecar(cache: Path) -> tuple[subprocess.Popen, str, dict]:
    secret = secrets.token_hex(16)
    env = {**os.environ, "ORCHARD_SIDECAR_SECRET": secret, "HF_HUB_CACHE": str(cache)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "orchard_sidecar", "--host", "127.0.0.1", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env=env,
        text=True,
    )
    assert proc.stdout is not None
    for line in proc.stdout:
        try:
            event = json.loads(line)
        except ValueError:
            continue
        if event.get("event") == "ready":
            # Keep draining stdout so the sidecar never blocks on a full pipe.
            threading.Thread(target=lambda: [None for _ in proc.stdout], daemon=True).start()
            return proc, f"http://127.0.0.1:{event['port']}", {"Authorization": f"Bearer {secret}"}
    raise RuntimeError("the sidecar exited before it was ready")


def start_mlx_server(model_path: Path, preload: str | None = None) -> tuple[subprocess.Popen, str, dict]:
    port = free_port()
    env = {**os.environ, "LD_PRELOAD": preload} if preload else None
    proc = subprocess.Popen(
        [sys.executable, "-m", "mlx_lm.server", "--model", str(model_path), "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=env,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.time() + 120
    while time.time() < deadline:
        try:
            if httpx.get(base + "/v1/models", timeout=1).status_code == 200:
                return proc, base, {}
        except httpx.HTTPError:
            time.sleep(0.3)
    proc.kill()
    raise RuntimeError("mlx_lm.server did not come up within 120 s")


async def stream_chat(client: httpx.AsyncClient, base: str, headers: dict, model: str, prompt: str,
                      max_tokens: int) -> dict:
    # A fresh question per request: both servers keep a prefix KV cache, so a repeated prompt would skip
    # prefill entirely; distinct questions behind the chat template's shared preamble are what chats send.
    body = {
        "model": model,
        "messages": [{"role": "user", "content": f"[{secrets.token_hex(4)}] {prompt}"}],
        "max_tokens": max_tokens,
        "temperature": 0,
        "stream": True,
        "stream_options": {"include_usage": True},
    }
    t0 = time.perf_counter()
    first = last = None
    usage = None
    chunks = 0
    async with client.stream("POST", base + "/v1/chat/completions", json=body, headers=headers) as r:
        r.raise_for_status()
        async for line in r.aiter_lines():
            if not line.startswith("data: ") or line == "data: [DONE]":
                continue
            data = json.loads(line[6:])
            if data.get("usage"):
                usage = data["usage"]
            for choice in data.get("choices") or []:
                if (choice.get("delta") or {}).get("content"):
                    now = time.perf_counter()
                    first = first or now
                    last = now
                    chunks += 1
    end = time.perf_counter()
    tokens = usage["completion_tokens"] if usage else chunks
    prompt_tokens = usage["prompt_tokens"] if usage else None
    return {"t0": t0, "first": first, "last": last, "end": end, "tokens": tokens, "prompt_tokens": prompt_tokens}


def decode_tps(r: dict) -> float:
    return (r["tokens"] - 1) / (r["last"] - r["first"])


async def measure_once(client: httpx.AsyncClient, server: tuple, metric: str, max_tokens: int) -> float:
    """One sample of one metric on one server: tokens per second."""
    base, headers, model = server
    if metric == "single_decode_tps":
        return decode_tps(await stream_chat(client, base, headers, model, DECODE_PROMPT, max_tokens))
    if metric == "prefill_tps":
        r = await stream_chat(client, base, headers, model, " ".join(PROMPTS * 2), 1)
        return r["prompt_tokens"] / (r["end"] - r["t0"])
    n = int(metric.rsplit("_", 1)[1])
    t0 = time.perf_counter()
    rs = await asyncio.gather(
        *(stream_chat(client, base, headers, model, PROMPTS[i % len(PROMPTS)], max_tokens) for i in range(n))
    )
    return sum(r["tokens"] for r in rs) / (time.perf_counter() - t0)


METRICS = ("single_decode_tps", "prefill_tps", "aggregate_tps_1", "aggregate_tps_4", "aggregate_tps_8")


async def bench_servers(servers: dict[str, tuple], procs: dict[str, subprocess.Popen], reference, max_tokens: int,
                        repeats: int) -> dict:
    """Every metric on every server, interleaved round by round (the order flips each round), so drift in
    the machine's speed (other work, thermal) lands on all alike; medians over the rounds. Servers not being
    measured are paused (SIGSTOP): an idle mlx_lm.server polls and would take CPU from the one measured."""
    samples: dict = {name: {m: [] for m in METRICS} for name in servers}
    samples["stream_generate"] = {"single_decode_tps": []}
    async with httpx.AsyncClient(timeout=600) as client:
        for base, headers, model in servers.values():
            await stream_chat(client, base, headers, model, "Hello", 8)  # warm-up: load and compile
        base, headers, model = servers["sidecar"]
        memory = (await client.get(base + "/admin/memory", headers=headers)).json()
        held = next(m for m in memory["models"] if m["id"] == model)
        for proc in procs.values():
            proc.send_signal(signal.SIGSTOP)
        # The in-process reference runs with every server paused.
        names = list(servers)
        for rnd in range(repeats):
            for proc in procs.values():
                proc.send_signal(signal.SIGSTOP)
            samples["stream_generate"]["single_decode_tps"].append(reference())
            for metric in METRICS:
                for name in names if rnd % 2 == 0 else names[::-1]:
                    for other, proc in procs.items():
                        proc.send_signal(signal.SIGCONT if other == name else signal.SIGSTOP)
                    value = await measure_once(client, servers[name], metric, max_tokens)
                    samples[name][metric].append(value)
                    print(f"bench:   round {rnd + 1} {name} {metric} {value:.2f}", flush=True)
        for proc in procs.values():
            proc.send_signal(signal.SIGCONT)
    out = {name: {m: statistics.median(v) for m, v in by.items()} for name, by in samples.items()}
    # How the sidecar held the weights (float32 on MLX's CPU backend when it fits) and what that measured.
    out["sidecar"].update(weights=held.get("weights"), footprint_bytes=held["footprint_bytes"])
    return out


def in_process_decode(model_path: Path, max_tokens: int):
    """A function giving one sample of mlx_lm.stream_generate's decode rate in this process."""
    from mlx_lm import load, stream_generate

    model, tokenizer = load(str(model_path))
    prompt = tokenizer.apply_chat_template(
        [{"role": "user", "content": DECODE_PROMPT}], add_generation_prompt=True, tokenize=False
    )
    list(stream_generate(model, tokenizer, prompt, max_tokens=8))

    def sample() -> float:
        times = [time.perf_counter() for _ in stream_generate(model, tokenizer, prompt, max_tokens=max_tokens)]
        return (len(times) - 1) / (times[-1] - times[0])

    return sample


def memory_read_bandwidth() -> float:
    """Bytes per second the MLX device reads when summing a 1 GiB array: the roof for decode speed."""
    import mlx.core as mx

    a = mx.ones((256 * 1024 * 1024,), dtype=mx.float32)
    mx.eval(a)
    mx.eval(a.sum())
    rates = []
    for _ in range(5):
        t0 = time.perf_counter()
        mx.eval(a.sum())
        rates.append(a.nbytes / (time.perf_counter() - t0))
    del a
    return max(rates)


def sidecar_blas() -> str | None:
    """The BLAS library the sidecar binds under MLX on this machine (None on macOS or when absent)."""
    code = "import orchard_sidecar.cpu_blas as b; print(b.loaded or '')"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    return out or None


def weights_bytes(model_path: Path) -> int:
    return sum(p.stat().st_size for p in model_path.glob("*.safetensors"))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--cache", type=Path, required=True)
    ap.add_argument("--model", default=STARTER)
    ap.add_argument("--max-tokens", type=int, default=24)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--out", type=Path, required=True)
    args = ap.parse_args()
    model_path = snapshot_of(args.cache, args.model)

    print(f"bench: model {args.model} at {model_path}", flush=True)
    bandwidth = memory_read_bandwidth()
    print(f"bench: memory read bandwidth {bandwidth / 1e9:.2f} GB/s", flush=True)
    reference = in_process_decode(model_path, args.max_tokens)

    results: dict = {"model": args.model, "max_tokens": args.max_tokens, "repeats": args.repeats}
    procs: dict[str, subprocess.Popen] = {}
    try:
        procs["sidecar"], base, headers = start_sidecar(args.cache)
        servers = {"sidecar": (base, headers, args.model)}
        procs["mlx_lm_server"], base, headers = start_mlx_server(model_path)
        servers["mlx_lm_server"] = (base, headers, "default_model")
        blas = sidecar_blas()
        if blas:
            # Context, not a target: the same server with the BLAS the sidecar binds, to show what the engine
            # adds beyond it (mlx_lm.server keeps quantized weights, whose CPU matmul does not use BLAS).
            procs["mlx_lm_server_openblas"], base, headers = start_mlx_server(model_path, preload=blas)
            servers["mlx_lm_server_openblas"] = (base, headers, "default_model")
        results.update(asyncio.run(bench_servers(servers, procs, reference, args.max_tokens, args.repeats)))
    finally:
        for proc in procs.values():
            proc.send_signal(signal.SIGCONT)
            proc.terminate()
            proc.wait(timeout=30)
    for name in servers:
        print(f"bench: {name} {json.dumps(results[name])}", flush=True)

    sc, srv, ref = results["sidecar"], results["mlx_lm_server"], results.pop("stream_generate")
    wbytes = weights_bytes(model_path)
    results["reference"] = {"stream_generate": ref, "memory_read_bandwidth_Bps": bandwidth, "weights_bytes": wbytes}
    results["ratios"] = {
        "decode_vs_stream_generate": sc["single_decode_tps"] / ref["single_decode_tps"],
        "decode_vs_mlx_lm_server": sc["single_decode_tps"] / srv["single_decode_tps"],
        "prefill_vs_mlx_lm_server": sc["prefill_tps"] / srv["prefill_tps"],
        **{f"aggregate_{n}_vs_mlx_lm_server": sc[f"aggregate_tps_{n}"] / srv[f"aggregate_tps_{n}"] for n in (1, 4, 8)},
        # Bytes the sidecar's decode reads per token are its weights as held, not as stored on disk.
        "decode_bandwidth_fraction": sc["footprint_bytes"] * sc["single_decode_tps"] / bandwidth,
    }
    if "mlx_lm_server_openblas" in results:
        ob = results["mlx_lm_server_openblas"]
        results["ratios"].update(
            {f"aggregate_{n}_vs_mlx_lm_server_openblas": sc[f"aggregate_tps_{n}"] / ob[f"aggregate_tps_{n}"]
             for n in (1, 4, 8)}
        )
    results["targets"] = {
        "decode_vs_stream_generate": 0.95,
        "aggregate_1_vs_mlx_lm_server": 1.0,
        "aggregate_4_vs_mlx_lm_server": 1.0,
        "aggregate_8_vs_mlx_lm_server": 1.0,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2) + "\n")
    print(f"bench: wrote {args.out}", flush=True)


if __name__ == "__main__":
    main()
