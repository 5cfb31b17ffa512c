"""Bad input gets the right status and an OpenAI error object; the process stays up."""

from __future__ import annotations

import httpx
import pytest
from conftest import chat_body

M = "orchard-fixtures/random-llama"
CHAT = "/v1/chat/completions"
COMP = "/v1/completions"


def ok_chat(**kw):
    return {**chat_body(M, "hi", max_tokens=2, temperature=0), **kw}


# (name, method, path, json body or raw bytes, extra headers, status, param, type)
CASES = [
    ("no auth header", "POST", CHAT, ok_chat(), {"Authorization": ""}, 401, None, "authentication_error"),
    ("wrong secret", "POST", CHAT, ok_chat(), {"Authorization": "Bearer nope"}, 401, None, "authentication_error"),
    ("basic auth scheme", "GET", "/v1/models", None, {"Authorization": "Basic Zm9vOmJhcg=="}, 401, None,
     "authentication_error"),
    ("admin without auth", "GET", "/admin/memory", None, {"Authorization": ""}, 401, None, "authentication_error"),
    ("invalid json", "POST", CHAT, b"{not json", {}, 400, None, "invalid_request_error"),
    ("json array body", "POST", CHAT, [1, 2], {}, 400, None, "invalid_request_error"),
    ("empty body", "POST", CHAT, b"", {}, 400, None, "invalid_request_error"),
    ("missing model", "POST", CHAT, {"messages": [{"role": "user", "content": "x"}]}, {}, 400, "model",
     "invalid_request_error"),
    ("missing messages", "POST", CHAT, {"model": M}, {}, 400, "messages", "invalid_request_error"),
    ("empty messages", "POST", CHAT, {"model": M, "messages": []}, {}, 400, "messages", "invalid_request_error"),
    ("bad role", "POST", CHAT, {"model": M, "messages": [{"role": "wizard", "content": "x"}]}, {}, 400,
     "messages[0].role", "invalid_request_error"),
    ("temperature negative", "POST", CHAT, ok_chat(temperature=-1), {}, 400, "temperature", "invalid_request_error"),
    ("temperature too high", "POST", CHAT, ok_chat(temperature=5), {}, 400, "temperature", "invalid_request_error"),
    ("temperature string", "POST", CHAT, ok_chat(temperature="hot"), {}, 400, "temperature", "invalid_request_error"),
    ("top_p zero", "POST", CHAT, ok_chat(top_p=0), {}, 400, "top_p", "invalid_request_error"),
    ("top_k negative", "POST", CHAT, ok_chat(top_k=-3), {}, 400, "top_k", "invalid_request_error"),
    ("max_tokens zero", "POST", CHAT, ok_chat(max_tokens=0), {}, 400, "max_tokens", "invalid_request_error"),
    ("max_completion_tokens negative", "POST", CHAT, ok_chat(max_completion_tokens=-5), {}, 400,
     "max_completion_tokens", "invalid_request_error"),
    ("n greater than one", "POST", CHAT, ok_chat(n=3), {}, 400, "n", "invalid_request_error"),
    ("logit_bias not a token id", "POST", CHAT, ok_chat(logit_bias={"abc": 1}), {}, 400, "logit_bias",
     "invalid_request_error"),
    ("logit_bias out of vocab", "POST", CHAT, ok_chat(logit_bias={"99999999": 1}), {}, 400, "logit_bias",
     "invalid_request_error"),
    ("logit_bias value too big", "POST", CHAT, ok_chat(logit_bias={"5": 1000}), {}, 400, "logit_bias",
     "invalid_request_error"),
    ("stop_token_ids out of vocab", "POST", CHAT, ok_chat(stop_token_ids=[10**9]), {}, 400, "stop_token_ids",
     "invalid_request_error"),
    ("unknown model", "POST", CHAT, ok_chat(model="nobody/nothing"), {}, 404, "model", "not_found_error"),
    ("path traversal model", "POST", CHAT, ok_chat(model="../../etc"), {}, 404, "model", "not_found_error"),
    ("absolute path not a model", "POST", CHAT, ok_chat(model="/etc"), {}, 404, "model", "not_found_error"),
    ("content wrong type", "POST", CHAT, {"model": M, "messages": [{"role": "user", "content": 5}]}, {}, 400,
     "messages[0].content", "invalid_request_error"),
    ("bad chat_template_kwargs", "POST", CHAT, ok_chat(chat_template_kwargs=[1]), {}, 400, "chat_template_kwargs",
     "invalid_request_error"),
    ("completion empty prompt", "POST", COMP, {"model": M, "prompt": ""}, {}, 400, "prompt", "invalid_request_error"),
    ("completion token out of vocab", "POST", COMP, {"model": M, "prompt": [1, 10**8], "max_tokens": 2}, {}, 400,
     "prompt", "invalid_request_error"),
    ("completion echo", "POST", COMP, {"model": M, "prompt": "x", "echo": True}, {}, 400, "echo",
     "invalid_request_error"),
    ("stream not a bool", "POST", CHAT, ok_chat(stream="maybe"), {}, 400, "stream", "invalid_request_error"),
    ("unknown endpoint", "GET", "/v1/nothing", None, {}, 404, None, "not_found_error"),
    ("wrong method", "GET", CHAT, None, {}, 405, None, "invalid_request_error"),
    ("load unknown field", "POST", "/admin/models/load", {"model": M, "pinned": True}, {}, 400, "pinned",
     "invalid_request_error"),
    ("load unknown model", "POST", "/admin/models/load", {"model": "no/such"}, {}, 404, "model", "not_found_error"),
    ("unload not loaded", "POST", "/admin/models/unload", {"model": "no/such"}, {}, 404, "model",
     "not_found_error"),
    ("memory limit zero", "PUT", "/admin/memory", {"limit_bytes": 0}, {}, 400, "limit_bytes",
     "invalid_request_error"),
    ("gguf bad repo id", "POST", "/admin/models/import-gguf", {"path": "/x.gguf", "repo_id": "no slash"}, {}, 400,
     "repo_id", "invalid_request_error"),
    ("body too large", "POST", CHAT, b"x" * (17 * 1024 * 1024), {}, 413, None,
     "invalid_request_error"),
]


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_bad_input(sidecar, case):
    _, method, path, body, headers, status, param, kind = case
    kwargs: dict = {"headers": {**sidecar.headers, **headers}}
    if isinstance(body, bytes):
        kwargs["content"] = body
        kwargs["headers"]["Content-Type"] = "application/json"
    elif body is not None:
        kwargs["json"] = body
    if kwargs["headers"].get("Authorization") == "":
        del kwargs["headers"]["Authorization"]
    r = httpx.request(method, sidecar.url + path, timeout=60, **kwargs)
    assert r.status_code == status, r.text
    error = r.json()["error"]
    assert set(error) == {"message", "type", "param", "code"}
    assert error["message"]
    assert error["type"] == kind
    assert error["param"] == param


