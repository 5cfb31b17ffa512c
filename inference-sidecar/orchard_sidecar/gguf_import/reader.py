"""Reading a GGUF file's header: parse it, refuse what the importer cannot convert, and turn
its metadata into an mlx-lm config.json. The error type of the whole importer lives here too."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

SUPPORTED_ARCHITECTURES = ("llama", "qwen2")
# Types MLX loads natively: the three block quantizations arrive as MLX affine-quantized
# tensors (group size 32), the float types as arrays.
SUPPORTED_TYPES = ("F32", "F16", "BF16", "Q4_0", "Q4_1", "Q8_0")


class GGUFImportError(ValueError):
    """The GGUF file cannot be imported; the message says why. Nothing was written."""


def read_header(src: Path):
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


def metadata(reader, key: str, default=None):
    f = reader.fields.get(key)
    if f is None:
        return default
    try:
        return f.contents()
    except Exception as e:
        raise GGUFImportError(f"metadata {key} is corrupt: {e}") from e


def check_supported(reader) -> tuple[str, Counter]:
    arch = metadata(reader, "general.architecture")
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


def model_config(reader, arch: str, names: set[str]) -> dict:
    def meta(key, default=None):
        return metadata(reader, f"{arch}.{key}", default)

    tokens = metadata(reader, "tokenizer.ggml.tokens") or []
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
        if (v := metadata(reader, key)) is not None:
            config[cfg_key] = int(v)
    return config
