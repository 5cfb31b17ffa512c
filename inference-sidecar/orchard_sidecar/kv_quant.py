"""Quantized KV caches that batch (per-request `kv_bits` 4 or 8), and which models can have them.

mlx-lm's QuantizedKVCache has no batched form, so its BatchGenerator cannot merge it; this module adds
one, left-padded like BatchKVCache. Sequences with different kv_bits never share a batch (the engine
keeps one generator per model and setting). MLX thread only, except `kv_spec` (pure reads).
"""

from __future__ import annotations

import weakref

import mlx.core as mx
from mlx.utils import tree_map
from mlx_lm.models.base import create_causal_mask
from mlx_lm.models.cache import (
    KVCache,
    QuantizedKVCache,
    _BaseCache,
    dynamic_roll,
    make_prompt_cache,
)

from .errors import bad_request

KV_BITS = (4, 8)
# Largest first: fewer scales and biases per value. MLX quantizes in groups of 32, 64 or 128.
_GROUP_SIZES = (64, 32)

_plain: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def plain_kv(lm) -> bool:
    """True when every layer of the model keeps a plain KV cache (no sliding window or recurrent
    state): the only caches that can be quantized, and cut into blocks for the disk cache."""
    known = _plain.get(lm)
    if known is None:
        known = _plain[lm] = all(type(c) is KVCache for c in make_prompt_cache(lm.model))
    return known


def head_dim(model) -> int | None:
    args = getattr(model, "args", None)
    dim = getattr(args, "head_dim", None)
    if isinstance(dim, int) and dim > 0:
        return dim
    hidden, heads = getattr(args, "hidden_size", None), getattr(args, "num_attention_heads", None)
    if isinstance(hidden, int) and isinstance(heads, int) and heads > 0:
        return hidden // heads
    return None


def kv_spec(lm, bits: int | None) -> tuple[int, int] | None:
    """(bits, group size) for a request's kv_bits, or a 400 naming why this model cannot have it."""
    if bits is None:
        return None
    if bits not in KV_BITS:
        raise bad_request(f"kv_bits must be 4 or 8, not {bits}.", "kv_bits")
    if not plain_kv(lm):
        raise bad_request(f"kv_bits is not available for {lm.name}: its layers keep a sliding-window or "
                          "recurrent cache, which has no quantized batched form.", "kv_bits")
    dim = head_dim(lm.model)
    group = next((g for g in _GROUP_SIZES if dim and dim % g == 0), None)
    if group is None:
        raise bad_request(f"kv_bits is not available for {lm.name}: its attention head dimension ({dim}) is "
                          "not a multiple of 32, the smallest group MLX quantizes.", "kv_bits")
    return bits, group


def new_cache(lm, spec: tuple[int, int]) -> list:
    bits, group = spec
    return [QuantizedKV(group_size=group, bits=bits) for _ in make_prompt_cache(lm.model)]


class QuantizedKV(QuantizedKVCache):
    """One sequence's quantized cache that BatchGenerator can merge into a batch."""

    def size(self) -> int:
        return self.offset

    @classmethod
    def merge(cls, caches: list[QuantizedKV]) -> BatchQuantizedKV:
        return BatchQuantizedKV.merge(caches)


def _slice(parts, stop: int, start: int = 0):
    return tuple(x[..., start:stop, :] for x in parts)


