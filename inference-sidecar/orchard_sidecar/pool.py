"""The memory pool: which models are loaded, what each one costs, and who gets evicted.

Every method that touches MLX runs on the engine's MLX thread (through Engine.call).
"""

from __future__ import annotations

import gc
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import mlx.core as mx
import mlx_lm

from . import cpu_weights
from .errors import insufficient_memory
from .log import log
from .registry import DiskModel

DEFAULT_MAX_MODELS = 4
# The window assumed for a model whose config names none, so max_tokens is bounded for every model.
FALLBACK_CONTEXT_WINDOW = 32768
_WINDOW_KEYS = ("max_position_embeddings", "n_positions", "max_sequence_length", "seq_length",
                "n_ctx")


@dataclass
class LoadOptions:
    pin: bool = False
    ttl_seconds: float | None = None
    context_length: int | None = None
    # From the model's profile: stop strings merged into every request's, tool-call format override.
    stop: list[str] | None = None
    tool_format: str | None = None


@dataclass(eq=False)
class LoadedModel:
    name: str
    disk: DiskModel
    model: Any
    tokenizer: Any
    footprint: int  # active memory after the load minus before it
    vocab_size: int
    options: LoadOptions
    loaded_at: float = field(default_factory=time.time)
    last_used: float = field(default_factory=time.monotonic)
    users: int = 0  # requests holding it (set on the event loop); busy models are never evicted
    weights: str = cpu_weights.AS_STORED  # or "float32": dequantized for the CPU backend
    loaded: bool = True
    window: int = FALLBACK_CONTEXT_WINDOW  # positions its config declares (see context_window)

    def touch(self) -> None:
        self.last_used = time.monotonic()


def context_window(config: dict) -> int:
    """The longest sequence the model's config says it handles (its own or its text model's)."""
    for scope in (config, config.get("text_config") or {}):
        for key in _WINDOW_KEYS:
            value = scope.get(key) if isinstance(scope, dict) else None
            if isinstance(value, int) and not isinstance(value, bool) and value > 0:
                return value
    return FALLBACK_CONTEXT_WINDOW


def plan_eviction(
    loaded: list[LoadedModel], name: str, need: int, limit: int, active: int, max_models: int
) -> list[LoadedModel]:
    """Least recently used idle unpinned models to unload so `need` bytes fit; raise if impossible."""
    evictable = sorted((m for m in loaded if not m.options.pin and m.users == 0), key=lambda m: m.last_used)
    free = limit - active
    count = len(loaded)
    victims: list[LoadedModel] = []
    while (need > free or count >= max_models) and evictable:
        victim = evictable.pop(0)
        victims.append(victim)
        free += victim.footprint
        count -= 1
    held = ", ".join(
        f"{m.name} ({m.footprint} bytes, {'pinned' if m.options.pin else 'busy'})"
        for m in loaded
        if m not in victims
    )
    if need > free:
        raise insufficient_memory(
            f"Cannot load '{name}': it needs about {need} bytes but only {max(free, 0)} bytes are free "
            f"under the {limit}-byte memory limit, even after unloading every idle unpinned model. "
            f"Still held: {held or 'nothing'}."
        )
    if count >= max_models:
        raise insufficient_memory(
            f"Cannot load '{name}': {count} models are loaded (max_models={max_models}) and none "
            f"can be unloaded. Still held: {held}."
        )
    return victims


