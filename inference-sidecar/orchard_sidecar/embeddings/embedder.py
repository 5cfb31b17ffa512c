"""A loaded embedding model: tokenizer, MLX encoder and the folder's pooling, turning inputs into vectors.

Runs on the MLX thread. Inputs are embedded in batches of similar length (less padding; on the CPU device a
bounded share of it), so one call with many inputs costs a few forward passes, and every vector is the one that
input gets alone.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import mlx.core as mx
import mlx.nn as nn
import numpy as np
from mlx.utils import tree_flatten
from tokenizers import Tokenizer

from . import sentence_config
from .bert import BertConfig, BertModel
from .sentence_config import SentenceConfig

# Inputs per forward pass, and the padded tokens a pass may hold (long inputs go in smaller batches).
BATCH_SIZE = 64
BATCH_TOKENS = 16384
# On the CPU device every padded token costs as much as a real one (no idle parallel units to fill), so there a
# batch pads at most this share beyond its real tokens: one long input no longer pads 63 short ones to its length.
CPU_MAX_PADDING = 0.25


class EmbeddingLoadError(ValueError):
    """The folder is an embedding model this sidecar cannot run; the message says why."""


@dataclass(frozen=True)
class Special:
    prefix: list[int]  # what the tokenizer's template puts before a text ([CLS])
    suffix: list[int]  # and after it ([SEP])


def _tokenizer(folder: Path) -> Tokenizer:
    if (folder / "tokenizer.json").is_file():
        tok = Tokenizer.from_file(str(folder / "tokenizer.json"))
    elif (folder / "vocab.txt").is_file():
        from tokenizers.implementations import BertWordPieceTokenizer

        cfg = _read_json(folder / "tokenizer_config.json")
        tok = BertWordPieceTokenizer(str(folder / "vocab.txt"), lowercase=cfg.get("do_lower_case", True))._tokenizer
    else:
        raise EmbeddingLoadError(f"{folder} has neither tokenizer.json nor vocab.txt")
    # Padding and truncation are ours (per batch, at the model's max_tokens), not the file's.
    tok.no_padding()
    tok.no_truncation()
    return tok


def _read_json(path: Path) -> dict:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _special(tok: Tokenizer) -> Special:
    """The template's special tokens, found around a one-word text (works for any post-processor)."""
    whole = tok.encode("a").ids
    word = tok.encode("a", add_special_tokens=False).ids
    for i in range(len(whole) - len(word) + 1):
        if whole[i : i + len(word)] == word:
            return Special(whole[:i], whole[i + len(word) :])
    return Special([], [])


class Embedder:
    def __init__(self, folder: Path, config: dict, model: BertModel, tokenizer: Tokenizer, sentence: SentenceConfig):
        self.folder = folder
        self.config = config
        self.model = model
        self.tokenizer = tokenizer
        self.sentence = sentence
        self.special = _special(tokenizer)
        self.pad_id = int(config.get("pad_token_id") or 0)

    @property
    def dimensions(self) -> int:
        return self.sentence.dimensions

    @property
    def vocab_size(self) -> int:
        return self.model.config.vocab_size

    # ---- inputs -> token ids (any thread) --------------------------------------------------
    def tokenize(self, texts: list[str]) -> list[list[int]]:
        return [e.ids for e in self.tokenizer.encode_batch(texts)] if texts else []

    def wrap(self, ids: list[int]) -> list[int]:
        """Token ids a client sent, framed like a tokenized text unless they already are."""
        pre, post = self.special.prefix, self.special.suffix
        framed = ids[: len(pre)] == pre and (not post or ids[-len(post) :] == post) and len(ids) >= len(pre) + len(post)
        return list(ids) if framed else [*pre, *ids, *post]

    def fit(self, ids: list[int]) -> list[int]:
        """Cut to max_tokens keeping the closing special tokens, as sentence-transformers truncates."""
        limit = self.sentence.max_tokens
        if len(ids) <= limit:
            return ids
        post = self.special.suffix
        return ids[: limit - len(post)] + post if post and ids[-len(post) :] == post else ids[:limit]

    # ---- token ids -> vectors (MLX thread) ------------------------------------------------
    def embed(self, sequences: list[list[int]]) -> np.ndarray:
        """One float32 row per sequence (already fitted), in input order."""
        out = np.zeros((len(sequences), self.dimensions), dtype=np.float32)
        order = sorted(range(len(sequences)), key=lambda i: len(sequences[i]))
        # Metal keeps its batches as they were: only the CPU device bounds the padding.
        padding = CPU_MAX_PADDING if mx.default_device().type == mx.cpu else None
        start = 0
        while start < len(order):
            end = start + 1
            real = len(sequences[order[start]])
            # Sorted by length: the last one in a batch sets its padded width.
            while end < len(order) and end - start < BATCH_SIZE:
                width = len(sequences[order[end]])
                padded = (end - start + 1) * width
                too_wide = padding is not None and padded > (1 + padding) * (real + width)
                if padded > BATCH_TOKENS or too_wide:
                    break
                real += width
                end += 1
            rows = order[start:end]
            out[rows] = self._forward([sequences[i] for i in rows])
            start = end
        return out

    def _forward(self, batch: list[list[int]]) -> np.ndarray:
        width = max(len(s) for s in batch)
        ids = np.full((len(batch), width), self.pad_id, dtype=np.int32)
        mask = np.zeros((len(batch), width), dtype=np.int32)
        for i, s in enumerate(batch):
            ids[i, : len(s)] = s
            mask[i, : len(s)] = 1
        m = mx.array(mask)
        hidden = self.model(mx.array(ids), m).astype(mx.float32)
        vectors = pool(hidden, m, self.sentence.pooling)
        if self.sentence.normalize:
            vectors = vectors / mx.maximum(mx.linalg.norm(vectors, axis=-1, keepdims=True), 1e-12)
        return np.array(vectors, dtype=np.float32)


