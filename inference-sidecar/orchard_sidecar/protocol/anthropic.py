"""Anthropic Messages API bodies (/v1/messages, /v1/messages/count_tokens) and their translation.

Pure: validated request → internal OpenAI-style chat request for the chat template.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from .chat_template import ChatTemplateKwargs
from .openai import SpeculativeConfig


class _Body(BaseModel):
    # Clients (Claude Code, SDKs) send fields we do not use, e.g. cache_control; ignore them.
    model_config = ConfigDict(extra="ignore")


class TextBlock(_Body):
    type: Literal["text"]
    text: str


class Base64Source(_Body):
    type: Literal["base64"]
    media_type: Annotated[str, Field(min_length=1, max_length=100)]
    data: Annotated[str, Field(min_length=1)]


class UrlSource(_Body):
    type: Literal["url"]
    url: Annotated[str, Field(min_length=1)]


class PictureBlock(_Body):
    """An image, inline (base64) or by URL; read by vision models, a 400 for text-only ones."""

    type: Literal["image"]
    source: Annotated[Base64Source | UrlSource, Field(discriminator="type")]


class ImageBlock(_Body):
    # Block types accepted by validation and refused with a clear message (see _unsupported).
    type: Literal["document", "search_result", "server_tool_use", "web_search_tool_result"]


class ToolUseBlock(_Body):
    type: Literal["tool_use"]
    id: Annotated[str, Field(min_length=1)]
    name: Annotated[str, Field(min_length=1)]
    input: dict[str, Any] = Field(default_factory=dict)


class ToolResultBlock(_Body):
    type: Literal["tool_result"]
    tool_use_id: Annotated[str, Field(min_length=1)]
    content: str | list[TextBlock | PictureBlock | ImageBlock] | None = None
    is_error: bool = False


class ThinkingBlock(_Body):
    type: Literal["thinking"]
    thinking: str
    signature: str | None = None


class RedactedThinkingBlock(_Body):
    type: Literal["redacted_thinking"]
    data: str = ""


ContentBlock = Annotated[
    TextBlock | PictureBlock | ImageBlock | ToolUseBlock | ToolResultBlock | ThinkingBlock | RedactedThinkingBlock,
    Field(discriminator="type"),
]


class Message(_Body):
    # Claude Code 2.1 sends `system` messages inside `messages` (instructions, reminders mid-conversation).
    role: Literal["user", "assistant", "system"]
    content: str | list[ContentBlock]


class Tool(_Body):
    name: Annotated[str, Field(min_length=1, max_length=128)]
    description: str | None = None
    input_schema: dict[str, Any]
    type: Literal["custom"] | None = None


class ToolChoice(_Body):
    type: Literal["auto", "any", "tool", "none"]
    name: str | None = None
    disable_parallel_tool_use: bool | None = None


class ThinkingConfig(_Body):
    type: Literal["enabled", "disabled", "adaptive"]
    budget_tokens: Annotated[int, Field(ge=1)] | None = None


class Metadata(_Body):
    user_id: str | None = None


class OutputConfig(_Body):
    # Claude's effort levels; mapped onto reasoning_effort where the model reasons, else ignored.
    effort: str | None = None


# Anthropic effort → the reasoning_effort the sidecar knows (a budget, and the GPT-OSS template switch).
EFFORT_TO_REASONING: dict[str, str] = {"low": "low", "medium": "medium", "high": "high", "max": "high",
                                       "xhigh": "high"}
# Claude Code's per-request billing line (its `cch=` changes every call): meaningless to a local model,
# and as the first system text it would make every prompt differ from its first token. Dropped.
BILLING_HEADER = "x-anthropic-billing-header:"


class CountTokensRequest(_Body):
    model: Annotated[str, Field(min_length=1, max_length=1024)]
    messages: Annotated[list[Message], Field(min_length=1)]
    system: str | list[TextBlock] | None = None
    tools: list[Tool] | None = None
    tool_choice: ToolChoice | None = None
    thinking: ThinkingConfig | None = None
    output_config: OutputConfig | None = None
    # Orchard extension, as on /v1/chat/completions; `thinking` above wins over enable_thinking.
    chat_template_kwargs: ChatTemplateKwargs | None = None
    # `context_management` (Claude's server-side clearing of old tool results) is accepted and ignored:
    # unknown fields are dropped by _Body, and the sidecar keeps no conversation to edit.


class MessagesRequest(CountTokensRequest):
    max_tokens: Annotated[int, Field(ge=1)]
    stop_sequences: list[str] | None = None
    temperature: Annotated[float, Field(ge=0, le=2)] | None = None
    top_p: Annotated[float, Field(gt=0, le=1)] | None = None
    top_k: Annotated[int, Field(ge=0)] | None = None
    metadata: Metadata | None = None
    stream: bool = False
    # Orchard extension (a profile sets it): what to do with a prompt longer than the window.
    context_overflow: Literal["refuse", "drop_oldest"] | None = None
    # Orchard extension, as on /v1/chat/completions: the KV cache held in 4 or 8 bits.
    kv_bits: Literal[4, 8] | None = None
    # Orchard extension, as on /v1/chat/completions: speculative decoding (speculative.py).
    speculative: Literal["none"] | SpeculativeConfig | None = None


class AnthropicRequestError(ValueError):
    """A request that is valid JSON but that we cannot serve; rendered as invalid_request_error."""


@dataclass
class ChatRequest:
    """What the engine needs, in the OpenAI-style shape chat templates expect."""

    model: str
    messages: list[dict[str, Any]]
    max_tokens: int | None = None
    temperature: float | None = None
    top_p: float | None = None
    top_k: int | None = None
    stop: list[str] = field(default_factory=list)
    tools: list[dict[str, Any]] | None = None
    tool_choice: str | dict[str, Any] | None = None  # "auto" | "required" | "none" | {"type":"function",...}
    enable_thinking: bool | None = None  # None: the model's default
    reasoning_budget: int | None = None
    reasoning_effort: str | None = None  # from output_config.effort
    context_overflow: str | None = None
    kv_bits: int | None = None
    speculative: Any = None  # "none" or a SpeculativeConfig, read by serving/speculation.py
    stream: bool = False
    template_kwargs: dict[str, Any] = field(default_factory=dict)  # allowed chat_template_kwargs


def _unsupported(b: Any, where: str = "") -> AnthropicRequestError:
    return AnthropicRequestError(f"content blocks of type {b.type!r}{where} are not supported by this model")


def _text_of(content: str | list | None, where: str = "") -> str:
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    parts = []
    for b in content:
        if isinstance(b, TextBlock):
            parts.append(b.text)
        else:
            raise _unsupported(b, where)
    return "\n".join(parts)


def _image_part(b: PictureBlock) -> dict[str, Any]:
    """An Anthropic image block as the OpenAI image part every API is translated into."""
    src = b.source
    url = f"data:{src.media_type};base64,{src.data}" if isinstance(src, Base64Source) else src.url
    return {"type": "image_url", "image_url": {"url": url}}


def _tool_content(content: str | list | None) -> str | list[dict[str, Any]]:
    """A tool_result's content: one text, or text and image parts in order when it holds images."""
    if not isinstance(content, list) or not any(isinstance(b, PictureBlock) for b in content):
        return _text_of(content, " in a tool_result")
    parts: list[dict[str, Any]] = []
    for b in content:
        if isinstance(b, PictureBlock):
            parts.append(_image_part(b))
        elif isinstance(b, TextBlock):
            parts.append({"type": "text", "text": b.text})
        else:
            raise _unsupported(b, " in a tool_result")
    return parts


