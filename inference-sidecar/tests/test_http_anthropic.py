"""POST /v1/messages and /v1/messages/count_tokens on the real sidecar, with raw SSE and the official
Anthropic SDK: the exact event sequence, thinking blocks, tool use and an agent loop, stops, errors.
"""

from __future__ import annotations

import json

import anthropic
import httpx
import pytest
from conftest import scripted

GO = [{"role": "user", "content": "Weather in Paris?"}]


def tools_of(entry) -> list[dict]:
    return [{"name": t["function"]["name"], "description": t["function"]["description"],
             "input_schema": t["function"]["parameters"]} for t in entry["tools"]]


def raw_events(sidecar, body: dict) -> list[tuple[str, dict]]:
    """(event name, data) pairs of a streamed /v1/messages, checking the event:/data: framing."""
    headers = {"x-api-key": sidecar.secret, "anthropic-version": "2023-06-01"}
    with httpx.stream("POST", f"{sidecar.url}/v1/messages", json={**body, "stream": True}, headers=headers,
                      timeout=60) as r:
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/event-stream")
        text = r.read().decode()
    out = []
    for frame in text.strip().split("\n\n"):
        name, data = frame.split("\n")
        assert name.startswith("event: ") and data.startswith("data: ")
        payload = json.loads(data[6:])
        assert payload["type"] == name[7:]
        out.append((name[7:], payload))
    return out


def shape(events) -> list[tuple]:
    return [(n, p.get("index"), (p.get("delta") or p.get("content_block") or {}).get("type")) for n, p in events]


def test_thinking_then_text_event_by_event(sidecar, manifest):
    entry = scripted(manifest, "scripted-reasoner")
    events = raw_events(sidecar, {"model": entry["repo_id"], "max_tokens": 64, "messages": GO, "temperature": 0})
    s = shape(events)
    n_think = sum(1 for e in s if e[2] == "thinking_delta")
    n_text = sum(1 for e in s if e[2] == "text_delta")
    assert s == [
        ("message_start", None, None), ("ping", None, None),
        ("content_block_start", 0, "thinking"), *[("content_block_delta", 0, "thinking_delta")] * n_think,
        ("content_block_delta", 0, "signature_delta"), ("content_block_stop", 0, None),
        ("content_block_start", 1, "text"), *[("content_block_delta", 1, "text_delta")] * n_text,
        ("content_block_stop", 1, None), ("message_delta", None, None), ("message_stop", None, None),
    ]
    data = [p for _, p in events]
    assert "".join(p["delta"].get("thinking", "") for p in data if p["type"] == "content_block_delta") == \
        entry["reasoning"]
    assert "".join(p["delta"].get("text", "") for p in data if p["type"] == "content_block_delta") == entry["content"]
    start = data[0]["message"]
    assert start["role"] == "assistant" and start["content"] == [] and start["usage"]["input_tokens"] > 0
    assert data[-2]["delta"] == {"stop_reason": "end_turn", "stop_sequence": None}
    assert data[-2]["usage"]["output_tokens"] == entry["greedy_tokens"] + 1


def test_tool_use_event_by_event(sidecar, manifest):
    entry = scripted(manifest, "scripted-tools-qwen3-coder")
    events = raw_events(sidecar, {"model": entry["repo_id"], "max_tokens": 64, "messages": GO,
                                  "tools": tools_of(entry), "temperature": 0})
    s = [e for e in shape(events) if e[2] != "text_delta"]
    assert s == [
        ("message_start", None, None), ("ping", None, None),
        ("content_block_start", 0, "text"), ("content_block_stop", 0, None),
        ("content_block_start", 1, "tool_use"), ("content_block_delta", 1, "input_json_delta"),
        ("content_block_stop", 1, None), ("message_delta", None, None), ("message_stop", None, None),
    ]
    data = [p for _, p in events]
    block = next(p["content_block"] for p in data if p["type"] == "content_block_start" and p["index"] == 1)
    assert block["name"] == "get_weather" and block["id"].startswith("toolu_") and block["input"] == {}
    args = "".join(p["delta"]["partial_json"] for p in data if p.get("delta", {}).get("type") == "input_json_delta")
    assert json.loads(args) == entry["tool_calls"][0]["arguments"]
    assert data[-2]["delta"]["stop_reason"] == "tool_use"


@pytest.mark.parametrize("kind", ["scripted-tools-hermes", "scripted-tools-hermes-parallel", "scripted-tools-qwen3-coder",
                                  "scripted-tools-glm", "scripted-tools-llama3", "scripted-tools-mistral-args",
                                  "scripted-harmony-tools"])
def test_sdk_stream_and_create_agree(anth, manifest, kind):
    entry = scripted(manifest, kind)
    kw = dict(model=entry["repo_id"], max_tokens=64, messages=GO, tools=tools_of(entry), extra_body={"temperature": 0})
    with anth.messages.stream(**kw) as stream:
        text = "".join(stream.text_stream)
        streamed = stream.get_final_message()
    whole = anth.messages.create(**kw)
    for msg in (streamed, whole):
        assert msg.stop_reason == "tool_use"
        uses = [b for b in msg.content if b.type == "tool_use"]
        assert [{"name": u.name, "arguments": u.input} for u in uses] == entry["tool_calls"]
        assert "".join(b.text for b in msg.content if b.type == "text") == entry["content"]
    assert text == entry["content"]


