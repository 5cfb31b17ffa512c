"""Chooses how a loaded model's weights are held on MLX's CPU backend: as stored, or dequantized to float32.

MLX has no fast quantized matmul on the CPU, so with an optimized BLAS float32 GEMM prefills and batched
decodes 10x+ faster; it costs memory (4x an 8-bit model), so it is only done when that fits. Metal: untouched.
"""

from __future__ import annotations

import mlx.core as mx
import mlx.nn as nn
from mlx.utils import tree_unflatten

from . import cpu_blas

AUTO, AS_STORED = "auto", "as-stored"
CHOICES = (AUTO, AS_STORED)


def _quantized_modules(model) -> list[tuple[str, nn.Module]]:
    # Exactly the two plain types: MoE switch layers and others keep their quantized kernels.
    return [(n, m) for n, m in model.named_modules() if type(m) in (nn.QuantizedLinear, nn.QuantizedEmbedding)]


def float32_growth(model) -> int:
    """Bytes the model would grow by if its quantized layers were held as float32."""
    grow = 0
    for _, m in _quantized_modules(model):
        rows, packed = m.weight.shape
        cols = packed * 32 // m.bits
        now = m.weight.nbytes + m.scales.nbytes + (m.biases.nbytes if getattr(m, "biases", None) is not None else 0)
        grow += rows * cols * 4 - now
    return grow


def _dense(m: nn.Module) -> nn.Module:
    w = mx.dequantize(m.weight, m.scales, getattr(m, "biases", None), m.group_size, m.bits,
                      mode=getattr(m, "mode", "affine"), dtype=mx.float32)
    if isinstance(m, nn.QuantizedEmbedding):
        layer = nn.Embedding(w.shape[0], w.shape[1])
        layer.weight = w
        return layer
    has_bias = "bias" in m
    layer = nn.Linear(w.shape[1], w.shape[0], bias=has_bias)
    layer.weight = w
    if has_bias:
        layer.bias = m.bias.astype(mx.float32)
    return layer


def place(model, policy: str, free_bytes: int) -> str:
    """Apply the policy to a freshly loaded model; returns what was done ("float32" or "as-stored")."""
    if policy != AUTO or cpu_blas.loaded is None or mx.default_device().type != mx.cpu:
        return AS_STORED
    layers = _quantized_modules(model)
    if not layers or float32_growth(model) > free_bytes:
        return AS_STORED
    # One layer at a time, so the peak is the model plus one dense layer.
    for name, m in layers:
        dense = _dense(m)
        mx.eval(dense.parameters())
        model.update_modules(tree_unflatten([(name, dense)]))
    return "float32"
