"""Chat completions and text completions: OpenAI request → Params, events → OpenAI response shapes.

Both endpoints share one flow; they differ in how the prompt is built and how output is framed.
"""

from __future__ import annotations

import contextlib
import json
import time
import uuid
from dataclasses import dataclass

from fastapi import Request
from fastapi.responses import JSONResponse, StreamingResponse

from ..protocol.openai import ChatCompletionRequest, CompletionRequest, SamplingFields
from ..text.events import ContentDelta, Event, ReasoningDelta, ToolCallDelta, ToolCallStart
from ..text.tool_parsers import openai_tool_calls
from .generation import Generation, collect, open_generation, stream
from .prepare import Params


@dataclass
class _Shape:
    chat: bool
    id: str
    created: int
    model: str

    def chunk(self, choice: dict | None, usage=None, with_usage=False) -> dict:
        body = {
            "id": self.id,
            "object": "chat.completion.chunk" if self.chat else "text_completion",
            "created": self.created,
            "model": self.model,
            "choices": [choice] if choice is not None else [],
        }
        if with_usage:
            body["usage"] = usage
        return body

    def delta_choice(self, delta: dict, finish_reason=None) -> dict:
        if self.chat:
            return {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish_reason}
        return {"index": 0, "text": delta.get("content", ""), "logprobs": None, "finish_reason": finish_reason}


def to_params(body: SamplingFields, chat: bool) -> Params:
    p = Params(
        chat=chat, stop=body.stop, stop_token_ids=list(body.stop_token_ids or []),
        max_tokens=getattr(body, "max_completion_tokens", None) or body.max_tokens,
        temperature=body.temperature, top_p=body.top_p, top_k=body.top_k, min_p=body.min_p, seed=body.seed,
        logit_bias=body.logit_bias, repetition_penalty=body.repetition_penalty,
        presence_penalty=body.presence_penalty, frequency_penalty=body.frequency_penalty,
        context_overflow=body.context_overflow, speculative=body.speculative,
    )
    p.kv_bits = body.kv_bits
    if isinstance(body, ChatCompletionRequest):
        p.messages = [_message(m) for m in body.messages]
        if body.chat_template_kwargs is not None:
            p.template_kwargs = body.chat_template_kwargs.template_kwargs()
        # As the client described them (extra keys included): that is what templates render.
        p.tools = [t.model_dump(exclude_unset=True) for t in body.tools] if body.tools else None
        tc = body.tool_choice
        p.tool_choice = tc.model_dump() if hasattr(tc, "model_dump") else tc
        p.tool_format = body.tool_format
        p.response_format = body.response_format
        p.reasoning_effort = body.reasoning_effort
        p.reasoning_budget = body.reasoning_budget
    elif isinstance(body, CompletionRequest):
        p.prompt = body.prompt
    return p


def _message(m) -> dict:
    msg = m.model_dump(exclude_none=True)
    # Text parts become one text, as text templates expect; with an image the parts stay (vision).
    if isinstance(m.content, list) and all(part.type == "text" for part in m.content):
        msg["content"] = "".join(part.text for part in m.content)
    return msg


async def complete(request: Request, body: SamplingFields, chat: bool):
    state, lm, generation = await open_generation(request, body.model, to_params(body, chat))
    shape = _Shape(chat, ("chatcmpl-" if chat else "cmpl-") + uuid.uuid4().hex, int(time.time()), body.model)
    if body.stream:
        include_usage = bool(body.stream_options and body.stream_options.include_usage)
        return StreamingResponse(
            _sse(request, state, lm, generation, shape, include_usage),
            media_type="text/event-stream",
            headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
        )
    events = await collect(request, state, lm, generation)
    return JSONResponse(_final_body(shape, generation, events))


def _final_body(shape: _Shape, generation: Generation, events: list[Event]) -> dict:
    content = "".join(e.text for e in events if isinstance(e, ContentDelta))
    finish = generation.finish
    reason = finish.reason if finish else generation.finish_reason
    matched = finish.matched_stop if finish else None
    if shape.chat:
        reasoning = "".join(e.text for e in events if isinstance(e, ReasoningDelta))
        calls = openai_tool_calls(generation.pipeline.controller.tool_calls)
        message: dict = {"role": "assistant", "content": content if content or not calls else None}
        if reasoning:
            message["reasoning_content"] = message["reasoning"] = reasoning
        if calls:
            message["tool_calls"] = calls
        choice = {"index": 0, "message": message, "logprobs": None, "finish_reason": reason,
                  "matched_stop": matched}
        kind = "chat.completion"
    else:
        choice = {"index": 0, "text": content, "logprobs": None, "finish_reason": reason, "matched_stop": matched}
        kind = "text_completion"
    return {"id": shape.id, "object": kind, "created": shape.created, "model": shape.model,
            "choices": [choice], "usage": generation.usage()}


def _event_delta(event: Event) -> dict | None:
    if isinstance(event, ContentDelta):
        return {"content": event.text}
    if isinstance(event, ReasoningDelta):
        return {"reasoning_content": event.text, "reasoning": event.text}
    if isinstance(event, ToolCallStart):
        return {"tool_calls": [{"index": event.index, "id": event.id, "type": "function",
                                "function": {"name": event.name, "arguments": ""}}]}
    if isinstance(event, ToolCallDelta):
        return {"tool_calls": [{"index": event.index, "function": {"arguments": event.arguments}}]}
    return None  # ToolCallEnd: nothing to send


def _data(obj) -> bytes:
    return b"data: " + json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode() + b"\n\n"


async def _sse(request: Request, state, lm, generation: Generation, shape: _Shape, include_usage: bool):
    if shape.chat:
        yield _data(shape.chunk(shape.delta_choice({"role": "assistant", "content": ""}), None, include_usage))
    async with contextlib.aclosing(stream(request, state, lm, generation)) as events:
        async for event in events:
            if not shape.chat and not isinstance(event, ContentDelta):
                continue
            delta = _event_delta(event)
            if delta is not None:
                yield _data(shape.chunk(shape.delta_choice(delta), None, include_usage))
    failure = generation.failure()
    if failure is not None:
        yield _data(failure.body())
    elif generation.finish_reason != "cancelled":
        finish = generation.finish
        choice = shape.delta_choice({}, finish.reason if finish else generation.finish_reason)
        choice["matched_stop"] = finish.matched_stop if finish else None
        yield _data(shape.chunk(choice, None, include_usage))
        if include_usage:
            yield _data(shape.chunk(None, generation.usage(), True))
    yield b"data: [DONE]\n\n"