def test_agent_loop_with_tool_result_continues(anth, manifest):
    """As Claude Code drives it: system blocks, tool_use → tool_result → the next turn is generated."""
    entry = scripted(manifest, "scripted-tools-hermes")
    system = [{"type": "text", "text": "You are a helpful agent.", "cache_control": {"type": "ephemeral"}}]
    kw = dict(model=entry["repo_id"], max_tokens=64, system=system, tools=tools_of(entry),
              extra_body={"temperature": 0})
    messages = list(GO)
    first = anth.messages.create(messages=messages, **kw)
    assert first.stop_reason == "tool_use"
    use = next(b for b in first.content if b.type == "tool_use")
    messages += [{"role": "assistant", "content": [b.model_dump(exclude_none=True) for b in first.content]},
                 {"role": "user", "content": [{"type": "tool_result", "tool_use_id": use.id,
                                               "content": [{"type": "text", "text": "21 C, sunny"}]}]}]
    n = anth.messages.count_tokens(model=entry["repo_id"], messages=messages, system=system, tools=tools_of(entry))
    with anth.messages.stream(messages=messages, **kw) as stream:
        second = stream.get_final_message()
    # The second turn starts from the first one's kept KV: Anthropic's split, cache reads apart.
    prompt = lambda m: m.usage.input_tokens + m.usage.cache_read_input_tokens  # noqa: E731
    assert prompt(second) == n.input_tokens > prompt(first)
    assert second.usage.cache_read_input_tokens > 0 and second.usage.cache_creation_input_tokens == 0
    assert second.stop_reason == "tool_use"  # the scripted model calls again; the loop keeps going
    messages += [{"role": "assistant", "content": [b.model_dump(exclude_none=True) for b in second.content]},
                 {"role": "user", "content": [{"type": "tool_result", "tool_use_id": second.content[-1].id,
                                               "content": "still sunny", "is_error": False},
                                              {"type": "text", "text": "Thanks"}]}]
    third = anth.messages.create(messages=messages, **kw)
    assert prompt(third) > prompt(second)


def test_stop_sequence_and_thinking_budget(anth, manifest):
    entry = scripted(manifest, "scripted-reasoner")
    msg = anth.messages.create(model=entry["repo_id"], max_tokens=64, messages=GO, stop_sequences=["6,", "zz"],
                               extra_body={"temperature": 0})
    assert msg.stop_reason == "stop_sequence" and msg.stop_sequence == "6,"
    assert msg.content[0].type == "thinking" and msg.content[0].thinking == entry["reasoning"]
    assert msg.content[1].text == entry["content"].split("6,")[0]
    budget = anth.messages.create(model=entry["repo_id"], max_tokens=64, messages=GO,
                                  thinking={"type": "enabled", "budget_tokens": 4}, extra_body={"temperature": 0})
    assert budget.content[0].thinking != entry["reasoning"] and entry["reasoning"].startswith(budget.content[0].thinking)
    assert budget.content[1].text == entry["content"] and budget.stop_reason == "end_turn"
    off = anth.messages.create(model=entry["repo_id"], max_tokens=64, messages=GO, thinking={"type": "disabled"},
                               extra_body={"temperature": 0})
    assert [b.type for b in off.content] == ["text"] and off.content[0].text == entry["no_thinking"]["content"]
    cut = anth.messages.create(model=entry["repo_id"], max_tokens=3, messages=GO, extra_body={"temperature": 0})
    assert cut.stop_reason == "max_tokens"


def test_errors_are_anthropic_shaped(sidecar, anth, manifest):
    model = scripted(manifest, "scripted-reasoner")["repo_id"]
    bad_key = anthropic.Anthropic(base_url=sidecar.url, api_key="wrong", max_retries=0)
    with pytest.raises(anthropic.AuthenticationError) as e:
        bad_key.messages.create(model=model, max_tokens=4, messages=GO)
    assert e.value.body == {"type": "error", "error": {"type": "authentication_error",
                                                       "message": "Missing or invalid bearer token."}}
    with pytest.raises(anthropic.NotFoundError) as e:
        anth.messages.create(model="orchard-fixtures/no-such-model", max_tokens=4, messages=GO)
    assert e.value.body["type"] == "error" and e.value.body["error"]["type"] == "not_found_error"
    with pytest.raises(anthropic.BadRequestError) as e:
        anth.messages.create(model=model, max_tokens=4, messages=[{"role": "robot", "content": "x"}])
    assert e.value.body["error"]["type"] == "invalid_request_error"
    with pytest.raises(anthropic.BadRequestError) as e:
        anth.messages.create(model=model, max_tokens=4, messages=GO, thinking={"type": "enabled", "budget_tokens": 9})
    assert "budget_tokens" in e.value.body["error"]["message"]
    headers = {"x-api-key": sidecar.secret, "content-type": "application/json"}
    for path, body in [("/v1/messages", b"{not json"), ("/v1/messages/count_tokens", b"[]")]:
        r = httpx.post(f"{sidecar.url}{path}", content=body, headers=headers)
        assert r.status_code == 400 and r.json()["type"] == "error"
    r = httpx.get(f"{sidecar.url}/v1/messages", headers=headers)
    assert r.status_code == 405 and r.json()["error"]["type"] == "invalid_request_error"
    # The OpenAI routes keep their own shape.
    r = httpx.post(f"{sidecar.url}/v1/chat/completions", headers={"x-api-key": "wrong"}, json={})
    assert r.status_code == 401 and r.json()["error"]["code"] == "invalid_api_key"
