"""Tensor conversion: GGUF tensor names to mlx-lm's, llama's Q/K rows back to HF order, float
types, the quantization config read from packed widths, and a shape check against the model."""

from __future__ import annotations

from collections import Counter

import mlx.core as mx

from .reader import GGUFImportError

GGUF_GROUP_SIZE = 32

_LAYER_NAMES = {
    "attn_q": "self_attn.q_proj",
    "attn_k": "self_attn.k_proj",
    "attn_v": "self_attn.v_proj",
    "attn_output": "self_attn.o_proj",
    "ffn_gate": "mlp.gate_proj",
    "ffn_up": "mlp.up_proj",
    "ffn_down": "mlp.down_proj",
    "attn_norm": "input_layernorm",
    "ffn_norm": "post_attention_layernorm",
}
_TOP_NAMES = {"token_embd": "model.embed_tokens", "output_norm": "model.norm", "output": "lm_head"}


def _unpermute_rows(w: mx.array, n_head: int) -> mx.array:
    """Undo llama.cpp's Q/K row permutation (interleaved rotary pairs back to HF halves).

    Rows are output features, so the same row order applies to weight, scales and biases.
    """
    rows = w.shape[0]
    return w.reshape(n_head, rows // n_head // 2, 2, *w.shape[1:]).swapaxes(1, 2).reshape(w.shape)


def _mlx_name(gguf_name: str) -> str:
    base, _, suffix = gguf_name.rpartition(".")
    if base.startswith("blk."):
        _, layer, part = base.split(".", 2)
        if part not in _LAYER_NAMES:
            raise GGUFImportError(f"unexpected tensor {gguf_name}")
        return f"model.layers.{int(layer)}.{_LAYER_NAMES[part]}.{suffix}"
    if base not in _TOP_NAMES:
        raise GGUFImportError(f"unexpected tensor {gguf_name}")
    return f"{_TOP_NAMES[base]}.{suffix}"


DTYPES = {"float16": mx.float16, "bfloat16": mx.bfloat16, "float32": mx.float32}


def resolve_dtype(dtype: str = "auto") -> str:
    """`auto` is float16 on a GPU and float32 on MLX's CPU backend, whose float16 and
    quantized-float16 kernels are an order of magnitude slower than float32 ones."""
    if dtype == "auto":
        return "float32" if mx.default_device().type == mx.DeviceType.cpu else "float16"
    if dtype not in DTYPES:
        raise GGUFImportError(f"unsupported dtype {dtype!r}; supported: auto, {', '.join(DTYPES)}")
    return dtype


def convert_tensors(weights: dict, config: dict) -> tuple[dict, dict | None]:
    out = {}
    target = DTYPES[config["torch_dtype"]]
    arch = config["model_type"]
    for name, w in weights.items():
        mname = _mlx_name(name)
        if arch == "llama" and (".q_proj." in mname or ".k_proj." in mname):
            heads = (
                config["num_attention_heads"]
                if ".q_proj." in mname
                else config["num_key_value_heads"]
            )
            w = _unpermute_rows(w, heads)
        if mx.issubdtype(w.dtype, mx.floating):
            w = w.astype(target)
        out[mname] = w
    # Bits per quantized module, from packed width: GGUF blocks are always 32 values.
    bits = {}
    for name, w in out.items():
        if name.endswith(".scales"):
            module = name[: -len(".scales")]
            in_dims = w.shape[-1] * GGUF_GROUP_SIZE
            bits[module] = out[f"{module}.weight"].shape[-1] * 32 // in_dims
    if not bits:
        return out, None
    default = Counter(bits.values()).most_common(1)[0][0]
    quant = {"group_size": GGUF_GROUP_SIZE, "bits": default, "mode": "affine"}
    for module, b in sorted(bits.items()):
        if b != default:
            quant[module] = {"group_size": GGUF_GROUP_SIZE, "bits": b, "mode": "affine"}
    return out, quant


def check_shapes(weights: dict, config: dict) -> None:
    """Build the mlx-lm model skeleton and compare names and shapes before writing anything."""
    import importlib

    import mlx.nn as nn
    from mlx.utils import tree_flatten

    module = importlib.import_module(f"mlx_lm.models.{config['model_type']}")
    try:
        model = module.Model(module.ModelArgs.from_dict(config))
        if (q := config.get("quantization")) is not None:
            nn.quantize(
                model,
                group_size=q["group_size"],
                bits=q["bits"],
                class_predicate=lambda p, m: (
                    q.get(p, True)
                    if f"{p}.scales" in weights and hasattr(m, "to_quantized")
                    else False
                ),
            )
        expected = {k: tuple(v.shape) for k, v in tree_flatten(model.parameters())}
    except Exception as e:
        raise GGUFImportError(
            f"metadata does not describe a valid {config['model_type']} model: {e}"
        ) from e
    got = {k: tuple(v.shape) for k, v in weights.items()}
    if config["tie_word_embeddings"]:
        expected.pop("lm_head.weight", None)
    if got.keys() != expected.keys():
        missing, extra = sorted(expected.keys() - got.keys()), sorted(got.keys() - expected.keys())
        raise GGUFImportError(
            f"tensors do not match the architecture (missing {missing[:5]}, extra {extra[:5]})"
        )
    for k, shape in expected.items():
        if got[k] != shape:
            raise GGUFImportError(f"tensor {k} has shape {got[k]}, expected {shape}")
