"""Vision generation on the MLX thread: one sequence at a time per vision model, in arrival order.

mlx-vlm decodes one sequence per generate_step, so a vision model's requests wait in a queue; each
engine pass advances the running one by one token, between the text models' batched steps. The
tokens go through the same per-request callbacks (text pipeline, grammar, stops) as text jobs.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import mlx.core as mx

from ..log import log


@dataclass(eq=False)
class _Run:
    job: Any  # engine.Job
    steps: Any  # the mlx-vlm generator
    produced: int = 0


def _greedy(logprobs: mx.array) -> mx.array:
    return mx.argmax(logprobs, axis=-1)


class VisionRuns:
    def __init__(self, guard_sampler: Callable, guard_processor: Callable, finish: Callable):
        self._guard_sampler = guard_sampler
        self._guard_processor = guard_processor
        self._finish = finish  # engine._finish(job, reason, error)
        self._queues: dict[int, deque] = {}
        self._running: dict[int, _Run] = {}

    def busy(self) -> bool:
        return bool(self._running) or any(self._queues.values())

    def count(self) -> int:
        """Vision sequences running or waiting (part of the engine's active_sequences)."""
        return len(self._running) + sum(len(q) for q in self._queues.values())

    def active_for(self, model) -> int:
        return (1 if id(model) in self._running else 0) + len(self._queues.get(id(model), ()))

    def add(self, job) -> None:
        queue = self._queues.setdefault(id(job.model), deque())
        queue.append(job)
        ahead = len(queue) - 1 + (1 if id(job.model) in self._running else 0)
        if ahead:
            log("vision_queued", model=job.model.name, ahead=ahead)

    def remove(self, job) -> None:
        queue = self._queues.get(id(job.model))
        if queue is not None and job in queue:
            queue.remove(job)
            self._finish(job, "cancelled", None)
            return
        run = self._running.get(id(job.model))
        if run is not None and run.job is job:
            self._end(id(job.model), "cancelled", None)

    def release(self, model, error: BaseException) -> None:
        """The model is being unloaded: every job on it fails with `error`."""
        if id(model) in self._running:
            self._end(id(model), "error", error)
        for job in self._queues.pop(id(model), deque()):
            self._finish(job, "error", error)

    def step(self) -> None:
        for key in list(self._queues.keys() | self._running.keys()):
            if key not in self._running and not self._start(key):
                continue
            self._advance(key)

    # ---- one model ------------------------------------------------------------------------
    def _start(self, key: int) -> bool:
        queue = self._queues.get(key)
        while queue:
            job = queue.popleft()
            if job.cancelled:
                self._finish(job, "cancelled", None)
                continue
            try:
                self._running[key] = _Run(job, self._generator(job))
            except Exception as e:
                self._finish(job, "error", e)
                continue
            if job.on_admit is not None:
                try:
                    job.on_admit()
                except Exception:  # a notification only; the job goes on
                    pass
            return True
        self._queues.pop(key, None)
        return False

    def _generator(self, job):
        from mlx_vlm.generate.ar import generate_step

        inputs = job.vision
        ids = mx.array([inputs.input_ids])
        pixels = None if inputs.pixel_values is None else mx.array(inputs.pixel_values)
        mask = None if inputs.mask is None else mx.array(inputs.mask)
        extra = {k: mx.array(v) for k, v in inputs.extra.items()}
        sampler = self._guard_sampler(job) or _greedy
        processors = [self._guard_processor(job, p) for p in job.logits_processors]
        return generate_step(ids, job.model.model, pixels, mask, max_tokens=job.max_tokens,
                             sampler=sampler, logits_processors=processors, **extra)

    def _advance(self, key: int) -> None:
        run = self._running[key]
        try:
            token, _ = next(run.steps)
        except StopIteration:
            self._end(key, "length", None)
            return
        except Exception as e:  # the forward pass failed: this sequence alone (it is alone)
            self._end(key, "error", e)
            return
        if run.job.fault is not None:
            self._end(key, "error", run.job.fault)
            return
        run.produced += 1
        try:
            stop = run.job.on_token(int(token.item() if hasattr(token, "item") else token))
        except Exception as e:
            self._end(key, "error", e)
            return
        if stop:
            self._end(key, "stop", None)
        elif run.produced >= run.job.max_tokens:
            self._end(key, "length", None)

    def _end(self, key: int, reason: str, error: BaseException | None) -> None:
        run = self._running.pop(key)
        run.steps.close()
        if reason == "cancelled":  # the client went away (or Stop): the next in the queue starts now
            log("vision_cancelled", model=run.job.model.name, tokens=run.produced)
        self._finish(run.job, reason, error)

    def shutdown(self, error: BaseException) -> None:
        for key in list(self._running):
            self._end(key, "error", error)
        for queue in self._queues.values():
            for job in queue:
                self._finish(job, "error", error)
        self._queues.clear()