def _without_billing_header(text: str) -> str:
    if not text.startswith(BILLING_HEADER):
        return text
    _, _, rest = text.partition("\n")
    return rest.lstrip("\n")


def _system_text(system: str | list | None) -> str | None:
    """Top-level `system` (or a system message's content) as one text, billing header dropped."""
    if system is None:
        return None
    if isinstance(system, str):
        return _without_billing_header(system) or None
    parts = []
    for b in system:
        if not isinstance(b, TextBlock):
            raise _unsupported(b, " in a system message")
        text = _without_billing_header(b.text)
        if text:
            parts.append(text)
    return "\n\n".join(parts) or None


def _user_messages(msg: Message) -> list[dict[str, Any]]:
    if isinstance(msg.content, str):
        return [{"role": "user", "content": msg.content}]
    out: list[dict[str, Any]] = []
    texts: list[str] = []
    parts: list[dict[str, Any]] = []  # text and images in order, used when there is an image
    for b in msg.content:
        if isinstance(b, ToolResultBlock):
            # tool results become `tool` messages, in order, before the user's own text.
            body = _tool_content(b.content)
            if b.is_error:
                body = f"Error: {body}" if isinstance(body, str) else [{"type": "text", "text": "Error: "}, *body]
            out.append({"role": "tool", "tool_call_id": b.tool_use_id, "content": body})
        elif isinstance(b, TextBlock):
            texts.append(b.text)
            parts.append({"type": "text", "text": b.text})
        elif isinstance(b, PictureBlock):
            parts.append(_image_part(b))
        elif isinstance(b, (ThinkingBlock, RedactedThinkingBlock)):
            continue
        else:
            raise _unsupported(b)
    if any(p["type"] == "image_url" for p in parts):
        out.append({"role": "user", "content": parts})
    elif texts:
        out.append({"role": "user", "content": "\n".join(texts)})
    return out


