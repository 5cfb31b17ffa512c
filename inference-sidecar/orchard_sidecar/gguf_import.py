"""Imports a GGUF file as an MLX model (config, tokenizer, safetensors) into the HF cache.

MLX reads GGUF natively; this maps tensor names and metadata to mlx-lm's layout, atomically.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import mlx.core as mx

from .hf_cache import repo_dir, repo_folder_name, staging_dir, write_repo
from .pretokenizers import LLAMA3_SPLIT, QWEN_SPLIT

SUPPORTED_ARCHITECTURES = ("llama", "qwen2")
# Types MLX loads natively: the three block quantizations arrive as MLX affine-quantized
# tensors (group size 32), the float types as arrays.
SUPPORTED_TYPES = ("F32", "F16", "BF16", "Q4_0", "Q4_1", "Q8_0")
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
# Pre-tokenizer split patterns by tokenizer.ggml.pre; None means GPT-2's built-in pattern.
_PRE_SPLITS = {
    "qwen2": QWEN_SPLIT,
    "llama-bpe": LLAMA3_SPLIT,
    "llama3": LLAMA3_SPLIT,
    "gpt2": None,
    "smollm": None,
    "default": None,
}
_TOKEN_CONTROL, _TOKEN_USER_DEFINED = 3, 4


class GGUFImportError(ValueError):
    """The GGUF file cannot be imported; the message says why. Nothing was written."""


@dataclass
class ImportResult:
    repo_id: str
    path: Path
    revision: str
    architecture: str
    quantization: dict | None
    tensor_types: dict[str, int]
    seconds: float
    warnings: list[str] = field(default_factory=list)


# ---------- reading and checking the file ----------


def _read_header(src: Path):
    """Parse the GGUF header with the gguf package; any parse failure is a corrupt file."""
    import gguf

    try:
        reader = gguf.GGUFReader(src)
    except Exception as e:  # the reader raises many types on bad input
        raise GGUFImportError(
            f"{src.name} is not a readable GGUF file (truncated or corrupt): {e}"
        ) from e
    size = src.stat().st_size
    for t in reader.tensors:
        if t.data_offset + t.n_bytes > size:
            raise GGUFImportError(
                f"{src.name} is truncated: tensor {t.name} ends past the end of the file"
            )
    return reader


def _field(reader, key: str, default=None):
    f = reader.fields.get(key)
    if f is None:
        return default
    try:
        return f.contents()
    except Exception as e:
        raise GGUFImportError(f"metadata {key} is corrupt: {e}") from e


def _check_supported(reader) -> tuple[str, Counter]:
    arch = _field(reader, "general.architecture")
    if arch not in SUPPORTED_ARCHITECTURES:
        raise GGUFImportError(
            f"unsupported architecture {arch!r}; supported: {', '.join(SUPPORTED_ARCHITECTURES)}"
        )
    types = Counter(t.tensor_type.name for t in reader.tensors)
    bad = sorted(set(types) - set(SUPPORTED_TYPES))
    if bad:
        raise GGUFImportError(
            f"unsupported quantization type(s) {', '.join(bad)}; supported: {', '.join(SUPPORTED_TYPES)}"
        )
    if any(t.name == "rope_freqs.weight" for t in reader.tensors):
        raise GGUFImportError(
            "rope frequency tables (rope_freqs, Llama 3.1 scaling) are not supported"
        )
    return arch, types


# ---------- config ----------


def _config(reader, arch: str, names: set[str]) -> dict:
    def meta(key, default=None):
        return _field(reader, f"{arch}.{key}", default)

    tokens = _field(reader, "tokenizer.ggml.tokens") or []
    hidden = int(meta("embedding_length"))
    heads = int(meta("attention.head_count"))
    kv_heads = int(meta("attention.head_count_kv", heads))
    head_dim = int(meta("attention.key_length", hidden // heads))
    rope_dim = int(meta("rope.dimension_count", head_dim))
    if rope_dim != head_dim:
        raise GGUFImportError(
            f"partial rotary embeddings ({rope_dim} of {head_dim}) are not supported"
        )
    config = {
        "architectures": ["LlamaForCausalLM" if arch == "llama" else "Qwen2ForCausalLM"],
        "model_type": arch,
        "hidden_size": hidden,
        "intermediate_size": int(meta("feed_forward_length")),
        "num_hidden_layers": int(meta("block_count")),
        "num_attention_heads": heads,
        "num_key_value_heads": kv_heads,
        "head_dim": head_dim,
        # Metadata floats are float32; print them as their shortest float32 form.
        "rms_norm_eps": float(f"{float(meta('attention.layer_norm_rms_epsilon', 1e-6)):.7g}"),
        "rope_theta": float(f"{float(meta('rope.freq_base', 10000.0)):.7g}"),
        "max_position_embeddings": int(meta("context_length", 4096)),
        "vocab_size": int(meta("vocab_size", len(tokens))),
        "tie_word_embeddings": "output.weight" not in names,
    }
    scaling = meta("rope.scaling.type")
    if scaling == "linear":
        config["rope_scaling"] = {"type": "linear", "factor": float(meta("rope.scaling.factor"))}
    elif scaling not in (None, "none"):
        raise GGUFImportError(f"rope scaling {scaling!r} is not supported")
    for key, cfg_key in (
        ("tokenizer.ggml.bos_token_id", "bos_token_id"),
        ("tokenizer.ggml.eos_token_id", "eos_token_id"),
    ):
        if (v := _field(reader, key)) is not None:
            config[cfg_key] = int(v)
    return config


# ---------- tensors ----------


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


_DTYPES = {"float16": mx.float16, "bfloat16": mx.bfloat16, "float32": mx.float32}


def resolve_dtype(dtype: str = "auto") -> str:
    """`auto` is float16 on a GPU and float32 on MLX's CPU backend, whose float16 and
    quantized-float16 kernels are an order of magnitude slower than float32 ones."""
    if dtype == "auto":
        return "float32" if mx.default_device().type == mx.DeviceType.cpu else "float16"
    if dtype not in _DTYPES:
        raise GGUFImportError(f"unsupported dtype {dtype!r}; supported: auto, {', '.join(_DTYPES)}")
    return dtype


def _convert_tensors(weights: dict, config: dict) -> tuple[dict, dict | None]:
    out = {}
    target = _DTYPES[config["torch_dtype"]]
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


# ---------- tokenizer ----------


def _tokenizer_files(reader, warnings: list[str]) -> dict[str, bytes]:
    from tokenizers import (
        AddedToken,
        Regex,
        Tokenizer,
        decoders,
        models,
        pre_tokenizers,
        processors,
    )

    kind = _field(reader, "tokenizer.ggml.model")
    if kind != "gpt2":
        raise GGUFImportError(
            f"unsupported tokenizer model {kind!r}; supported: gpt2 (byte-level BPE)"
        )
    tokens = _field(reader, "tokenizer.ggml.tokens")
    merges = _field(reader, "tokenizer.ggml.merges") or []
    types = _field(reader, "tokenizer.ggml.token_type") or [1] * len(tokens)
    if not tokens or len(types) != len(tokens):
        raise GGUFImportError("tokenizer metadata is missing or inconsistent")
    added = {i for i, t in enumerate(types) if t in (_TOKEN_CONTROL, _TOKEN_USER_DEFINED)}
    vocab = {t: i for i, t in enumerate(tokens)}
    pairs = [tuple(m.split(" ", 1)) for m in merges]
    tok = Tokenizer(models.BPE(vocab=vocab, merges=pairs, fuse_unk=False, byte_fallback=False))
    pre = _field(reader, "tokenizer.ggml.pre", "default")
    if pre not in _PRE_SPLITS:
        warnings.append(f"unknown pre-tokenizer {pre!r}; using GPT-2's split pattern")
    split = _PRE_SPLITS.get(pre)
    if split is None:
        tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)
    else:
        tok.pre_tokenizer = pre_tokenizers.Sequence(
            [
                pre_tokenizers.Split(Regex(split), behavior="isolated", invert=False),
                pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False),
            ]
        )
    tok.decoder = decoders.ByteLevel()
    tok.add_tokens(
        [
            AddedToken(tokens[i], special=types[i] == _TOKEN_CONTROL, normalized=False)
            for i in sorted(added)
        ]
    )

    def token_at(key):
        v = _field(reader, key)
        return tokens[int(v)] if v is not None and 0 <= int(v) < len(tokens) else None

    bos, eos = token_at("tokenizer.ggml.bos_token_id"), token_at("tokenizer.ggml.eos_token_id")
    add_bos = bool(_field(reader, "tokenizer.ggml.add_bos_token", False)) and bos is not None
    if add_bos:
        tok.post_processor = processors.TemplateProcessing(
            single=f"{bos}:0 $A:0",
            pair=f"{bos}:0 $A:0 {bos}:1 $B:1",
            special_tokens=[(bos, vocab[bos])],
        )
    else:
        tok.post_processor = processors.ByteLevel(trim_offsets=False)
    tok_config = {
        "tokenizer_class": "PreTrainedTokenizerFast",
        "bos_token": bos,
        "eos_token": eos,
        "unk_token": token_at("tokenizer.ggml.unknown_token_id"),
        "pad_token": token_at("tokenizer.ggml.padding_token_id"),
        "add_bos_token": add_bos,
        "clean_up_tokenization_spaces": False,
    }
    if (template := _field(reader, "tokenizer.chat_template")) is not None:
        tok_config["chat_template"] = template
    else:
        warnings.append("no chat template in the GGUF metadata")
    return {
        "tokenizer.json": tok.to_str(pretty=True).encode(),
        "tokenizer_config.json": (json.dumps(tok_config, indent=2) + "\n").encode(),
    }


# ---------- the import ----------


def import_gguf(
    src_path: str | os.PathLike,
    cache_dir: str | os.PathLike,
    repo_id: str,
    *,
    dtype: str = "auto",
    log=None,
) -> ImportResult:
    """Import `src_path` as `repo_id` into the HF cache at `cache_dir`.

    `dtype` is the float type of scales, norms and unquantized tensors (see resolve_dtype).
    Raises GGUFImportError (a ValueError) for anything it cannot import; nothing is left behind.
    """
    started = time.perf_counter()
    say = log or (lambda _line: None)
    src = Path(src_path)
    try:
        repo_folder_name(repo_id)
    except ValueError as e:
        raise GGUFImportError(str(e)) from e
    if not src.is_file():
        raise GGUFImportError(f"{src} does not exist or is not a file")
    cache = Path(cache_dir)
    if repo_dir(cache, repo_id).exists():
        raise GGUFImportError(f"{repo_id} already exists in {cache}; remove it first to re-import")

    reader = _read_header(src)
    arch, types = _check_supported(reader)
    names = {t.name for t in reader.tensors}
    config = _config(reader, arch, names)
    config["torch_dtype"] = resolve_dtype(dtype)
    warnings: list[str] = []
    files: dict[str, bytes | Path] = _tokenizer_files(reader, warnings)
    del reader  # release the memory map before MLX reads the file
    say(f"reading {src.name} ({arch}, {dict(types)})")
    try:
        weights = mx.load(str(src))
    except Exception as e:
        raise GGUFImportError(f"MLX could not read {src.name}: {e}") from e
    weights, quant = _convert_tensors(weights, config)
    if quant is not None:
        config["quantization"] = quant
        config["quantization_config"] = quant
    _check_shapes(weights, config)

    cache.mkdir(parents=True, exist_ok=True)
    stage = staging_dir(cache)
    try:
        st = stage / "model.safetensors"
        mx.save_safetensors(str(st), weights, metadata={"format": "mlx"})
        files["model.safetensors"] = st
        files["config.json"] = (json.dumps(config, indent=2) + "\n").encode()
        say(f"writing {repo_id}")
        try:
            snap = write_repo(cache, repo_id, files)
        except FileExistsError as e:
            raise GGUFImportError(f"{repo_id} already exists in {cache}") from e
    finally:
        shutil.rmtree(stage, ignore_errors=True)
    return ImportResult(
        repo_id=repo_id,
        path=snap,
        revision=snap.name,
        architecture=arch,
        quantization=quant,
        tensor_types=dict(types),
        seconds=time.perf_counter() - started,
        warnings=warnings,
    )


def _check_shapes(weights: dict, config: dict) -> None:
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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m orchard_sidecar.gguf_import",
        description="Import a GGUF file as an MLX model into a Hugging Face cache.",
    )
    parser.add_argument("src", help="path to the .gguf file")
    parser.add_argument("--cache", required=True, help="HF hub cache folder (like $HF_HUB_CACHE)")
    parser.add_argument("--repo-id", required=True, help="name to import under, as org/name")
    parser.add_argument(
        "--dtype",
        default="auto",
        choices=["auto", *_DTYPES],
        help="float type for scales and unquantized tensors (auto: by device)",
    )
    args = parser.parse_args(argv)
    try:
        result = import_gguf(
            args.src,
            args.cache,
            args.repo_id,
            dtype=args.dtype,
            log=lambda line: print(line, flush=True),
        )
    except GGUFImportError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    for w in result.warnings:
        print(f"warning: {w}")
    q = result.quantization
    kind = f"{q['bits']}-bit" if q else "unquantized"
    print(
        f"imported {result.repo_id} -> {result.path} ({result.architecture}, {kind}, {result.seconds:.1f}s)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())


__all__ = [
    "GGUFImportError",
    "ImportResult",
    "SUPPORTED_ARCHITECTURES",
    "SUPPORTED_TYPES",
    "import_gguf",
]
