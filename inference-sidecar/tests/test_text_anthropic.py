"""Anthropic Messages protocol: request models, translation, and the SSE sequence read by the SDK."""

import json

import anthropic
import httpx2 as httpx
import pytest
from pydantic import ValidationError

from orchard_sidecar.protocol.anthropic import (
    AnthropicRequestError,
    CountTokensRequest,
    MessagesRequest,
    error_body,
    error_event,
    sse,
    to_chat_request,
    validation_message,
)
from orchard_sidecar.protocol.anthropic_stream import AnthropicStream, build_message
from orchard_sidecar.text.events import (
    ContentDelta,
    Finish,
    ReasoningDelta,
    ToolCallDelta,
    ToolCallEnd,
    ToolCallStart,
)

CLAUDE_CODE_LIKE = {
    "model": "local", "max_tokens": 1024, "stream": True,
    "system": [{"type": "text", "text": "You are helpful.", "cache_control": {"type": "ephemeral"}},
               {"type": "text", "text": "Be brief."}],
    "messages": [
        {"role": "user", "content": "What's the weather in Paris?"},
        {"role": "assistant", "content": [
            {"type": "thinking", "thinking": "Need the tool.", "signature": "sig"},
            {"type": "text", "text": "Checking."},
            {"type": "tool_use", "id": "toolu_1", "name": "get_weather", "input": {"city": "Paris"}}]},
        {"role": "user", "content": [
            {"type": "tool_result", "tool_use_id": "toolu_1", "content": [{"type": "text", "text": "18C"}]},
            {"type": "text", "text": "Thanks, and Rome?"}]},
    ],
    "tools": [{"name": "get_weather", "description": "Weather", "input_schema": {
        "type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}],
    "tool_choice": {"type": "auto"},
    "thinking": {"type": "enabled", "budget_tokens": 512},
    "stop_sequences": ["\n\nHuman:"], "temperature": 0.0, "top_p": 0.9, "top_k": 40,
    "metadata": {"user_id": "u"}, "unknown_future_field": 1,
}


def test_translation_of_a_full_agent_turn():
    chat = to_chat_request(MessagesRequest.model_validate(CLAUDE_CODE_LIKE))
    assert chat.messages == [
        {"role": "system", "content": "You are helpful.\n\nBe brief."},
        {"role": "user", "content": "What's the weather in Paris?"},
        {"role": "assistant", "content": "Checking.", "reasoning_content": "Need the tool.",
         "tool_calls": [{"id": "toolu_1", "type": "function",
                         "function": {"name": "get_weather", "arguments": {"city": "Paris"}}}]},
        {"role": "tool", "tool_call_id": "toolu_1", "content": "18C"},
        {"role": "user", "content": "Thanks, and Rome?"},
    ]
    assert chat.tools[0]["function"]["name"] == "get_weather"
    assert chat.tools[0]["function"]["parameters"]["required"] == ["city"]
    assert chat.tool_choice == "auto"
    assert (chat.enable_thinking, chat.reasoning_budget) == (True, 512)
    assert chat.stop == ["\n\nHuman:"] and chat.temperature == 0.0 and chat.top_k == 40
    assert chat.max_tokens == 1024 and chat.stream is True


@pytest.mark.parametrize("choice,expected", [
    ({"type": "any"}, "required"), ({"type": "none"}, "none"),
    ({"type": "tool", "name": "get_weather"}, {"type": "function", "function": {"name": "get_weather"}}),
])
def test_tool_choice(choice, expected):
    body = {**CLAUDE_CODE_LIKE, "tool_choice": choice}
    assert to_chat_request(MessagesRequest.model_validate(body)).tool_choice == expected


def test_simple_and_disabled_thinking_and_error_results():
    req = MessagesRequest.model_validate({
        "model": "m", "max_tokens": 5, "system": "sys", "thinking": {"type": "disabled"},
        "messages": [{"role": "user", "content": [
            {"type": "tool_result", "tool_use_id": "t", "content": "boom", "is_error": True}]}]})
    chat = to_chat_request(req)
    assert chat.messages == [{"role": "system", "content": "sys"},
                             {"role": "tool", "tool_call_id": "t", "content": "Error: boom"}]
    assert chat.enable_thinking is False and chat.reasoning_budget is None


@pytest.mark.parametrize("body,msg", [
    ({"model": "m", "messages": [{"role": "user", "content": "x"}]}, "max_tokens"),
    ({"model": "m", "max_tokens": 0, "messages": [{"role": "user", "content": "x"}]}, "max_tokens"),
    ({"model": "m", "max_tokens": 5, "messages": []}, "messages"),
    ({"model": "m", "max_tokens": 5, "messages": [{"role": "tool", "content": "x"}]}, "role"),
    ({"model": "m", "max_tokens": 5, "messages": [{"role": "user", "content": [{"type": "bogus"}]}]}, "type"),
    ({"model": "m", "max_tokens": 5, "tool_choice": {"type": "sometimes"},
      "messages": [{"role": "user", "content": "x"}]}, "tool_choice"),
])
def test_schema_errors(body, msg):
    with pytest.raises(ValidationError) as e:
        MessagesRequest.model_validate(body)
    assert msg in validation_message(e.value)


@pytest.mark.parametrize("body,msg", [
    ({"model": "m", "max_tokens": 5, "thinking": {"type": "enabled", "budget_tokens": 10},
      "messages": [{"role": "user", "content": "x"}]}, "less than max_tokens"),
    ({"model": "m", "max_tokens": 50, "thinking": {"type": "enabled"},
      "messages": [{"role": "user", "content": "x"}]}, "budget_tokens"),
    ({"model": "m", "max_tokens": 5, "tool_choice": {"type": "tool", "name": "nope"},
      "messages": [{"role": "user", "content": "x"}]}, "unknown tool"),
    ({"model": "m", "max_tokens": 5, "messages": [{"role": "system", "content": "only instructions"}]},
     "at least one user or assistant turn"),
])
def test_unservable_requests(body, msg):
    with pytest.raises(AnthropicRequestError, match=msg):
        to_chat_request(MessagesRequest.model_validate(body))


def test_images_become_openai_image_parts_also_inside_tool_results():
    # Claude Code sends screenshots as tool results; whether the model can read them is decided later
    # (a text-only model answers 400, see test_http_vision.py).
    chat = to_chat_request(MessagesRequest.model_validate({
        "model": "m", "max_tokens": 5, "messages": [
            {"role": "user", "content": [
                {"type": "tool_result", "tool_use_id": "t", "content": [
                    {"type": "text", "text": "shot:"},
                    {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "AA=="}}]},
                {"type": "image", "source": {"type": "url", "url": "https://example.com/a.png"}},
                {"type": "text", "text": "what is this?"}]}]}))
    assert chat.messages == [
        {"role": "tool", "tool_call_id": "t", "content": [
            {"type": "text", "text": "shot:"},
            {"type": "image_url", "image_url": {"url": "data:image/png;base64,AA=="}}]},
        {"role": "user", "content": [
            {"type": "image_url", "image_url": {"url": "https://example.com/a.png"}},
            {"type": "text", "text": "what is this?"}]},
    ]


def test_system_messages_inside_messages_stay_in_order_and_billing_header_is_dropped():
    # What Claude Code 2.1 sends: a per-request billing line as the first system block, and system
    # messages among the turns.
    chat = to_chat_request(MessagesRequest.model_validate({
        "model": "m", "max_tokens": 5,
        "system": [{"type": "text", "text": "x-anthropic-billing-header: cc_version=2.1.1.abc; cc_entrypoint=cli; cch=1f2e3;"},
                   {"type": "text", "text": "You are Claude Code.", "cache_control": {"type": "ephemeral"}}],
        "messages": [
            {"role": "user", "content": "hi"},
            {"role": "system", "content": [{"type": "text", "text": "MCP server instructions"}]},
            {"role": "assistant", "content": "hello"},
            {"role": "system", "content": "reminder"},
            {"role": "user", "content": "go"}]}))
    assert chat.messages == [
        {"role": "system", "content": "You are Claude Code."},
        {"role": "user", "content": "hi"},
        {"role": "system", "content": "MCP server instructions"},
        {"role": "assistant", "content": "hello"},
        {"role": "system", "content": "reminder"},
        {"role": "user", "content": "go"},
    ]
    as_string = to_chat_request(MessagesRequest.model_validate({
        "model": "m", "max_tokens": 5, "system": "x-anthropic-billing-header: cch=00000;\nBe brief.",
        "messages": [{"role": "user", "content": "hi"}]}))
    assert as_string.messages[0] == {"role": "system", "content": "Be brief."}


@pytest.mark.parametrize("extra,enable,effort,budget", [
    ({"thinking": {"type": "adaptive"}, "output_config": {"effort": "low"}}, True, "low", None),
    ({"thinking": {"type": "adaptive"}, "output_config": {"effort": "max"}}, True, "high", None),
    ({"thinking": {"type": "disabled"}, "output_config": {"effort": "high"}}, False, None, None),
    ({"thinking": {"type": "enabled", "budget_tokens": 64}, "output_config": {"effort": "medium"}}, True, "medium", 64),
    ({"output_config": {"effort": "unheard-of"}, "context_management": {"edits": [{"type": "clear_tool_uses_20250919"}]}},
     None, None, None),
])
def test_claude_code_reasoning_controls_are_accepted_and_mapped(extra, enable, effort, budget):
    chat = to_chat_request(MessagesRequest.model_validate(
        {"model": "m", "max_tokens": 500, "messages": [{"role": "user", "content": "x"}], **extra}))
    assert (chat.enable_thinking, chat.reasoning_effort, chat.reasoning_budget) == (enable, effort, budget)


def test_count_tokens_request_needs_no_max_tokens():
    req = CountTokensRequest.model_validate({"model": "m", "messages": [{"role": "user", "content": "hi"}]})
    assert to_chat_request(req).max_tokens is None


def test_error_shapes():
    assert error_body("bad") == {"type": "error", "error": {"type": "invalid_request_error", "message": "bad"}}
    ev = error_event("overloaded", "overloaded_error")
    assert ev.startswith("event: error\ndata: ") and ev.endswith("\n\n")
    assert json.loads(ev.split("data: ", 1)[1])["error"]["type"] == "overloaded_error"
    assert sse("ping", {"type": "ping"}) == 'event: ping\ndata: {"type":"ping"}\n\n'


EVENTS = [
    ReasoningDelta("Need "), ReasoningDelta("weather."),
    ContentDelta("Let me "), ContentDelta("check."),
    ToolCallStart(0, "call_abc", "get_weather"), ToolCallDelta(0, '{"city": '), ToolCallDelta(0, '"Rome"}'), ToolCallEnd(0),
    ToolCallStart(1, "call_def", "get_weather"), ToolCallDelta(1, '{"city": "Oslo"}'), ToolCallEnd(1),
    Finish("tool_calls", None, {"prompt_tokens": 12, "completion_tokens": 30}),
]


def frames(events, **kw):
    s = AnthropicStream(model="local", input_tokens=12, **kw)
    return s.start() + s.feed_all(events)


def parse_frames(text):
    out = []
    for block in text.strip().split("\n\n"):
        ev, data = block.split("\n")
        assert ev.startswith("event: ") and data.startswith("data: ")
        payload = json.loads(data[6:])
        assert payload["type"] == ev[7:]
        out.append(payload)
    return out


def test_event_sequence_event_by_event():
    seq = parse_frames("".join(frames(EVENTS)))
    kinds = [(p["type"], p.get("index"), (p.get("delta") or p.get("content_block") or {}).get("type")) for p in seq]
    assert kinds == [
        ("message_start", None, None), ("ping", None, None),
        ("content_block_start", 0, "thinking"), ("content_block_delta", 0, "thinking_delta"),
        ("content_block_delta", 0, "thinking_delta"), ("content_block_delta", 0, "signature_delta"),
        ("content_block_stop", 0, None),
        ("content_block_start", 1, "text"), ("content_block_delta", 1, "text_delta"),
        ("content_block_delta", 1, "text_delta"), ("content_block_stop", 1, None),
        ("content_block_start", 2, "tool_use"), ("content_block_delta", 2, "input_json_delta"),
        ("content_block_delta", 2, "input_json_delta"), ("content_block_stop", 2, None),
        ("content_block_start", 3, "tool_use"), ("content_block_delta", 3, "input_json_delta"),
        ("content_block_stop", 3, None),
        ("message_delta", None, None), ("message_stop", None, None),
    ]
    assert seq[-2]["delta"] == {"stop_reason": "tool_use", "stop_sequence": None}
    assert seq[-2]["usage"]["output_tokens"] == 30
    assert seq[11]["content_block"] == {"type": "tool_use", "id": "toolu_abc", "name": "get_weather", "input": {}}


def sdk_client(handler):
    return anthropic.Anthropic(api_key="test", base_url="http://sidecar.local",
                               http_client=httpx.Client(transport=httpx.MockTransport(handler)))


def test_official_sdk_accumulates_our_stream():
    body = "".join(frames(EVENTS)).encode()

    def handler(request):
        return httpx.Response(200, content=body, headers={"content-type": "text/event-stream"})

    client = sdk_client(handler)
    with client.messages.stream(model="local", max_tokens=100, messages=[{"role": "user", "content": "hi"}]) as stream:
        texts = list(stream.text_stream)
        msg = stream.get_final_message()
    assert "".join(texts) == "Let me check."
    assert [b.type for b in msg.content] == ["thinking", "text", "tool_use", "tool_use"]
    assert msg.content[0].thinking == "Need weather." and msg.content[0].signature
    assert msg.content[2].input == {"city": "Rome"} and msg.content[3].input == {"city": "Oslo"}
    assert msg.content[2].id == "toolu_abc"
    assert msg.stop_reason == "tool_use" and msg.usage.output_tokens == 30 and msg.usage.input_tokens == 12
    assert msg.usage.cache_read_input_tokens == 0 and msg.usage.cache_creation_input_tokens == 0


def test_cached_prompt_tokens_are_cache_reads_in_start_delta_and_message():
    usage = {"prompt_tokens": 100, "completion_tokens": 3, "prompt_tokens_details": {"cached_tokens": 60}}
    s = AnthropicStream(model="m", input_tokens=100, cached_tokens=60)
    seq = parse_frames("".join(s.start() + s.feed_all([ContentDelta("x"), Finish("stop", None, usage)])))
    split = {"input_tokens": 40, "cache_creation_input_tokens": 0, "cache_read_input_tokens": 60}
    assert seq[0]["message"]["usage"] == {**split, "output_tokens": 0}
    assert seq[-2]["usage"] == {**split, "output_tokens": 3}
    assert build_message([ContentDelta("x"), Finish("stop", None, usage)], model="m", input_tokens=100,
                         cached_tokens=60)["usage"] == {**split, "output_tokens": 3}
    # message_start went out before the cache lookup: message_delta still has the final split.
    late = AnthropicStream(model="m", input_tokens=100)
    late.start()
    assert parse_frames("".join(late.feed(Finish("stop", None, usage))))[0]["usage"] == {**split, "output_tokens": 3}


def test_official_sdk_reads_non_streaming_message_and_stop_sequence():
    events = [ContentDelta("Hello"), Finish("stop", "\n\nHuman:", {"completion_tokens": 3})]
    payload = build_message(events, model="local", input_tokens=4, stop_sequences=["\n\nHuman:"])

    def handler(request):
        return httpx.Response(200, json=payload)

    msg = sdk_client(handler).messages.create(model="local", max_tokens=10, messages=[{"role": "user", "content": "x"}])
    assert msg.content[0].text == "Hello"
    assert (msg.stop_reason, msg.stop_sequence) == ("stop_sequence", "\n\nHuman:")
    assert msg.usage.input_tokens == 4 and msg.usage.output_tokens == 3
    assert msg.id.startswith("msg_")


@pytest.mark.parametrize("finish,reason", [
    (Finish("stop"), "end_turn"), (Finish("length"), "max_tokens"), (Finish("tool_calls"), "tool_use"),
    (Finish("stop", 7), "end_turn"), (Finish("stop", "<|im_end|>"), "end_turn"),
])
def test_stop_reasons(finish, reason):
    msg = build_message([ContentDelta("x"), finish], model="m", stop_sequences=["END"])
    assert msg["stop_reason"] == reason and msg["stop_sequence"] is None


def test_empty_answer_and_error_mid_stream():
    s = AnthropicStream(model="m")
    out = s.start() + s.feed(Finish("stop"))
    seq = parse_frames("".join(out))
    assert [p["type"] for p in seq] == ["message_start", "ping", "message_delta", "message_stop"]
    s2 = AnthropicStream(model="m")
    s2.start()
    s2.feed(ContentDelta("partial"))
    err = s2.error("engine failed")
    assert parse_frames("".join(err))[0] == {"type": "error", "error": {"type": "api_error", "message": "engine failed"}}
    assert s2.feed(Finish("stop")) == []


def test_sdk_raises_on_our_error_event():
    body = "".join(AnthropicStream(model="m").start() + [error_event("overloaded now", "overloaded_error")]).encode()

    def handler(request):
        return httpx.Response(200, content=body, headers={"content-type": "text/event-stream"})

    with pytest.raises(anthropic.APIStatusError, match="overloaded now"):
        with sdk_client(handler).messages.stream(model="m", max_tokens=5, messages=[{"role": "user", "content": "x"}]) as st:
            st.get_final_message()


def test_error_body_is_what_the_sdk_reads():
    def handler(request):
        return httpx.Response(400, json=error_body("max_tokens: Field required"))

    with pytest.raises(anthropic.BadRequestError) as e:
        sdk_client(handler).messages.create(model="m", max_tokens=1, messages=[{"role": "user", "content": "x"}])
    assert "Field required" in str(e.value)