def _assistant_message(msg: Message) -> dict[str, Any]:
    if isinstance(msg.content, str):
        return {"role": "assistant", "content": msg.content}
    texts: list[str] = []
    thinking: list[str] = []
    calls: list[dict[str, Any]] = []
    for b in msg.content:
        if isinstance(b, TextBlock):
            texts.append(b.text)
        elif isinstance(b, ThinkingBlock):
            thinking.append(b.thinking)
        elif isinstance(b, ToolUseBlock):
            # Templates iterate arguments as a mapping (Qwen3-Coder XML, GLM), so keep a dict.
            calls.append({"id": b.id, "type": "function",
                          "function": {"name": b.name, "arguments": b.input}})
        elif isinstance(b, RedactedThinkingBlock):
            continue
        else:
            raise AnthropicRequestError(f"assistant content blocks of type {b.type!r} are not supported")
    out: dict[str, Any] = {"role": "assistant", "content": "".join(texts)}
    if thinking:
        out["reasoning_content"] = "\n".join(thinking)
    if calls:
        out["tool_calls"] = calls
    return out


def to_chat_request(req: CountTokensRequest) -> ChatRequest:
    """Translate a validated Anthropic request; raises AnthropicRequestError for unsupported input."""
    messages: list[dict[str, Any]] = []
    system = _system_text(req.system)
    if system:
        messages.append({"role": "system", "content": system})
    for m in req.messages:
        if m.role == "system":
            # Kept in place; prepare folds it into the system prompt when the template cannot show it there.
            text = _system_text(m.content)
            if text:
                messages.append({"role": "system", "content": text})
        else:
            messages.extend(_user_messages(m) if m.role == "user" else [_assistant_message(m)])
    if not messages or all(m["role"] == "system" for m in messages):
        raise AnthropicRequestError("messages must contain at least one user or assistant turn")

    tools = None
    if req.tools:
        tools = [{"type": "function", "function": {"name": t.name, "description": t.description or "",
                                                    "parameters": t.input_schema}} for t in req.tools]
    tool_choice: str | dict[str, Any] | None = None
    if req.tool_choice is not None:
        tc = req.tool_choice
        if tc.type == "tool":
            if not tc.name:
                raise AnthropicRequestError("tool_choice of type 'tool' needs a 'name'")
            if not any(t.name == tc.name for t in req.tools or ()):
                raise AnthropicRequestError(f"tool_choice names unknown tool {tc.name!r}")
            tool_choice = {"type": "function", "function": {"name": tc.name}}
        else:
            tool_choice = {"auto": "auto", "any": "required", "none": "none"}[tc.type]

    enable_thinking = None
    budget = None
    if req.thinking is not None:
        enable_thinking = req.thinking.type != "disabled"
        if req.thinking.type == "enabled":
            if req.thinking.budget_tokens is None:
                raise AnthropicRequestError("thinking.budget_tokens is required when thinking is enabled")
            budget = req.thinking.budget_tokens

    effort = None
    if req.output_config is not None and req.output_config.effort and enable_thinking is not False:
        effort = EFFORT_TO_REASONING.get(req.output_config.effort.lower())
    chat = ChatRequest(model=req.model, messages=messages, tools=tools, tool_choice=tool_choice,
                       enable_thinking=enable_thinking, reasoning_budget=budget, reasoning_effort=effort)
    if req.chat_template_kwargs is not None:
        chat.template_kwargs = req.chat_template_kwargs.template_kwargs()
    if isinstance(req, MessagesRequest):
        if budget is not None and budget >= req.max_tokens:
            raise AnthropicRequestError("thinking.budget_tokens must be less than max_tokens")
        chat.max_tokens = req.max_tokens
        chat.temperature = req.temperature
        chat.top_p = req.top_p
        chat.top_k = req.top_k
        chat.stop = list(req.stop_sequences or [])
        chat.stream = req.stream
        chat.context_overflow = req.context_overflow
        chat.kv_bits = req.kv_bits
        chat.speculative = req.speculative
    return chat


