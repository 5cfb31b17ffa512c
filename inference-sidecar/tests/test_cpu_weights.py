"""Weights on MLX's CPU backend: OpenBLAS bound under MLX on Linux, quantized layers held as float32
when they fit, the same logits and the same greedy text as the stored weights."""

from __future__ import annotations

import sys

import mlx.core as mx
import mlx.nn as nn
import pytest
from mlx_lm import load

from orchard_sidecar import cpu_blas, cpu_weights

on_linux_cpu = sys.platform == "linux" and mx.default_device().type == mx.cpu


@pytest.mark.skipif(not on_linux_cpu, reason="the BLAS swap is for MLX's Linux CPU backend")
def test_openblas_is_bound_under_mlx():
    # The bootstrap installs it for tests; its absence must fail, not pass quietly.
    assert cpu_blas.loaded, "OpenBLAS was not found: run `npm run setup -- --for test` as root, or install it"
    import ctypes

    # libmlx resolves cblas_sgemm in the global scope, where the preloaded library now comes first.
    assert hasattr(ctypes.CDLL(None), "cblas_sgemm")


def quantized_layers(model) -> int:
    return sum(isinstance(m, (nn.QuantizedLinear, nn.QuantizedEmbedding)) for _, m in model.named_modules())


@pytest.fixture(scope="module")
def starter_path(starter_repo, fixture_cache):
    ref = (fixture_cache / f"models--{starter_repo.replace('/', '--')}" / "refs" / "main").read_text().strip()
    return fixture_cache / f"models--{starter_repo.replace('/', '--')}" / "snapshots" / ref


def test_policy_keeps_stored_weights_when_asked_or_short_of_memory(starter_path):
    model, _ = load(str(starter_path))
    before = quantized_layers(model)
    assert before > 0
    assert cpu_weights.place(model, cpu_weights.AS_STORED, 1 << 40) == cpu_weights.AS_STORED
    assert cpu_weights.place(model, cpu_weights.AUTO, cpu_weights.float32_growth(model) - 1) == cpu_weights.AS_STORED
    assert quantized_layers(model) == before


@pytest.mark.skipif(not on_linux_cpu, reason="float32 weights are only chosen on the CPU backend")
def test_float32_weights_give_the_same_logits(starter_path):
    model, tokenizer = load(str(starter_path))
    tokens = mx.array([tokenizer.encode("The capital of France is")])
    stored = model(tokens)[0, -1].astype(mx.float32)
    mx.eval(stored)
    grow = cpu_weights.float32_growth(model)
    assert cpu_weights.place(model, cpu_weights.AUTO, grow) == "float32"
    assert quantized_layers(model) == 0
    dense = model(tokens)[0, -1].astype(mx.float32)
    assert mx.argmax(dense).item() == mx.argmax(stored).item()
    assert mx.abs(dense - stored).max().item() < 1e-2 * mx.abs(stored).max().item()


@pytest.mark.skipif(not on_linux_cpu, reason="float32 weights are only chosen on the CPU backend")
def test_sidecar_serves_float32_weights_with_the_same_answers(make_sidecar, sidecar, starter_repo):
    stored = make_sidecar(["--cpu-weights", "as-stored"])
    for q in ("What is the capital of France?", "Name three colors."):
        body = {"model": starter_repo, "messages": [{"role": "user", "content": q}], "temperature": 0,
                "max_tokens": 16}
        a = sidecar.client.post("/v1/chat/completions", json=body).json()
        b = stored.client.post("/v1/chat/completions", json=body).json()
        assert a["choices"][0]["message"]["content"] == b["choices"][0]["message"]["content"], q
    views = {s: {m["id"]: m for m in s.client.get("/admin/memory").json()["models"]} for s in (sidecar, stored)}
    dense, kept = views[sidecar][starter_repo], views[stored][starter_repo]
    assert (dense["weights"], kept["weights"]) == ("float32", "as-stored")
    # Measured, not estimated: an 8-bit model held as float32 takes about four times the memory.
    assert dense["footprint_bytes"] > 3 * kept["footprint_bytes"]
