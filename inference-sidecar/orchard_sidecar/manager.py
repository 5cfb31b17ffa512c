"""Loads models on demand from the event loop: one load per model however many ask at once.

Per-model settings from an explicit load are remembered and reused by later just-in-time loads.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from pathlib import Path

from . import embeddings, registry
from .engine import Engine
from .errors import ApiError, bad_request
from .load_progress import LoadProgress
from .log import log
from .pool import LoadedModel, LoadOptions, Pool

TTL_CHECK_SECONDS = 1.0


class ModelManager:
    def __init__(self, engine: Engine, pool: Pool, cache_dir: Path):
        self.engine = engine
        self.pool = pool
        self.cache_dir = cache_dir
        self._inflight: dict[str, asyncio.Future] = {}
        self._progress: dict[str, LoadProgress] = {}  # same keys as _inflight
        self._settings: dict[str, LoadOptions] = {}
        self._reaper: asyncio.Task | None = None

    async def acquire(self, name: str, purpose: str = "generate") -> LoadedModel:
        """The loaded model for a request (loading it just in time), marked as in use.

        `purpose` ("generate" or "embed") must suit the model's kind, checked from its files before a
        load: a chat request never loads an embedding model only to be refused.
        """
        lm = self.pool.models.get(name)
        embedder = lm.kind == "embeddings" if lm is not None else \
            embeddings.is_embedding_model(registry.resolve(name, self.cache_dir).path)
        if embedder and purpose != "embed":
            raise bad_request(f"'{name}' is an embedding model: it has no text generation. "
                              "Call POST /v1/embeddings with it instead.", "model", "model_not_generative")
        if not embedder and purpose == "embed":
            raise bad_request(f"'{name}' is not an embedding model: it generates text. Use a sentence "
                              "embedding model (such as sentence-transformers/all-MiniLM-L6-v2) for "
                              "/v1/embeddings.", "model", "model_not_embedding")
        if lm is None:
            options = self._settings.get(name, LoadOptions())
            lm = await self._load_once(name, options)
            if options.draft_model and (lm.draft is None or not lm.draft.loaded):
                try:  # loaded again just in time: its draft comes back with it when it can
                    await self._with_draft(lm, options.draft_model)
                except ApiError as e:
                    log("draft_load_failed", level="warning", model=name, draft=options.draft_model,
                        error=e.message)
        lm.users += 1
        lm.touch()
        return lm

    @staticmethod
    def release(lm: LoadedModel) -> None:
        lm.users -= 1
        lm.touch()

    async def load(self, name: str, options: LoadOptions) -> LoadedModel:
        """An explicit load; with options.draft_model the draft is loaded and paired with it too (a 400
        draft_tokenizer_mismatch, and nothing this call loaded left behind, when they do not match)."""
        disk = registry.resolve(name, self.cache_dir)
        if options.draft_model:
            try:  # a draft that is not there refuses the load before the model is read
                registry.resolve(options.draft_model, self.cache_dir)
            except ApiError as e:
                raise ApiError(e.status, f"draft_model: {e.message}", type=e.type, param="draft_model",
                               code=e.code) from None
        was_loaded = disk.name in self.pool.models
        previous = self._settings.get(name)
        self._settings[name] = options
        await self._load_once(name, options)
        # Apply the options even if another caller's load was already under way.
        lm = await self.engine.call(self.pool.load, disk, options)
        if options.draft_model:
            try:
                await self._with_draft(lm, options.draft_model)
            except ApiError:
                if previous is None:
                    self._settings.pop(name, None)
                else:
                    self._settings[name] = previous
                if not was_loaded:
                    await self.engine.call(self.pool.unload, lm.name, "draft_refused")
                raise
        return lm

    async def pair(self, lm: LoadedModel, draft: LoadedModel) -> None:
        """Marks a request's draft as `lm`'s (evicted and unloaded with it); skipped if either went away."""
        with contextlib.suppress(ApiError):
            await self.engine.call(self.pool.attach_draft, lm, draft)

    async def _with_draft(self, lm: LoadedModel, draft_name: str) -> LoadedModel:
        """Loads `draft_name` (unless loaded) and pairs it with `lm`; the draft it loaded is unloaded again
        when the pair is refused. `lm` is held meanwhile so the draft's load cannot evict it."""
        draft = None
        fresh = False
        lm.users += 1
        try:
            draft = self.pool.models.get(registry.resolve(draft_name, self.cache_dir).name)
            fresh = draft is None
            if draft is None:
                draft = await self._load_once(draft_name, LoadOptions())
            await self.engine.call(self.pool.attach_draft, lm, draft)
        except ApiError as e:
            if fresh and draft is not None and not draft.draft_of:
                await self.engine.call(self.pool.unload, draft.name, "draft_refused")
            raise ApiError(e.status, e.message if e.message.startswith("draft_model") else
                           f"draft_model: {e.message}", type=e.type, param="draft_model",
                           code=e.code) from None
        finally:
            lm.users -= 1
        return draft

    def loading(self) -> list[str]:
        """Names whose load is under way (as requested: a repo id or a path)."""
        return sorted(self._inflight)

    def load_progress(self) -> list[dict]:
        """Bytes of weights read so far for each load under way."""
        return [self._progress[name].row() for name in sorted(self._progress)]

    def cancel_load(self, name: str) -> bool:
        """Stops a load under way between two tensors; every caller waiting on it gets load_cancelled."""
        progress = self._progress.get(name)
        if progress is None:
            return False
        progress.cancel.set()
        return True

    async def unload(self, name: str) -> bool:
        return await self.engine.call(self.pool.unload, name)

    async def _load_once(self, name: str, options: LoadOptions) -> LoadedModel:
        fut = self._inflight.get(name)
        if fut is None:
            disk = registry.resolve(name, self.cache_dir)
            progress = self._progress[name] = LoadProgress(name)
            fut = asyncio.ensure_future(self.engine.call(self.pool.load, disk, options, progress))
            self._inflight[name] = fut

            def done(_) -> None:
                self._inflight.pop(name, None)
                self._progress.pop(name, None)

            fut.add_done_callback(done)
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
