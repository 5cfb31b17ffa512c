"""One request's generation as seen from the event loop: submit, iterate events, cancel.

Bridges the MLX thread's callbacks to an asyncio queue, and watches for client disconnects.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from .. import kv_quant
from ..engine import Engine, Job, ModelUnloaded
from ..errors import ApiError
from ..log import log
from ..speculative import DRAFT_MODEL
from ..text.events import Event, Finish
from .pipeline import TextPipeline
from .speculation import acquire_draft, default_draft, make_speculation, requested


class Generation:
    def __init__(self, engine: Engine, lm, prompt: list[int], max_tokens: int, sampler,
                 processors: list, pipeline: TextPipeline, speculation=None):
        self._engine = engine
        self._loop = asyncio.get_running_loop()
        self._queue: asyncio.Queue = asyncio.Queue()
        self.prompt_tokens = len(prompt)
        self.completion_tokens = 0
        self.finish_reason: str | None = None
        self.finish: Finish | None = None  # the text layer's Finish event (reason, matched stop)
        self.error: BaseException | None = None
        self.pipeline = pipeline
        self.forced_call = False  # tool_choice required/named: a grammar forces the call
        # Set once the engine put the job in its batch (job.cached_tokens is then known) or ended it.
        self.admitted = asyncio.Event()
        self.job = Job(lm, prompt, max_tokens, sampler, processors, self._on_token, self._on_finish,
                       on_admit=self._on_admit, speculation=speculation)
        self.draft = speculation.draft if speculation is not None else None  # released with the model

    # ---- MLX thread ---------------------------------------------------------------------
    def _push(self, item) -> None:
        with contextlib.suppress(RuntimeError):  # the loop is gone at shutdown
            self._loop.call_soon_threadsafe(self._queue.put_nowait, item)

    def _on_admit(self) -> None:
        with contextlib.suppress(RuntimeError):
            self._loop.call_soon_threadsafe(self.admitted.set)

    def _on_token(self, token: int) -> bool:
        self.completion_tokens += 1
        stop = self.pipeline.on_token(token)
        events = self.pipeline.drain()
        if events:
            self._push(events)
        return stop

    def _on_finish(self, reason: str, error: BaseException | None) -> None:
        if error is None and reason in ("stop", "length"):
            try:
                self.pipeline.finish(reason, self.usage())
                events = self.pipeline.drain()
                if events and isinstance(events[-1], Finish):
                    reason = events[-1].reason
                if events:
                    self._push(events)
            except Exception as e:
                reason, error = "error", e
        self._push((reason, error))
        self._on_admit()  # a job that ended before its admission must not leave a waiter hanging

    # ---- event loop ---------------------------------------------------------------------
    def start(self) -> None:
        self._engine.submit(self.job)

    def cancel(self) -> None:
        if self.finish_reason is None:
            self._engine.cancel(self.job)

    async def events(self) -> AsyncIterator[Event]:
        """Text events up to (not including) the Finish event, which is kept in `self.finish`."""
        while True:
            item = await self._queue.get()
            if isinstance(item, list):
                for event in item:
                    if isinstance(event, Finish):
                        self.finish = event
                    else:
                        yield event
                continue
            self.finish_reason, self.error = item
            return

    @property
    def cached_tokens(self) -> int:
        return self.job.cached_tokens

    def usage(self) -> dict:
        usage = {
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "total_tokens": self.prompt_tokens + self.completion_tokens,
            "prompt_tokens_details": {"cached_tokens": self.job.cached_tokens},
            "completion_tokens_details": {"reasoning_tokens": self.pipeline.reasoning_tokens},
        }
        spec = self.job.speculation
        if spec is not None:
            # OpenAI's own names for predicted tokens kept and thrown away, and ours with the method.
            usage["completion_tokens_details"].update(
                accepted_prediction_tokens=spec.accepted, rejected_prediction_tokens=spec.proposed - spec.accepted)
            usage["orchard"] = {"speculative": spec.summary()}
        return usage

    def release(self, manager, lm) -> None:
        manager.release(lm)
        if self.draft is not None:
            manager.release(self.draft)
            self.draft = None

    def check_forced_call(self) -> None:
        """A forced call that did not come (cut by max_tokens or a stop) is never silent."""
        if self.forced_call and not self.pipeline.controller.tool_calls:
            reason = self.finish.reason if self.finish else self.finish_reason
            log("forced_tool_call_missing", level="warning", finish_reason=reason)

    def failure(self) -> ApiError | None:
        """The error to report when the generation did not end normally."""
        if self.error is None:
            return None
        if isinstance(self.error, ApiError):
            return self.error
        if isinstance(self.error, ModelUnloaded):
            return ApiError(409, str(self.error), type="model_unloaded", code="model_unloaded")
        return ApiError(500, f"Generation failed: {self.error}", type="server_error")


async def cancel_on_disconnect(receive, generation: Generation) -> None:
    """Wait for the client to go away, then stop its generation (the body is already read)."""
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            generation.cancel()
            return


async def open_generation(request, model: str, params) -> tuple:
    """Acquire the model, prepare the job in a worker thread, submit it: (state, lm, generation)."""
    from .prepare import prepare  # prepare imports this module's neighbours; keep the cycle lazy

    state = request.app.state.sidecar
    method, draft_name, num_tokens = requested(params.speculative)
    lm = await state.manager.acquire(model)
    draft = None
    try:
        if params.speculative is None and (draft_name := default_draft(lm)) is not None:
            method = DRAFT_MODEL
        if draft_name:
            draft = await acquire_draft(state.manager, lm, draft_name)
        prepared = await asyncio.to_thread(prepare, lm, params)
        generation = Generation(state.engine, lm, prepared.prompt, prepared.max_tokens, prepared.sampler,
                                prepared.processors, prepared.pipeline,
                                make_speculation(method, draft, num_tokens))
        generation.forced_call = prepared.forced_call
        generation.job.kv = kv_quant.kv_spec(lm, params.kv_bits)  # a 400 when this model cannot
        generation.job.vision = prepared.vision
    except BaseException:
        state.manager.release(lm)
        if draft is not None:
            state.manager.release(draft)
        raise
    generation.start()
    return state, lm, generation


async def collect(request, state, lm, generation: Generation) -> list[Event]:
    """Every text event of a non-streaming request (cancelled if the client leaves)."""
    watcher = asyncio.create_task(cancel_on_disconnect(request.receive, generation))
    try:
        events = [e async for e in generation.events()]
    finally:
        watcher.cancel()
        generation.cancel()
        generation.release(state.manager, lm)
    failure = generation.failure()
    if failure is not None:
        raise failure
    generation.check_forced_call()
    return events


async def stream(request, state, lm, generation: Generation) -> AsyncIterator[Event]:
    """Text events as they come; the caller checks failure() and finish after the loop."""
    watcher = asyncio.create_task(cancel_on_disconnect(request.receive, generation))
    try:
        async for event in generation.events():
            yield event
        if generation.failure() is None:
            generation.check_forced_call()
    finally:
        watcher.cancel()
        with contextlib.suppress(Exception):
            generation.cancel()
        generation.release(state.manager, lm)
