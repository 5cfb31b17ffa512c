"""Requests one careless or hostile client can send, and the answers that keep everyone else whole:
negative seeds, caller-supplied chat templates and tokenizer arguments, tools without a function,
unbounded max_tokens, bodies as large as the gateway takes, and upgrades without the secret.
"""

from __future__ import annotations

import asyncio
import json
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from conftest import chat_body, read_sse

from orchard_sidecar.guard import DEFAULT_MAX_BODY_BYTES, Guard

CHAT = "/v1/chat/completions"


def _chat(sc, body: dict) -> dict:
    r = sc.client.post(CHAT, json=body)
    assert r.status_code == 200, r.text
    return r.json()


def _stream_text(sc, body: dict) -> str:
    with sc.client.stream("POST", CHAT, json={**body, "stream": True}) as r:
        assert r.status_code == 200
        events = read_sse(r)
    assert events[-1] == "[DONE]" and "error" not in events[-2], events[-2:]
    chunks = [e for e in events[:-1] if e["choices"]]
    return "".join(e["choices"][0]["delta"].get("content") or "" for e in chunks)


# ---- finding 1: seed -1 --------------------------------------------------------------------------

def test_negative_seed_means_no_seed_and_hurts_no_one(sidecar, llama):
    model = llama["repo_id"]
    greedy = chat_body(model, "the quick brown fox", max_tokens=200, temperature=0)
    alone = _chat(sidecar, greedy)["choices"][0]["message"]["content"]
    seeded = chat_body(model, "sample", max_tokens=24, temperature=0.8, seed=-1)
    with ThreadPoolExecutor(4) as pool:
        together = pool.submit(_stream_text, sidecar, greedy)
        random = [pool.submit(_chat, sidecar, seeded) for _ in range(3)]
        texts = {f.result()["choices"][0]["message"]["content"] for f in random}
        assert together.result() == alone
    # -1 is "no seed": a fresh random key each time, as OpenAI treats it.
    assert len(texts) > 1


def test_seed_beyond_64_bits_is_400(sidecar, llama):
    body = chat_body(llama["repo_id"], "x", max_tokens=2, temperature=0.5, seed=2**64)
    r = sidecar.client.post(CHAT, json=body)
    assert r.status_code == 400, r.text
    assert r.json()["error"]["param"] == "seed"


# ---- finding 2: chat_template_kwargs -------------------------------------------------------------

FORBIDDEN_KWARGS = [
    {"chat_template": "{% for m in messages %}{{ m.content }}{% endfor %}"},
    {"tokenize": True},
    {"add_generation_prompt": False},
    {"continue_final_message": True},
    {"tools": []},
    {"documents": [{"text": "x"}]},
    {"return_dict": True},
    {"return_assistant_tokens_mask": True},
    {"padding": True},
    {"some_other_switch": 1},
]


@pytest.mark.parametrize("kwargs", FORBIDDEN_KWARGS, ids=[next(iter(k)) for k in FORBIDDEN_KWARGS])
def test_chat_template_kwargs_outside_the_switches_are_400(sidecar, qwen3, kwargs):
    key = next(iter(kwargs))
    body = chat_body(qwen3["repo_id"], "x", max_tokens=1, temperature=0,
                     chat_template_kwargs=kwargs)
    r = sidecar.client.post(CHAT, json=body)
    assert r.status_code == 400, r.text
    error = r.json()["error"]
    assert error["param"] == "chat_template_kwargs" and error["type"] == "invalid_request_error"
    assert f"'{key}'" in error["message"]
    # The Anthropic endpoint answers in its own shape.
    body = {"model": qwen3["repo_id"], "max_tokens": 1, "chat_template_kwargs": kwargs,
            "messages": [{"role": "user", "content": "x"}]}
    r = sidecar.client.post("/v1/messages", json=body)
    assert r.status_code == 400, r.text
    out = r.json()
    assert out["type"] == "error" and out["error"]["type"] == "invalid_request_error"
    assert f"'{key}'" in out["error"]["message"]


@pytest.mark.parametrize("kwargs", [{"enable_thinking": {"a": 1}}, {"thinking": [True]},
                                    {"reasoning_effort": "extreme"}])
def test_chat_template_switches_take_simple_values_only(sidecar, qwen3, kwargs):
    key = next(iter(kwargs))
    body = chat_body(qwen3["repo_id"], "x", max_tokens=1, temperature=0,
                     chat_template_kwargs=kwargs)
    r = sidecar.client.post(CHAT, json=body)
    assert r.status_code == 400, r.text
    assert r.json()["error"]["param"] == f"chat_template_kwargs.{key}"


def test_chat_template_switches_reach_the_template_on_both_apis(sidecar, qwen3):
    def openai_tokens(kwargs):
        body = chat_body(qwen3["repo_id"], "think?", max_tokens=1, temperature=0,
                         chat_template_kwargs=kwargs)
        return _chat(sidecar, body)["usage"]["prompt_tokens"]

    def anthropic_tokens(kwargs):
        body = {"model": qwen3["repo_id"], "messages": [{"role": "user", "content": "think?"}],
                "chat_template_kwargs": kwargs}
        r = sidecar.client.post("/v1/messages/count_tokens", json=body)
        assert r.status_code == 200, r.text
        return r.json()["input_tokens"]

    on = {"enable_thinking": True, "thinking": True, "reasoning_effort": "low"}
    off = {**on, "enable_thinking": False}
    assert openai_tokens(off) > openai_tokens(on)
    assert anthropic_tokens(off) > anthropic_tokens(on)


