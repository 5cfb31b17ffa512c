"""The real sidecar with one test-only hook: `python tests/fault_sidecar.py --host … --port 0`.

A chat request whose last message contains `FAULT:<part>` gets that one per-sequence part replaced
by a wrapper that raises on its FAULT_AT-th call: `logits_processor` (an extra processor),
`grammar` (the llguidance step of a response_format request), `sampler`, `detokenizer` or
`stop_matcher`. Every other request runs unchanged code; HTTP, the engine, mlx-lm's
BatchGenerator and the model are the real ones.
"""

from __future__ import annotations

import re
import sys

import mlx.core as mx

from orchard_sidecar.__main__ import main
from orchard_sidecar.serving import prepare as prepare_module
from orchard_sidecar.text.logits import StepProcessor

FAULT_AT = 4
_MARK = re.compile(r"FAULT:(\w+)")


class InjectedFault(RuntimeError):
    pass


def _raising_after(n: int, fn, part: str):
    calls = 0

    def wrapped(*args, **kwargs):
        nonlocal calls
        calls += 1
        if calls >= n:
            raise InjectedFault(f"injected {part} fault")
        return fn(*args, **kwargs)

    return wrapped


class _FeedRaises:
    """Stands in for a StopMatcher (it has __slots__): feed raises, the rest is the real one."""

    def __init__(self, inner, part: str):
        self._inner = inner
        self.feed = _raising_after(FAULT_AT, inner.feed, part)

    def __getattr__(self, name):
        return getattr(self._inner, name)


def _inject(part: str, prepared) -> None:
    if part == "logits_processor":
        prepared.processors = [*prepared.processors,
                               _raising_after(FAULT_AT, lambda tokens, logits: logits, part)]
    elif part == "grammar":
        step = next(p for p in prepared.processors if isinstance(p, StepProcessor)).step
        step.apply = _raising_after(FAULT_AT, step.apply, part)
    elif part == "sampler":
        greedy = prepared.sampler or (lambda logprobs: mx.argmax(logprobs, axis=-1))
        prepared.sampler = _raising_after(FAULT_AT, greedy, part)
    elif part == "detokenizer":
        detok = prepared.pipeline._detok
        detok.add_token = _raising_after(FAULT_AT, detok.add_token, part)
    elif part == "stop_matcher":
        controller = prepared.pipeline.controller
        controller.stops = _FeedRaises(controller.stops, part)
    else:
        raise ValueError(f"unknown fault part {part!r}")


def _install() -> None:
    real = prepare_module.prepare

    def prepare(lm, p):
        prepared = real(lm, p)
        last = (p.messages or [{}])[-1].get("content")
        mark = _MARK.search(last) if isinstance(last, str) else None
        if mark:
            _inject(mark.group(1), prepared)
        return prepared

    # generation.open_generation imports prepare from the module at call time, so this is seen.
    prepare_module.prepare = prepare


if __name__ == "__main__":
    _install()
    sys.exit(main(sys.argv[1:]))
