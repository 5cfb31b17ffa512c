"""Keep-alive for streams: a PING marker whenever the source has been silent for an interval.

A long prompt is prefilled before the first token; clients (Claude Code) expect SSE `ping` events
meanwhile, as Anthropic sends them, rather than a silent connection.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

PING: Any = object()


async def with_pings(source: AsyncIterator, interval: float) -> AsyncIterator:
    """The source's items, with PING yielded after every `interval` seconds without one."""
    it = source.__aiter__()
    pending: asyncio.Future | None = None
    try:
        while True:
            if pending is None:
                pending = asyncio.ensure_future(it.__anext__())
            done, _ = await asyncio.wait({pending}, timeout=interval)
            if not done:
                yield PING
                continue
            task, pending = pending, None
            try:
                item = task.result()
            except StopAsyncIteration:
                return
            yield item
    finally:
        if pending is not None:
            pending.cancel()
            with contextlib.suppress(BaseException):
                await pending