# ---- finding 4 (issue's 9): tools, max_tokens, body size, upgrades ------------------------------

@pytest.mark.parametrize(("tools", "param"), [
    ([{"type": "function"}], "tools[0].function"),
    ([{"type": "function", "function": {}}], "tools[0].function.name"),
    ([{"type": "function", "function": {"name": ""}}], "tools[0].function.name"),
    ([{"type": "function", "function": {"name": "f", "parameters": 5}}],
     "tools[0].function.parameters"),
    ([{"function": {"name": "f"}}], "tools[0].type"),
    (["f"], "tools[0]"),
], ids=["no-function", "no-name", "empty-name", "parameters-not-object", "no-type",
        "not-an-object"])
def test_tools_without_a_function_are_400(sidecar, qwen3, tools, param):
    body = chat_body(qwen3["repo_id"], "x", max_tokens=2, temperature=0, tools=tools)
    r = sidecar.client.post(CHAT, json=body)
    assert r.status_code == 400, r.text
    assert r.json()["error"]["param"] == param


def test_max_tokens_is_bounded_by_the_model_window(sidecar, llama):
    # random-llama has no profile context_length; its config says max_position_embeddings 4096.
    body = {"model": llama["repo_id"], "prompt": [5] * 4090, "temperature": 0, "max_tokens": 10**9,
            "logit_bias": {"66": 100}}
    r = httpx.post(sidecar.url + "/v1/completions", json=body, headers=sidecar.headers, timeout=60)
    assert r.status_code == 200, r.text
    out = r.json()
    assert out["usage"]["completion_tokens"] == 6 and out["choices"][0]["finish_reason"] == "length"
    r = sidecar.client.post("/v1/completions", json={**body, "prompt": [5] * 4100, "max_tokens": 1})
    assert r.status_code == 400, r.text
    error = r.json()["error"]
    assert error["code"] == "context_length_exceeded" and error["param"] == "prompt"
    assert "4100" in error["message"] and "4096" in error["message"]


def test_body_limit_matches_the_gateway(sidecar, llama):
    # The gateway's gateway.maxBodyBytes default is 16 MiB; a body it forwards must not be 413 here.
    assert DEFAULT_MAX_BODY_BYTES == 16 * 1024 * 1024
    body = {**chat_body(llama["repo_id"], "hi", max_tokens=1, temperature=0),
            "padding": "x" * (12 << 20)}
    r = sidecar.client.post(CHAT, json=body)
    assert r.status_code == 200, r.text[:300]


def test_upgrade_requests_need_the_secret(sidecar):
    headers = {"Connection": "Upgrade", "Upgrade": "websocket", "Sec-WebSocket-Version": "13",
               "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ=="}
    r = httpx.get(sidecar.url + "/v1/models", headers=headers, timeout=30)
    assert r.status_code == 401


def _asgi(guard: Guard, scope: dict, first: dict) -> list[dict]:
    sent: list[dict] = []

    async def receive():
        return first

    async def send(message):
        sent.append(message)

    asyncio.run(guard(scope, receive, send))
    return sent


def test_guard_refuses_websockets_and_unknown_scopes_without_the_secret():
    reached: list[str] = []

    async def app(scope, receive, send):
        reached.append(scope["type"])

    guard = Guard(app, "s3cret")
    ws = {"type": "websocket", "path": "/v1/models", "headers": [], "query_string": b""}
    sent = _asgi(guard, ws, {"type": "websocket.connect"})
    assert reached == [] and sent and sent[0]["type"] == "websocket.close"
    _asgi(guard, {"type": "somethingelse", "path": "/", "headers": []}, {"type": "x"})
    assert reached == []
    authed = {**ws, "headers": [(b"authorization", b"Bearer s3cret")]}
    _asgi(guard, authed, {"type": "websocket.connect"})
    _asgi(guard, {"type": "lifespan"}, {"type": "lifespan.startup"})
    assert reached == ["websocket", "lifespan"]


# ---- lone surrogates: valid JSON escapes, invalid text -------------------------------------------

@pytest.mark.parametrize("path", [CHAT, "/v1/messages", "/v1/messages/count_tokens", "/v1/completions"])
def test_a_lone_surrogate_is_read_as_a_replacement_character(sidecar, llama, path):
    text = "hi \ud800 there"
    if path == "/v1/completions":
        body = {"model": llama["repo_id"], "prompt": text, "max_tokens": 2, "temperature": 0}
    else:
        body = {"model": llama["repo_id"], "max_tokens": 2, "temperature": 0,
                "messages": [{"role": "user", "content": text}]}
    raw = json.dumps(body)  # ensure_ascii keeps the surrogate as the escape \ud800
    r = sidecar.client.post(path, content=raw, headers={"content-type": "application/json"})
    if path == "/v1/completions":  # FastAPI's own validation of a plain string field refuses it
        assert r.status_code == 400 and r.json()["error"]["param"] == "prompt", r.text
    else:
        assert r.status_code == 200, r.text
