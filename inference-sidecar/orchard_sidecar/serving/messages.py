"""Anthropic Messages: request → Params, text events → a Message or the exact SSE event sequence.

Shares preparation and generation with the OpenAI endpoints; only the framing differs.
"""

from __future__ import annotations

import asyncio
import contextlib

from fastapi import Request
from fastapi.responses import JSONResponse, StreamingResponse

from ..errors import ApiError, bad_request
from ..protocol.anthropic import (
    AnthropicRequestError,
    ChatRequest,
    CountTokensRequest,
    MessagesRequest,
    error_type_for_status,
    to_chat_request,
)
from ..protocol.anthropic_stream import AnthropicStream, build_message
from .generation import Generation, collect, open_generation, stream
from .keepalive import PING, with_pings
from .prepare import Params, count_prompt_tokens


def _chat(body: CountTokensRequest) -> ChatRequest:
    try:
        return to_chat_request(body)
    except AnthropicRequestError as e:
        raise bad_request(str(e)) from None


def to_params(chat: ChatRequest) -> Params:
    return Params(
        chat=True, messages=chat.messages, tools=chat.tools, tool_choice=chat.tool_choice,
        stop=chat.stop, stop_param="stop_sequences", enable_thinking=chat.enable_thinking,
        reasoning_budget=chat.reasoning_budget, reasoning_effort=chat.reasoning_effort,
        max_tokens=chat.max_tokens, temperature=chat.temperature, top_p=chat.top_p, top_k=chat.top_k,
        template_kwargs=dict(chat.template_kwargs), context_overflow=chat.context_overflow,
        kv_bits=chat.kv_bits, speculative=chat.speculative,
    )


async def create_message(request: Request, body: MessagesRequest):
    chat = _chat(body)
    state, lm, generation = await open_generation(request, body.model, to_params(chat))
    # Profile stops are the caller's stops too, so a match on one is a stop_sequence.
    stops = [*chat.stop, *(lm.options.stop or [])]
    if body.stream:
        return StreamingResponse(
            _sse(request, state, lm, generation, body.model, stops),
            media_type="text/event-stream",
            headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
        )
    events = await collect(request, state, lm, generation)
    return JSONResponse(build_message([*events, generation.finish], model=body.model,
                                      input_tokens=generation.prompt_tokens, stop_sequences=stops,
                                      cached_tokens=generation.cached_tokens))


async def count_tokens(request: Request, body: CountTokensRequest) -> dict:
    chat = _chat(body)
    state = request.app.state.sidecar
    lm = await state.manager.acquire(body.model)
    try:
        n = await asyncio.to_thread(count_prompt_tokens, lm, to_params(chat))
    finally:
        state.manager.release(lm)
    return {"input_tokens": n}


def _frame(parts: list[str]) -> bytes:
    return "".join(parts).encode()


async def _sse(request: Request, state, lm, generation: Generation, model: str, stops: list[str]):
    interval = state.settings.ping_seconds
    # message_start carries the prefix-cache split, known once the engine admitted the job (between two
    # decode steps); if that takes longer than a ping interval, it goes without (message_delta has it).
    with contextlib.suppress(asyncio.TimeoutError):  # TimeoutError itself only from 3.11
        await asyncio.wait_for(generation.admitted.wait(), interval)
    s = AnthropicStream(model=model, input_tokens=generation.prompt_tokens, stop_sequences=stops,
                        cached_tokens=generation.cached_tokens)
    yield _frame(s.start())
    async with contextlib.aclosing(stream(request, state, lm, generation)) as events:
        async for event in with_pings(events, interval):
            out = s.ping() if event is PING else s.feed(event)
            if out:
                yield _frame(out)
    failure: ApiError | None = generation.failure()
    if failure is not None:
        yield _frame(s.error(failure.message, error_type_for_status(failure.status)))
    elif generation.finish is not None:
        yield _frame(s.feed(generation.finish))