class Pool:
    def __init__(self, engine, limit: int | None = None, max_models: int = DEFAULT_MAX_MODELS,
                 cpu_weights_policy: str = cpu_weights.AUTO):
        self.engine = engine
        self.cpu_weights_policy = cpu_weights_policy
        self.models: dict[str, LoadedModel] = {}
        self.load_counts: Counter[str] = Counter()
        self.max_models = max_models
        self.limit = limit if limit is not None else mx.get_memory_limit()

    # ---- MLX thread ----------------------------------------------------------------------
    def set_limits(self, limit: int | None, max_models: int | None) -> list[str]:
        """Apply new limits and unload what no longer fits right away; returns the evicted names."""
        if limit is not None:
            mx.set_memory_limit(limit)
            self.limit = limit
        self.engine.prefix.fit_memory_limit(self.limit)
        if max_models is not None:
            self.max_models = max_models
        return self.fit()

    def relieve(self) -> int:
        """Drop kept prefix KV caches before any model is unloaded for memory: they are cheaper to lose."""
        freed = self.engine.prefix.drop()
        if freed:
            gc.collect()
            mx.clear_cache()
            log("prefix_cache_dropped", freed_bytes=freed)
        return freed

    def over_limit(self) -> bool:
        return mx.get_active_memory() > self.limit or len(self.models) > self.max_models

    def fit(self) -> list[str]:
        """Unload least recently used idle unpinned models until the limits hold or none is left.

        Measured after each unload rather than planned from footprints: active memory also holds
        caches and scratch that an estimate would miss. Pinned and busy models always stay.
        """
        evicted: list[str] = []
        if self.over_limit():
            self.relieve()
        while self.over_limit():
            idle = [m for m in self.models.values() if not m.options.pin and m.users == 0]
            if not idle:
                break
            victim = min(idle, key=lambda m: m.last_used)
            self.unload(victim.name, reason="limit_lowered")
            evicted.append(victim.name)
        if self.over_limit():
            log(
                "memory_over_limit", level="warning", limit_bytes=self.limit,
                active_bytes=mx.get_active_memory(), max_models=self.max_models,
                loaded=[m.name for m in self.models.values()],
            )
        return evicted

    def load(self, disk: DiskModel, options: LoadOptions) -> LoadedModel:
        current = self.models.get(disk.name)
        if current is not None:
            current.options = options
            current.touch()
            return current
        if disk.size_bytes > self.limit - mx.get_active_memory():
            self.relieve()
        victims = plan_eviction(
            list(self.models.values()), disk.name, disk.size_bytes, self.limit,
            mx.get_active_memory(), self.max_models,
        )
        for victim in victims:
            self.unload(victim.name, reason="evicted")
        gc.collect()
        before = mx.get_active_memory()
        started = time.monotonic()
        model, tokenizer, config = mlx_lm.load(str(disk.path), return_config=True)
        mx.eval(model.parameters())
        # Dense float32 only with room to spare: a tenth of the limit stays free for KV caches.
        free = int(self.limit * 0.9) - mx.get_active_memory()
        weights = cpu_weights.place(model, self.cpu_weights_policy, free)
        if weights != cpu_weights.AS_STORED:
            gc.collect()  # the quantized arrays just replaced, before the footprint is measured
        footprint = mx.get_active_memory() - before
        vocab = config.get("vocab_size") or config.get("text_config", {}).get("vocab_size")
        lm = LoadedModel(disk.name, disk, model, tokenizer, footprint, vocab or len(tokenizer), options,
                         weights=weights, window=context_window(config))
        self.models[disk.name] = lm
        self.load_counts[disk.name] += 1
        log(
            "model_loaded", model=disk.name, footprint_bytes=footprint, estimate_bytes=disk.size_bytes, weights=weights,
            seconds=round(time.monotonic() - started, 3), evicted=[v.name for v in victims],
        )
        return lm

    def unload(self, name: str, reason: str = "requested") -> bool:
        lm = self.models.pop(name, None)
        if lm is None:
            return False
        lm.loaded = False
        self.engine.release(lm)
        lm.model = None  # the tokenizer stays: requests finishing on the event loop may still format
        gc.collect()
        mx.clear_cache()
        log("model_unloaded", model=name, reason=reason, footprint_bytes=lm.footprint)
        return True

    def unload_if_idle(self, name: str, ttl: float) -> bool:
        lm = self.models.get(name)
        if lm is None or lm.users or time.monotonic() - lm.last_used < ttl:
            return False
        return self.unload(name, reason="ttl")

    # ---- any thread (snapshots) -----------------------------------------------------------
    def snapshot(self) -> list[LoadedModel]:
        return list(self.models.values())