def test_chat_template_error_is_422(sidecar, qwen3):
    # Qwen3's template iterates an assistant turn's `tool_calls`; a number there makes jinja raise.
    messages = [{"role": "user", "content": "x"},
                {"role": "assistant", "content": "", "tool_calls": 5},
                {"role": "user", "content": "y"}]
    body = {"model": qwen3["repo_id"], "messages": messages, "max_tokens": 2}
    r = sidecar.client.post(CHAT, json=body)
    assert r.status_code == 422, r.text
    error = r.json()["error"]
    assert error["param"] == "messages" and "chat template" in error["message"]


def test_health_needs_no_secret_and_process_survives(sidecar):
    r = httpx.get(sidecar.url + "/health")
    assert r.status_code == 200 and r.json()["status"] == "ok"
    assert sidecar.proc.poll() is None
    ok = sidecar.client.post(CHAT, json=ok_chat())
    assert ok.status_code == 200, ok.text
    assert ok.json()["choices"][0]["message"]["role"] == "assistant"


def test_gguf_import_of_a_bad_file_is_422_and_writes_nothing(sidecar, fixture_cache, tmp_path):
    before = sorted(p.name for p in fixture_cache.iterdir())
    bogus = tmp_path / "bogus.gguf"
    bogus.write_bytes(b"this is not a gguf file at all")
    for path in (str(bogus), str(tmp_path / "missing.gguf")):
        r = sidecar.client.post("/admin/models/import-gguf", json={"path": path, "repo_id": "local/bogus"})
        assert r.status_code == 422, r.text
        error = r.json()["error"]
        assert error["code"] == "gguf_import_failed" and error["param"] == "path"
    assert sorted(p.name for p in fixture_cache.iterdir()) == before
