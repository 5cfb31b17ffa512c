"""Anthropic Messages responses: the SSE event state machine and the non-streaming message.

Fed the text pipeline's internal events; emits framed `event:`/`data:` strings in API order.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Iterable, Sequence
from typing import Any

from ..text.events import (
    ContentDelta,
    Event,
    Finish,
    ReasoningDelta,
    ToolCallDelta,
    ToolCallEnd,
    ToolCallStart,
)
from .anthropic import error_event, sse


def new_message_id() -> str:
    return "msg_" + secrets.token_hex(12)


def tool_use_id(call_id: str) -> str:
    return "toolu_" + (call_id[5:] if call_id.startswith("call_") else call_id)


def _signature(thinking: str) -> str:
    # Local thinking is not signed by Anthropic; a digest lets a client see it came back unchanged.
    return "orchard-" + hashlib.sha256(thinking.encode()).hexdigest()[:32]


def stop_reason_for(finish: Finish, stop_sequences: Sequence[str]) -> tuple[str, str | None]:
    if finish.reason == "tool_calls":
        return "tool_use", None
    if finish.reason == "length":
        return "max_tokens", None
    if isinstance(finish.matched_stop, str) and finish.matched_stop in stop_sequences:
        return "stop_sequence", finish.matched_stop
    return "end_turn", None


def _usage_counts(usage: dict) -> tuple[int | None, int | None, int]:
    """(prompt tokens, of which from the prefix cache, output tokens) from an OpenAI-style usage."""
    inp = usage.get("input_tokens", usage.get("prompt_tokens"))
    cached = (usage.get("prompt_tokens_details") or {}).get("cached_tokens")
    out = usage.get("output_tokens", usage.get("completion_tokens", 0))
    return inp, cached, int(out or 0)


def anthropic_usage(prompt_tokens: int, cached_tokens: int, output_tokens: int) -> dict[str, int]:
    """Anthropic's split: input_tokens are the prompt tokens computed for this request, the rest were
    read from the prefix cache. Every finished sequence is kept without a write step or price, so
    nothing counts as cache creation: input_tokens + cache_read_input_tokens is the whole prompt."""
    cached = max(0, min(cached_tokens, prompt_tokens))
    return {"input_tokens": prompt_tokens - cached, "cache_creation_input_tokens": 0,
            "cache_read_input_tokens": cached, "output_tokens": output_tokens}


class AnthropicStream:
    """State machine: start() → feed(event)… (a Finish event ends it). Also builds message()."""

    def __init__(
        self,
        *,
        model: str,
        input_tokens: int = 0,
        stop_sequences: Sequence[str] = (),
        message_id: str | None = None,
        cached_tokens: int = 0,
    ):
        self.id = message_id or new_message_id()
        self.model = model
        self.input_tokens = input_tokens  # the whole prompt; usage() splits off the cached part
        self.cached_tokens = cached_tokens
        self.stop_sequences = list(stop_sequences)
        self.blocks: list[dict[str, Any]] = []
        self._open: str | None = None  # type of the open block
        self._tool_json: list[str] = []
        self.stop_reason: str | None = None
        self.stop_sequence: str | None = None
        self.output_tokens = 0
        self.orchard: dict | None = None  # the usage's Orchard extension (speculative counts), if any
        self.started = self.done = False

    # -- streaming ------------------------------------------------------------------------------

    def start(self) -> list[str]:
        self.started = True
        msg = {
            "id": self.id, "type": "message", "role": "assistant", "model": self.model,
            "content": [], "stop_reason": None, "stop_sequence": None,
            "usage": self.usage(0),
        }
        return [sse("message_start", {"type": "message_start", "message": msg}), sse("ping", {"type": "ping"})]

    def feed(self, event: Event) -> list[str]:
        if self.done:
            return []
        out: list[str] = []
        if isinstance(event, ReasoningDelta):
            if event.text:
                self._ensure(out, "thinking")
                self.blocks[-1]["thinking"] += event.text
                out.append(self._delta({"type": "thinking_delta", "thinking": event.text}))
        elif isinstance(event, ContentDelta):
            if event.text:
                self._ensure(out, "text")
                self.blocks[-1]["text"] += event.text
                out.append(self._delta({"type": "text_delta", "text": event.text}))
        elif isinstance(event, ToolCallStart):
            self._close(out)
            block = {"type": "tool_use", "id": tool_use_id(event.id), "name": event.name, "input": {}}
            self._begin(out, block)
            self._tool_json = []
        elif isinstance(event, ToolCallDelta):
            if self._open == "tool_use" and event.arguments:
                self._tool_json.append(event.arguments)
                out.append(self._delta({"type": "input_json_delta", "partial_json": event.arguments}))
        elif isinstance(event, ToolCallEnd):
            self._close(out)
        elif isinstance(event, Finish):
            self._close(out)
            self.stop_reason, self.stop_sequence = stop_reason_for(event, self.stop_sequences)
            inp, cached, self.output_tokens = _usage_counts(event.usage)
            if inp is not None:
                self.input_tokens = int(inp)
            if cached is not None:
                self.cached_tokens = int(cached)
            self.orchard = event.usage.get("orchard")
            out.append(sse("message_delta", {
                "type": "message_delta",
                "delta": {"stop_reason": self.stop_reason, "stop_sequence": self.stop_sequence},
                # The final counts, input side included: message_start may predate the cache lookup.
                "usage": self.usage(self.output_tokens),
            }))
            out.append(sse("message_stop", {"type": "message_stop"}))
            self.done = True
        return out

    def usage(self, output_tokens: int) -> dict[str, Any]:
        usage: dict[str, Any] = anthropic_usage(self.input_tokens, self.cached_tokens, output_tokens)
        if self.orchard is not None:
            usage["orchard"] = self.orchard  # as on the OpenAI endpoints: {"speculative": {...}}
        return usage

    def ping(self) -> list[str]:
        return [] if self.done else [sse("ping", {"type": "ping"})]

    def feed_all(self, events: Iterable[Event]) -> list[str]:
        out: list[str] = []
        for e in events:
            out.extend(self.feed(e))
        return out

    def error(self, message: str, type: str = "api_error") -> list[str]:
        """Mid-stream failure: an `error` event ends the stream (no message_stop follows)."""
        self.done = True
        return [error_event(message, type)]  # type: ignore[arg-type]

    def _ensure(self, out: list[str], kind: str) -> None:
        if self._open == kind:
            return
        self._close(out)
        self._begin(out, {"type": "thinking", "thinking": "", "signature": ""} if kind == "thinking"
                    else {"type": "text", "text": ""})

    def _begin(self, out: list[str], block: dict[str, Any]) -> None:
        self.blocks.append(block)
        self._open = block["type"]
        start = dict(block)
        out.append(sse("content_block_start", {
            "type": "content_block_start", "index": len(self.blocks) - 1, "content_block": start}))

    def _delta(self, delta: dict[str, Any]) -> str:
        return sse("content_block_delta", {
            "type": "content_block_delta", "index": len(self.blocks) - 1, "delta": delta})

    def _close(self, out: list[str]) -> None:
        if self._open is None:
            return
        block = self.blocks[-1]
        if self._open == "thinking":
            block["signature"] = _signature(block["thinking"])
            out.append(self._delta({"type": "signature_delta", "signature": block["signature"]}))
        elif self._open == "tool_use":
            text = "".join(self._tool_json)
            block["input"] = json.loads(text) if text.strip() else {}
        out.append(sse("content_block_stop", {"type": "content_block_stop", "index": len(self.blocks) - 1}))
        self._open = None

    # -- non-streaming ---------------------------------------------------------------------------

    def message(self) -> dict[str, Any]:
        """The complete Message object (after a Finish event was fed)."""
        return {
            "id": self.id, "type": "message", "role": "assistant", "model": self.model,
            "content": [dict(b) for b in self.blocks],
            "stop_reason": self.stop_reason, "stop_sequence": self.stop_sequence,
            "usage": self.usage(self.output_tokens),
        }


def build_message(
    events: Iterable[Event], *, model: str, input_tokens: int = 0, stop_sequences: Sequence[str] = (),
    cached_tokens: int = 0,
) -> dict[str, Any]:
    """Non-streaming response from the same events the streaming path uses."""
    s = AnthropicStream(model=model, input_tokens=input_tokens, stop_sequences=stop_sequences,
                        cached_tokens=cached_tokens)
    s.feed_all(events)
    return s.message()