# ---- errors -------------------------------------------------------------------------------------

ErrorType = Literal[
    "invalid_request_error", "authentication_error", "permission_error", "not_found_error",
    "request_too_large", "rate_limit_error", "api_error", "overloaded_error",
]

STATUS_FOR_ERROR: dict[str, int] = {
    "invalid_request_error": 400, "authentication_error": 401, "permission_error": 403,
    "not_found_error": 404, "request_too_large": 413, "rate_limit_error": 429, "api_error": 500,
    "overloaded_error": 529,
}


def error_body(message: str, type: ErrorType = "invalid_request_error") -> dict[str, Any]:
    return {"type": "error", "error": {"type": type, "message": message}}


def error_event(message: str, type: ErrorType = "api_error") -> str:
    """An SSE `error` event for failures after the stream started."""
    return sse("error", error_body(message, type))


def validation_message(err: ValidationError) -> str:
    """A short human message for a pydantic error: `messages.0.content: Field required`."""
    parts = []
    for e in err.errors()[:3]:
        loc = ".".join(str(x) for x in e.get("loc", ()) if not str(x).startswith("function-"))
        parts.append(f"{loc}: {e.get('msg', 'invalid')}" if loc else e.get("msg", "invalid"))
    return "; ".join(parts) or "invalid request"


def sse(event: str, data: dict[str, Any]) -> str:
    """`event: X\\ndata: {...}\\n\\n` framing, as the Anthropic API and SDKs expect."""
    return f"event: {event}\ndata: {json.dumps(data, ensure_ascii=False, separators=(',', ':'))}\n\n"


def error_type_for_status(status: int) -> ErrorType:
    """The Anthropic error type for an HTTP status (for errors raised by shared layers)."""
    by_status = {401: "authentication_error", 403: "permission_error", 404: "not_found_error",
                 413: "request_too_large", 429: "rate_limit_error", 529: "overloaded_error",
                 503: "overloaded_error"}
    if status in by_status:
        return by_status[status]  # type: ignore[return-value]
    return "api_error" if status >= 500 else "invalid_request_error"


def is_anthropic_path(path: str) -> bool:
    """Routes whose every error (auth, validation, routing) must be an Anthropic error object."""
    return path == "/v1/messages" or path.startswith("/v1/messages/")
