"""Tokenizer rebuilding: the GGUF's byte-level BPE vocabulary, merges and special tokens as a
Hugging Face tokenizer.json plus tokenizer_config.json (with the chat template)."""

from __future__ import annotations

import json

from ..pretokenizers import LLAMA3_SPLIT, QWEN_SPLIT
from .reader import GGUFImportError, metadata

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


def tokenizer_files(reader, warnings: list[str]) -> dict[str, bytes]:
    from tokenizers import (
        AddedToken,
        Regex,
        Tokenizer,
        decoders,
        models,
        pre_tokenizers,
        processors,
    )

    kind = metadata(reader, "tokenizer.ggml.model")
    if kind != "gpt2":
        raise GGUFImportError(
            f"unsupported tokenizer model {kind!r}; supported: gpt2 (byte-level BPE)"
        )
    tokens = metadata(reader, "tokenizer.ggml.tokens")
    merges = metadata(reader, "tokenizer.ggml.merges") or []
    types = metadata(reader, "tokenizer.ggml.token_type") or [1] * len(tokens)
    if not tokens or len(types) != len(tokens):
        raise GGUFImportError("tokenizer metadata is missing or inconsistent")
    added = {i for i, t in enumerate(types) if t in (_TOKEN_CONTROL, _TOKEN_USER_DEFINED)}
    vocab = {t: i for i, t in enumerate(tokens)}
    pairs = [tuple(m.split(" ", 1)) for m in merges]
    tok = Tokenizer(models.BPE(vocab=vocab, merges=pairs, fuse_unk=False, byte_fallback=False))
    pre = metadata(reader, "tokenizer.ggml.pre", "default")
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
        v = metadata(reader, key)
        return tokens[int(v)] if v is not None and 0 <= int(v) < len(tokens) else None

    bos, eos = token_at("tokenizer.ggml.bos_token_id"), token_at("tokenizer.ggml.eos_token_id")
    add_bos = bool(metadata(reader, "tokenizer.ggml.add_bos_token", False)) and bos is not None
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
    if (template := metadata(reader, "tokenizer.chat_template")) is not None:
        tok_config["chat_template"] = template
    else:
        warnings.append("no chat template in the GGUF metadata")
    return {
        "tokenizer.json": tok.to_str(pretty=True).encode(),
        "tokenizer_config.json": (json.dumps(tok_config, indent=2) + "\n").encode(),
    }
