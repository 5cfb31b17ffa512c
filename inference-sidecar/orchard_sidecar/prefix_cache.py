"""KV caches of finished sequences, kept so a new prompt that shares a prefix skips recomputing it.

Chat templates repeat their preamble and multi-turn chats resend the whole history; on a slow
prefill (MLX's CPU backend) that recomputation dominates. MLX thread only.
"""

from __future__ import annotations

from mlx_lm.models.cache import (
    LRUPromptCache,
    can_trim_prompt_cache,
    make_prompt_cache,
    trim_prompt_cache,
)

# Bytes of KV cache kept across all models; the memory pool drops them before unloading a model.
DEFAULT_PREFIX_CACHE_BYTES = 512 * 1024 * 1024
# Sequences kept per model: enough for a few concurrent conversations.
MAX_SEQUENCES_PER_MODEL = 32


class PrefixCaches:
    """One LRU prompt cache per loaded model under a shared byte budget (0 disables)."""

    def __init__(self, budget_bytes: int = DEFAULT_PREFIX_CACHE_BYTES) -> None:
        self.configured = self.budget = max(0, budget_bytes)
        self._by_model: dict[int, LRUPromptCache] = {}
        self._trimmable: dict[int, bool] = {}

    @property
    def nbytes(self) -> int:
        return sum(c.nbytes for c in list(self._by_model.values()))

    def fit_memory_limit(self, limit: int) -> None:
        """Never let kept caches take more than a quarter of the memory limit: models come first."""
        self.budget = min(self.configured, max(0, limit // 4))
        for store in list(self._by_model.values()):
            self._trim(store)

    def fetch(self, lm, prompt: list[int], kv: tuple[int, int] | None = None) -> tuple[list | None, list[int]]:
        """(cache to start from or None, tokens still to compute) for a pool.LoadedModel and KV setting
        (kv_quant.kv_spec): never an empty remainder, since the generator needs at least one token to
        produce the first logits."""
        store = self._by_model.get(id(lm))
        if store is None or not prompt:
            return None, prompt
        cache, rest = store.fetch_nearest_cache(_key(lm, kv), prompt)
        if cache is None:
            return None, prompt
        if not rest:
            if not self._can_trim(lm):
                return None, prompt
            trim_prompt_cache(cache, 1)
            rest = prompt[-1:]
        return cache, rest

    def store(self, lm, tokens: list[int], cache: list | None) -> None:
        if self.budget == 0 or not cache or not tokens:
            return
        key = id(lm)
        store = self._by_model.get(key)
        if store is None:
            store = self._by_model[key] = LRUPromptCache(max_size=MAX_SEQUENCES_PER_MODEL)
        # A quantized cache is kept apart: only a request with the same kv_bits may start from it.
        layer = cache[0]
        kv = (layer.bits, layer.group_size) if hasattr(layer, "bits") else None
        store.insert_cache(_key(lm, kv), list(tokens), cache)
        self._trim(store)

    def _trim(self, store: LRUPromptCache) -> None:
        """Evict from `store` (least recently used first) until all models' caches fit the budget."""
        store.trim_to(n_bytes=self.budget - (self.nbytes - store.nbytes))

    def drop(self, lm=None) -> int:
        """Forget one model's caches (unload) or every model's (memory pressure); returns bytes freed."""
        keys = list(self._by_model) if lm is None else [id(lm)]
        freed = 0
        for key in keys:
            store = self._by_model.pop(key, None)
            self._trimmable.pop(key, None)
            if store is not None:
                freed += store.nbytes
        return freed

    def _can_trim(self, lm) -> bool:
        key = id(lm)
        if key not in self._trimmable:
            self._trimmable[key] = can_trim_prompt_cache(make_prompt_cache(lm.model))
        return self._trimmable[key]


def _key(lm, kv: tuple[int, int] | None):
    return id(lm) if kv is None else (id(lm), *kv)