class BatchQuantizedKV(_BaseCache):
    """BatchKVCache's layout (left padding, a shared write index) with keys and values held as
    (packed, scales, biases) triples; attention takes the quantized path because of `bits`."""

    step = 256

    def __init__(self, left_padding: list[int], group_size: int, bits: int):
        self.keys = None
        self.values = None
        self.left_padding = mx.array(left_padding)
        self.offset = mx.array([-p for p in left_padding])
        self._idx = 0
        self._right_padding = None
        self.group_size = group_size
        self.bits = bits

    def _zeros(self, batch: int, heads: int, length: int, dim: int, dtype):
        per_word = 32 // self.bits
        groups = dim // self.group_size
        return (mx.zeros((batch, heads, length, dim // per_word), mx.uint32),
                mx.zeros((batch, heads, length, groups), dtype), mx.zeros((batch, heads, length, groups), dtype))

    def update_and_fetch(self, keys, values):
        prev = self._idx
        batch, heads, steps, dk = keys.shape
        if self.keys is None or prev + steps > self.keys[0].shape[2]:
            grow = (self.step + steps - 1) // self.step * self.step
            new_k = self._zeros(batch, heads, grow, dk, keys.dtype)
            new_v = self._zeros(batch, heads, grow, values.shape[3], values.dtype)
            if self.keys is None:
                self.keys, self.values = new_k, new_v
            else:
                if prev % self.step != 0:
                    self.keys, self.values = _slice(self.keys, prev), _slice(self.values, prev)
                self.keys = tuple(mx.concatenate([a, b], axis=2) for a, b in zip(self.keys, new_k, strict=True))
                self.values = tuple(mx.concatenate([a, b], axis=2) for a, b in zip(self.values, new_v, strict=True))
        self.offset = self.offset + steps
        self._idx += steps
        qk = mx.quantize(keys, group_size=self.group_size, bits=self.bits)
        qv = mx.quantize(values, group_size=self.group_size, bits=self.bits)
        for i in range(len(self.keys)):
            self.keys[i][..., prev:self._idx, :] = qk[i]
            self.values[i][..., prev:self._idx, :] = qv[i]
        return self.keys_and_values()

    def keys_and_values(self):
        return _slice(self.keys, self._idx), _slice(self.values, self._idx)

    def prepare(self, *, left_padding=None, lengths=None, right_padding=None):
        if left_padding is not None:
            if self.keys is not None:
                raise ValueError("Left padding can only be added to an empty cache")
            left_padding = mx.array(left_padding)
            self.left_padding += left_padding
            self.offset = self.offset - left_padding
        if right_padding is not None and max(right_padding) > 0:
            self._right_padding = mx.array(right_padding)

    def finalize(self):
        if self._right_padding is not None:
            padding = self._right_padding
            self.keys, self.values = tree_map(lambda x: dynamic_roll(x, padding[:, None], axis=2),
                                              (self.keys, self.values))
            self.offset = self.offset - padding
            self.left_padding += padding
            self._right_padding = None

    @property
    def state(self):
        return self.keys, self.values, self.offset, self.left_padding

    def is_trimmable(self):
        return True

    def trim(self, n):
        n = min(self._idx, n)
        self._idx -= n
        self.offset = self.offset - n
        return n

    def make_mask(self, N: int, return_array: bool = False, **kwargs):
        return create_causal_mask(N, offset=self._idx, left_padding=self.left_padding, **kwargs)

    def filter(self, batch_indices):
        if self.keys is not None:
            self.keys, self.values = tree_map(lambda x: x[batch_indices], (self.keys, self.values))
        self.offset = self.offset[batch_indices]
        self.left_padding = self.left_padding[batch_indices]
        shift = min(self.left_padding.tolist())
        if shift > 0:
            if self.keys is not None:
                self.keys = _slice(self.keys, self.keys[0].shape[2], shift)
                self.values = _slice(self.values, self.values[0].shape[2], shift)
            self._idx -= shift
            self.left_padding -= shift

    def extend(self, other: BatchQuantizedKV):
        if self.keys is None and other.keys is None:
            self.left_padding = mx.concatenate([self.left_padding, other.left_padding])
            self.offset = mx.concatenate([self.offset, other.offset])
            return
        top = max(self._idx, other._idx)
        size = max(c.keys[0].shape[2] for c in (self, other) if c.keys is not None)
        like = self if self.keys is not None else other

        def padded(c: BatchQuantizedKV):
            if c.keys is None:
                rows = c.offset.shape[0]
                k = tuple(mx.zeros((rows, x.shape[1], 0, x.shape[3]), x.dtype) for x in like.keys)
                v = tuple(mx.zeros((rows, x.shape[1], 0, x.shape[3]), x.dtype) for x in like.values)
            else:
                k, v = c.keys, c.values
            left = top - c._idx
            right = size - k[0].shape[2] - left
            if right < 0:
                k, v = _slice(k, right), _slice(v, right)
                right = 0
            if left or right:
                pad = [(0, 0), (0, 0), (left, right), (0, 0)]
                k, v = tuple(mx.pad(x, pad) for x in k), tuple(mx.pad(x, pad) for x in v)
            return k, v, c.offset, c.left_padding + left

        (k1, v1, o1, l1), (k2, v2, o2, l2) = padded(self), padded(other)
        self.keys = tuple(mx.concatenate([a, b]) for a, b in zip(k1, k2, strict=True))
        self.values = tuple(mx.concatenate([a, b]) for a, b in zip(v1, v2, strict=True))
        self.offset = mx.concatenate([o1, o2])
        self.left_padding = mx.concatenate([l1, l2])
        self._idx = top

    def extract(self, idx: int) -> QuantizedKV:
        cache = QuantizedKV(group_size=self.group_size, bits=self.bits)
        mx.eval(self.left_padding)
        pad = self.left_padding.tolist()[idx]
        cache.keys = tuple(mx.contiguous(x[idx:idx + 1, :, pad:self._idx]) for x in self.keys)
        cache.values = tuple(mx.contiguous(x[idx:idx + 1, :, pad:self._idx]) for x in self.values)
        cache.offset = cache.keys[0].shape[2]
        return cache

    @classmethod
    def merge(cls, caches: list[QuantizedKV]) -> BatchQuantizedKV:
        group, bits = caches[0].group_size, caches[0].bits
        lengths = [c.size() for c in caches]
        longest = max(lengths)
        if longest == 0:
            return cls([0] * len(caches), group, bits)
        padding = [longest - n for n in lengths]
        full = next(c for c in caches if c.keys is not None)

        def blank(parts):
            return tuple(mx.zeros((len(caches), x.shape[1], longest, x.shape[3]), x.dtype) for x in parts)

        keys, values = blank(full.keys), blank(full.values)
        for i, (p, c) in enumerate(zip(padding, caches, strict=True)):
            if c.keys is None or c.offset == 0:
                continue
            for dst, src in ((keys, c.keys), (values, c.values)):
                for d, s in zip(dst, src, strict=True):
                    d[i:i + 1, :, p:p + c.offset] = s[..., :c.offset, :]
        cache = cls(padding, group, bits)
        cache.keys, cache.values = keys, values
        cache.offset += longest
        cache._idx = longest
        return cache

    def size(self):
        return self._idx

    def empty(self):
        return self.keys is None

    @property
    def nbytes(self):
        if self.keys is None:
            return 0
        return sum(x.nbytes for x in (*self.keys, *self.values))
