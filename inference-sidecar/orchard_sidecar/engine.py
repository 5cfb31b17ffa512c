"""The one thread that owns MLX (MLX streams are thread-local) and its generation loop.

Requests reach it through a queue; each loaded model has one mlx-lm BatchGenerator, so
concurrent requests decode together (continuous batching).

One client must never cost another its answer: an error raised by one sequence's own code
(sampler, logits processors and grammar, detokenizer, stop matcher) fails that sequence alone and
the rest of the batch goes on. Only a failure of the batch itself (the model's forward pass)
fails every sequence in it.
"""

from __future__ import annotations

import asyncio
import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import mlx.core as mx
from mlx_lm.generate import BatchGenerator

from . import kv_quant
from .kv_store import DiskPrefixStore
from .log import log
from .prefix_cache import DEFAULT_PREFIX_CACHE_BYTES, PrefixCaches
from .speculative import SpecRunner, Speculation
from .speculative import applies as speculation_applies
from .vision.runner import VisionRuns

# Sequences decoded together per model, and how many prompts are prefilled in one batch.
COMPLETION_BATCH_SIZE = 32
PREFILL_BATCH_SIZE = 8


class ModelUnloaded(RuntimeError):
    """The model went away (unload, eviction) while a request was using it."""


@dataclass(eq=False)
class Job:
    """One generation. Callbacks run IN THE MLX THREAD and must be quick."""

    model: Any  # pool.LoadedModel
    prompt: list[int]
    max_tokens: int
    sampler: Callable | None  # None = greedy, which lets the batch sample in one call
    logits_processors: list
    on_token: Callable[[int], bool]  # True = stop now (finish_reason "stop")
    on_finish: Callable[[str, BaseException | None], None]  # "stop" | "length" | "cancelled" | "error"
    uid: int | None = None
    cancelled: bool = False
    cached_tokens: int = 0  # prompt tokens whose KV came from the prefix cache (set in the MLX thread)
    fault: BaseException | None = None  # raised by its sampler or a logits processor mid-step
    on_admit: Callable[[], None] | None = None  # in the batch; cached_tokens is known from here on
    kv: tuple[int, int] | None = None  # (bits, group size) of a quantized KV cache (kv_quant.kv_spec)
    disk: Any = None  # kv_store's look-up: None (not yet), False/True (done), or the blocks it read
    speculation: Speculation | None = None  # asked for by the request; see speculative.py for when
    vision: Any = None  # vision.inputs.VisionInputs: a vision model's job, run by VisionRuns


@dataclass(eq=False)
class _Batch:
    generator: BatchGenerator
    jobs: dict[int, Job] = field(default_factory=dict)