def pool(hidden: mx.array, mask: mx.array, mode: str) -> mx.array:
    """sentence-transformers' Pooling over right-padded hidden states."""
    m = mask.astype(hidden.dtype)[..., None]
    lengths = mx.maximum(m.sum(axis=1), 1e-9)
    if mode == "cls":
        return hidden[:, 0]
    if mode == "max":
        return mx.where(m > 0, hidden, -1e9).max(axis=1)
    if mode == "lasttoken":
        last = mask.sum(axis=1).astype(mx.int32) - 1
        return mx.take_along_axis(hidden, last[:, None, None], axis=1)[:, 0]
    summed = (hidden * m).sum(axis=1)
    return summed / (mx.sqrt(lengths) if mode == "mean_sqrt_len" else lengths)


def _quantize_like(model: BertModel, config: dict, weights: dict[str, mx.array]) -> None:
    """A quantized checkpoint (MLX's `quantization` block, as mlx-embeddings writes it): the layers whose
    weights carry scales become quantized layers of the same bits and group size before loading."""
    q = config.get("quantization")
    if not isinstance(q, dict) or not isinstance(q.get("bits"), int):
        return
    nn.quantize(model, group_size=int(q.get("group_size") or 64), bits=q["bits"], mode=q.get("mode") or "affine",
                class_predicate=lambda path, _module: f"{path}.scales" in weights)


def load(folder: Path) -> tuple[Embedder, Tokenizer, dict]:
    """(embedder, tokenizer, config) for the folder, weights evaluated; EmbeddingLoadError if unsupported."""
    config = _read_json(folder / "config.json")
    arch = config.get("model_type")
    if arch not in sentence_config.SUPPORTED_TYPES:
        raise EmbeddingLoadError(
            f"'{folder.name}' is an embedding model of architecture '{arch}', which Orchard cannot run yet "
            f"(supported: {', '.join(sentence_config.SUPPORTED_TYPES)})")
    try:
        model = BertModel(BertConfig.from_dict(config))
    except TypeError as e:
        raise EmbeddingLoadError(f"config.json of '{folder.name}' lacks a BERT field: {e}") from None
    weights: dict[str, mx.array] = {}
    for file in sorted(folder.glob("*.safetensors")):
        weights.update(mx.load(str(file)))
    weights = BertModel.sanitize(weights)
    _quantize_like(model, config, weights)
    expected = {k for k, _ in tree_flatten(model.parameters())}
    missing = sorted(expected - weights.keys())
    if missing:
        raise EmbeddingLoadError(f"the weights of '{folder.name}' lack {len(missing)} tensors, e.g. {missing[0]}")
    model.load_weights(list(weights.items()), strict=True)
    model.eval()
    mx.eval(model.parameters())
    tokenizer = _tokenizer(folder)
    return Embedder(folder, config, model, tokenizer, sentence_config.read(folder, config)), tokenizer, config
