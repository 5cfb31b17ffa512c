"""Loads models on demand from the event loop: one load per model however many ask at once.

Per-model settings from an explicit load are remembered and reused by later just-in-time loads.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from pathlib import Path

from . import registry
from .engine import Engine
from .log import log
from .pool import LoadedModel, LoadOptions, Pool

TTL_CHECK_SECONDS = 1.0


class ModelManager:
    def __init__(self, engine: Engine, pool: Pool, cache_dir: Path):
        self.engine = engine
        self.pool = pool
        self.cache_dir = cache_dir
        self._inflight: dict[str, asyncio.Future] = {}
        self._settings: dict[str, LoadOptions] = {}
        self._reaper: asyncio.Task | None = None

    async def acquire(self, name: str) -> LoadedModel:
        """The loaded model for a request (loading it just in time), marked as in use."""
        lm = self.pool.models.get(name)
        if lm is None:
            lm = await self._load_once(name, self._settings.get(name, LoadOptions()))
        lm.users += 1
        lm.touch()
        return lm

    @staticmethod
    def release(lm: LoadedModel) -> None:
        lm.users -= 1
        lm.touch()

    async def load(self, name: str, options: LoadOptions) -> LoadedModel:
        self._settings[name] = options
        await self._load_once(name, options)
        # Apply the options even if another caller's load was already under way.
        disk = registry.resolve(name, self.cache_dir)
        return await self.engine.call(self.pool.load, disk, options)

    def loading(self) -> list[str]:
        """Names whose load is under way (as requested: a repo id or a path)."""
        return sorted(self._inflight)

    async def unload(self, name: str) -> bool:
        return await self.engine.call(self.pool.unload, name)

    async def _load_once(self, name: str, options: LoadOptions) -> LoadedModel:
        fut = self._inflight.get(name)
        if fut is None:
            disk = registry.resolve(name, self.cache_dir)
            fut = asyncio.ensure_future(self.engine.call(self.pool.load, disk, options))
            self._inflight[name] = fut
            fut.add_done_callback(lambda _: self._inflight.pop(name, None))
        # shield: one caller going away must not cancel the load the others wait for.
        return await asyncio.shield(fut)

    def start_reaper(self) -> None:
        self._reaper = asyncio.create_task(self._reap())

    async def stop_reaper(self) -> None:
        if self._reaper:
            self._reaper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reaper

    async def _reap(self) -> None:
        while True:
            await asyncio.sleep(TTL_CHECK_SECONDS)
            now = time.monotonic()
            for lm in self.pool.snapshot():
                ttl = lm.options.ttl_seconds
                if ttl is not None and lm.users == 0 and now - lm.last_used >= ttl:
                    try:
                        await self.engine.call(self.pool.unload_if_idle, lm.name, ttl)
                    except Exception as e:  # the reaper must outlive one failed unload
                        log("ttl_unload_failed", level="error", model=lm.name, error=repr(e))