class Engine:
    def __init__(self, prefix_cache_bytes: int = DEFAULT_PREFIX_CACHE_BYTES,
                 disk: DiskPrefixStore | None = None) -> None:
        self.prefix = PrefixCaches(prefix_cache_bytes)  # MLX thread only, like the batches
        self.disk = disk or DiskPrefixStore(None)  # the prefix cache on disk (kv_store.py)
        self._inbox: queue.SimpleQueue = queue.SimpleQueue()
        self._batches: dict[int, _Batch] = {}  # id(LoadedModel) -> its batch
        self._thread = threading.Thread(target=self._run, name="mlx", daemon=True)
        self._stopping = False
        self.spec = SpecRunner(self.prefix, self._finish, self._keep_prefix)  # MLX thread only
        self.vision = VisionRuns(_guarded_sampler, _guarded_processor, self._finish)  # MLX thread only

    # ---- any thread -------------------------------------------------------------------
    def start(self) -> None:
        self._thread.start()
        self.disk.start(self.submit)

    def stop(self) -> None:
        self._inbox.put(("stop", None))
        self._thread.join(timeout=10)
        self.disk.stop()

    async def call(self, fn: Callable, *args):
        """Run fn(*args) on the MLX thread and await its result (loads, unloads, imports)."""
        loop = asyncio.get_running_loop()
        fut = loop.create_future()
        self._inbox.put(("call", (fn, args, loop, fut)))
        return await fut

    def submit(self, job: Job) -> None:
        self._inbox.put(("submit", job))

    def cancel(self, job: Job) -> None:
        job.cancelled = True
        self._inbox.put(("cancel", job))

    def slots(self) -> dict:
        # Plain reads of ints/dict sizes; exact enough for status and tests.
        active = sum(len(b.jobs) for b in list(self._batches.values())) + len(self.spec)
        return {"active_sequences": active + self.vision.count(), "queued_commands": self._inbox.qsize()}

    def active_for(self, model) -> int:
        quantized = sum(len(b.jobs) for k, b in list(self._batches.items())
                        if isinstance(k, tuple) and k[0] == id(model))
        batch = self._batches.get(id(model))
        return (len(batch.jobs) if batch else 0) + quantized + self.spec.count_for(model) + self.vision.active_for(model)

    # ---- MLX thread only ----------------------------------------------------------------
    def release(self, model) -> None:
        """Drop a model's generator, failing what still runs on it (called on unload)."""
        self.prefix.drop(model)
        self.vision.release(model, ModelUnloaded("the model was unloaded while this request was running"))
        for job in self.spec.release(model):
            self._finish(job, "error", ModelUnloaded("the model was unloaded while this request was running"))
        for key in [k for k in self._batches if _model_of(k) == id(model)]:  # one batch per kv setting
            batch = self._batches.pop(key)
            for job in batch.jobs.values():
                self._finish(job, "error", ModelUnloaded("the model was unloaded while this request was running"))
            batch.generator.close()

    def _run(self) -> None:
        while True:
            busy = any(b.jobs for b in self._batches.values()) or self.spec.busy or self.vision.busy()
            try:
                cmd = self._inbox.get(block=not busy)
            except queue.Empty:
                cmd = None
            while cmd is not None:
                if not self._handle(*cmd):
                    self._shutdown()
                    return
                try:
                    cmd = self._inbox.get_nowait()
                except queue.Empty:
                    cmd = None
            for key, batch in list(self._batches.items()):
                if batch.jobs:
                    self._step(key, batch)
            if self.spec.busy:
                self.spec.step()
            if self.vision.busy():
                self.vision.step()

    def _handle(self, kind: str, arg) -> bool:
        if kind == "stop":
            return False
        if kind == "call":
            fn, args, loop, fut = arg
            try:
                result, error = fn(*args), None
            except BaseException as e:  # handed to the awaiting coroutine, which decides
                result, error = None, e
            loop.call_soon_threadsafe(_resolve, fut, result, error)
        elif kind == "submit":
            self._insert(arg)
        elif kind == "cancel":
            self._remove(arg)
        return True

    def _insert(self, job: Job) -> None:
        if job.cancelled:
            job.on_finish("cancelled", None)
            return
        if not getattr(job.model, "loaded", False):
            job.on_finish("error", ModelUnloaded("the model was unloaded while this request was running"))
            return
        if job.vision is not None:
            self.vision.add(job)
            return
        try:
            speculative = speculation_applies(job)
            # The prefix from memory, else from disk, for batched and speculative jobs alike.
            cache, rest = self.prefix.fetch(job.model, job.prompt, job.kv)
            if self.disk.defer(job, len(job.prompt) - len(rest)):
                return  # its prefix is read from disk off this thread; the job comes back through the inbox
            cache, rest = self.disk.take(job, cache, rest)
            if speculative:
                self.spec.insert(job, cache, rest)
        except Exception as e:
            self._finish(job, "error", e)
            return
        if speculative:
            self._admitted(job)
            return
        try:
            batch = self._batches.get(_key(job))
            if batch is None:
                gen = BatchGenerator(
                    job.model.model,
                    stop_tokens=None,  # the request's TextPipeline decides every stop
                    completion_batch_size=COMPLETION_BATCH_SIZE,
                    prefill_batch_size=PREFILL_BATCH_SIZE,
                )
                batch = self._batches[_key(job)] = _Batch(gen)
            if cache is None and job.kv is not None:
                cache = kv_quant.new_cache(job.model, job.kv)
            done = len(job.prompt) - len(rest)
            (uid,) = batch.generator.insert(
                [rest],
                max_tokens=[job.max_tokens],
                caches=[cache],
                all_tokens=[job.prompt[:done]],
                samplers=[_guarded_sampler(job)],
                logits_processors=[[_guarded_processor(job, p) for p in job.logits_processors]],
            )
        except Exception as e:
            self._finish(job, "error", e)
            return
        job.uid = uid
        job.cached_tokens = done
        batch.jobs[uid] = job
        self._admitted(job)

    def _admitted(self, job: Job) -> None:
        if job.on_admit is not None:
            try:
                job.on_admit()
            except Exception as e:  # a notification only; the job goes on
                log("admit_callback_failed", level="error", error=repr(e))

    def _remove(self, job: Job) -> None:
        if job.vision is not None:
            self.vision.remove(job)
            return
        if self.spec.remove(job):
            job.on_finish("cancelled", None)
            return
        batch = self._batches.get(_key(job))
        if batch is None or job.uid not in batch.jobs:
            return  # already finished
        batch.generator.remove([job.uid])
        del batch.jobs[job.uid]
        job.on_finish("cancelled", None)

    def _step(self, key: int, batch: _Batch) -> None:
        try:
            _, responses = batch.generator.next()
        except Exception as e:
            # A failed step leaves the batch's caches in an unknown state: fail its jobs and
            # start a fresh generator on the next request.
            log("generation_failed", level="error", error=repr(e), sequences=len(batch.jobs))
            for job in batch.jobs.values():
                self._finish(job, "error", e)
            self._batches.pop(key, None)
            return
        # Sequences whose own sampler or processors raised in this step: their next token is a
        # stand-in, so they end here; the others' rows were computed exactly as without them.
        faulted = [job for job in batch.jobs.values() if job.fault is not None]
        if faulted:
            batch.generator.remove([job.uid for job in faulted])
            for job in faulted:
                del batch.jobs[job.uid]
                log("sequence_failed", level="error", error=type(job.fault).__name__,
                    others=len(batch.jobs))
                self._finish(job, "error", job.fault)
        stopped = []
        finished = {}  # uid -> model of sequences our text layer stopped cleanly (their KV is kept)
        for r in responses:
            job = batch.jobs.get(r.uid)
            if job is None:
                continue
            try:
                stop = job.on_token(r.token)
            except Exception as e:  # its detokenizer, stop matcher or text parsers
                if r.finish_reason is None:
                    stopped.append(r.uid)
                del batch.jobs[r.uid]
                log("sequence_failed", level="error", error=type(e).__name__, others=len(batch.jobs))
                self._finish(job, "error", e)
                continue
            if not stop and r.finish_reason is None:
                continue
            if r.finish_reason is None:
                stopped.append(r.uid)  # the next token is already computed; drop it
                finished[r.uid] = job.model
            else:
                self._keep_prefix(job.model, r.all_tokens, r.prompt_cache)
            reason = "stop" if stop else r.finish_reason
            del batch.jobs[r.uid]
            self._finish(job, reason, None)
        if stopped:
            kept = batch.generator.remove(stopped, return_prompt_caches=self.prefix.budget > 0)
            for uid, (cache, tokens) in kept.items():
                if uid in finished:
                    self._keep_prefix(finished[uid], tokens, cache)

    def _keep_prefix(self, model, tokens, cache) -> None:
        # Only an optimisation: losing one entry must not take the MLX thread down with it.
        try:
            self.prefix.store(model, tokens, cache)
            self.disk.offer(model, tokens, cache)
        except Exception as e:
            log("prefix_cache_store_failed", level="warning", error=type(e).__name__)

    def _finish(self, job: Job, reason: str, error: BaseException | None) -> None:
        try:
            job.on_finish(reason, error)
        except Exception as e:
            log("finish_callback_failed", level="error", error=repr(e))

    def _shutdown(self) -> None:
        self.vision.shutdown(RuntimeError("the sidecar is shutting down"))
        for job in self.spec.shutdown():
            self._finish(job, "error", RuntimeError("the sidecar is shutting down"))
        for key in list(self._batches):
            batch = self._batches.pop(key)
            for job in batch.jobs.values():
                self._finish(job, "error", RuntimeError("the sidecar is shutting down"))


def _guarded_sampler(job: Job):
    """The job's sampler, its fault kept on the job instead of failing the batch's step.

    None stays None: greedy sequences share one batched argmax, which cannot fail per row.
    """
    sampler = job.sampler
    if sampler is None:
        return None

    def sample(logprobs: mx.array) -> mx.array:
        if job.fault is None:
            try:
                token = sampler(logprobs)
                if token.shape != logprobs.shape[:1]:
                    raise ValueError(f"the sampler returned shape {token.shape}")
                return token
            except Exception as e:
                job.fault = e
        # A well-formed stand-in keeps the batch's arrays consistent until the job is removed.
        return mx.argmax(logprobs, axis=-1)

    return sample


def _guarded_processor(job: Job, processor: Callable):
    """One of the job's logits processors (grammar, budget, penalties), its fault kept on the job."""

    def process(tokens: mx.array, logits: mx.array) -> mx.array:
        if job.fault is not None:
            return logits
        try:
            out = processor(tokens, logits)
            if out.shape != logits.shape:
                raise ValueError(f"a logits processor returned shape {out.shape} for {logits.shape}")
            return out
        except Exception as e:
            job.fault = e
            return logits

    return process


def _key(job: Job):
    """Its batch: sequences with different KV settings cannot share one (their caches do not merge)."""
    return id(job.model) if job.kv is None else (id(job.model), *job.kv)


def _model_of(key) -> int:
    return key[0] if isinstance(key, tuple) else key


def _resolve(fut: asyncio.Future, result, error) -> None:
    if fut.cancelled():
        return
    if error is not None:
        fut.set_exception(error)
    else:
        fut.set_result(result)
