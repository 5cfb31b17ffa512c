"""Vision over HTTP on the LLaVA fixture through the official OpenAI and Anthropic clients: images as data
URLs and http URLs (fetched with a User-Agent, size-capped, no redirect to a private address), the
text-only refusal, and the same text control (stops, JSON) on a vision model's output."""

from __future__ import annotations

import base64
import io
import json
import threading
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import anthropic
import openai
import pytest
from conftest import scripted
from PIL import Image

from orchard_sidecar.vision.loader import eos_token_ids

BIG = 20 * 1024 * 1024


def png(color: str, size=(40, 30)) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", size, color).save(buf, format="PNG")
    return buf.getvalue()


def data_url(data: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(data).decode()


class _Images(BaseHTTPRequestHandler):
    seen_agents: list[str] = []

    def do_GET(self):  # noqa: N802 (http.server's name)
        agent = self.headers.get("User-Agent", "")
        type(self).seen_agents.append(agent)
        if not agent or agent.lower().startswith("python-urllib"):
            return self._send(403, b"no user agent, no image", "text/plain")
        if self.path == "/red.png":
            return self._send(200, png("red"), "image/png")
        if self.path == "/big.png":
            return self._send(200, b"\0" * BIG, "image/png")
        if self.path == "/text":
            return self._send(200, b"not a picture", "text/plain")
        if self.path == "/hop":
            self.send_response(302)
            self.send_header("Location", f"http://127.0.0.1:{self.server.server_port}/red.png")
            self.end_headers()
            return None
        return self._send(404, b"missing", "text/plain")

    def _send(self, status: int, body: bytes, ctype: str):
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        try:
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def image_server():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Images)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def vision(manifest) -> str:
    return scripted(manifest, "vision-llava")["repo_id"]


def ask(oai, model: str, url: str, text: str = "What is in this picture?", **kw):
    return oai.chat.completions.create(
        model=model, temperature=0, max_tokens=kw.pop("max_tokens", 8),
        messages=[{"role": "user", "content": [{"type": "image_url", "image_url": {"url": url}},
                                               {"type": "text", "text": text}]}], **kw)


def test_data_url_image_is_read_and_changes_the_answer(oai, vision):
    red = ask(oai, vision, data_url(png("red")))
    blue = ask(oai, vision, data_url(png("blue")))
    again = ask(oai, vision, data_url(png("red")))
    assert red.choices[0].message.content and red.usage.completion_tokens == 8
    assert red.choices[0].message.content == again.choices[0].message.content  # greedy: same picture, same answer
    assert red.choices[0].message.content != blue.choices[0].message.content  # the picture reached the model
    plain = oai.chat.completions.create(model=vision, temperature=0, max_tokens=8,
                                        messages=[{"role": "user", "content": "What is in this picture?"}])
    # 28 px in 14 px patches: the one <image> token becomes 4 image positions.
    assert red.usage.prompt_tokens > plain.usage.prompt_tokens


def test_http_url_is_fetched_with_a_user_agent(oai, vision, image_server):
    fetched = ask(oai, vision, f"{image_server}/red.png")
    inline = ask(oai, vision, data_url(png("red")))
    assert fetched.choices[0].message.content == inline.choices[0].message.content
    assert _Images.seen_agents and _Images.seen_agents[-1].startswith("Orchard/")


@pytest.mark.parametrize("path,words", [
    ("/big.png", "larger than the 10485760-byte limit"),
    ("/text", "not an image"),
    ("/missing.png", "HTTP 404"),
    ("/hop", "redirects to a private or local address"),
])
def test_remote_image_failures_are_a_400_naming_the_image(oai, vision, image_server, path, words):
    with pytest.raises(openai.BadRequestError) as e:
        ask(oai, vision, f"{image_server}{path}")
    message = e.value.body["message"]
    assert f"image 1 ({image_server}{path})" in message and words in message


def test_bad_data_url_and_scheme_are_400(oai, vision):
    with pytest.raises(openai.BadRequestError, match="base64 data is not valid"):
        ask(oai, vision, "data:image/png;base64,@@@@")
    with pytest.raises(openai.BadRequestError, match="only data: and http"):
        ask(oai, vision, "file:///etc/passwd")


def test_text_only_model_refuses_an_image(oai, anth, llama):
    with pytest.raises(openai.BadRequestError) as e:
        ask(oai, llama["repo_id"], data_url(png("red")))
    assert "reads text only" in e.value.body["message"] and e.value.body["code"] == "model_not_vision"
    with pytest.raises(anthropic.BadRequestError, match="reads text only"):
        anth.messages.create(model=llama["repo_id"], max_tokens=4, messages=[{"role": "user", "content": [
            {"type": "image", "source": {"type": "base64", "media_type": "image/png",
                                         "data": base64.b64encode(png("red")).decode()}}]}])


def test_anthropic_image_blocks_base64_url_and_inside_tool_result(anth, oai, vision, image_server):
    b64 = base64.b64encode(png("red")).decode()
    inline = anth.messages.create(model=vision, max_tokens=8, extra_body={"temperature": 0}, messages=[{"role": "user", "content": [
        {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": b64}},
        {"type": "text", "text": "What is in this picture?"}]}])
    by_url = anth.messages.create(model=vision, max_tokens=8, extra_body={"temperature": 0}, messages=[{"role": "user", "content": [
        {"type": "image", "source": {"type": "url", "url": f"{image_server}/red.png"}},
        {"type": "text", "text": "What is in this picture?"}]}])
    assert inline.content[0].text and inline.content[0].text == by_url.content[0].text
    assert inline.content[0].text == ask(oai, vision, data_url(png("red"))).choices[0].message.content
    tool = anth.messages.create(model=vision, max_tokens=8, extra_body={"temperature": 0}, messages=[
        {"role": "user", "content": "Take a screenshot."},
        {"role": "assistant", "content": [{"type": "tool_use", "id": "t1", "name": "shot", "input": {}}]},
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "t1", "content": [
            {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": b64}}]}]}])
    assert tool.usage.input_tokens > 0 and tool.content


def test_stops_and_json_apply_to_a_vision_models_output(oai, vision):
    url = data_url(png("green"))
    full = ask(oai, vision, url, max_tokens=16).choices[0].message.content
    stop = full[len(full) // 2:len(full) // 2 + 2]
    cut = ask(oai, vision, url, max_tokens=16, stop=[stop])
    assert cut.choices[0].finish_reason == "stop" and stop not in cut.choices[0].message.content
    assert full.startswith(cut.choices[0].message.content)
    schema = {"type": "object", "properties": {"color": {"enum": ["red", "green"]}}, "required": ["color"],
              "additionalProperties": False}
    out = ask(oai, vision, url, max_tokens=40,
              response_format={"type": "json_schema", "json_schema": {"name": "c", "schema": schema}})
    assert json.loads(out.choices[0].message.content)["color"] in ("red", "green")


def test_concurrent_vision_requests_queue_and_each_gets_its_own_answer(oai, vision):
    colors = ["red", "blue", "red", "blue"]
    with ThreadPoolExecutor(4) as pool:
        answers = list(pool.map(lambda c: ask(oai, vision, data_url(png(c))).choices[0].message.content, colors))
    assert answers[0] == answers[2] and answers[1] == answers[3] and answers[0] != answers[1]


def test_eos_comes_from_the_generation_config_or_tokenizer_when_the_config_has_none(manifest):
    folder = Path(scripted(manifest, "vision-llava")["path"])
    config = json.loads((folder / "config.json").read_text())
    assert "eos_token_id" not in config  # like the checkpoints whose Processor has no eos_token_id

    class Tok:
        eos_token_id = 9

    generation = json.loads((folder / "generation_config.json").read_text())["eos_token_id"]
    assert eos_token_ids(folder, config, Tok()) == sorted({*generation, 9})
    assert eos_token_ids(folder / "nowhere", config, Tok()) == [9]


def test_vision_capability_is_listed_on_disk_and_when_loaded(sidecar, oai, vision, llama):
    def caps() -> dict:
        return {m["id"]: m["capabilities"] for m in sidecar.client.get("/admin/models").json()["data"]}

    assert "vision" in caps()[vision] and "vision" not in caps()[llama["repo_id"]]
    ask(oai, vision, data_url(png("red")))  # loaded now: the row comes from the live model
    row = next(m for m in sidecar.client.get("/admin/models").json()["data"] if m["id"] == vision)
    assert row["loaded"] and "vision" in row["capabilities"] and "completion" in row["capabilities"]
    assert "llava" in sidecar.client.get("/admin/capabilities").json()["model_types"]


def test_eos_from_the_generation_config_ends_a_vision_answer(oai, vision, manifest):
    # The model's config (and so mlx-vlm's Processor) names no EOS; forcing the generation config's
    # end-of-turn token must still end the answer as a stop, not run on to max_tokens.
    folder = Path(scripted(manifest, "vision-llava")["path"])
    eot = json.loads((folder / "generation_config.json").read_text())["eos_token_id"][-1]
    out = ask(oai, vision, data_url(png("red")), max_tokens=30, logit_bias={str(eot): 100})
    assert out.choices[0].finish_reason == "stop" and out.choices[0].message.content == ""
    assert out.usage.completion_tokens == 1


def test_a_forced_tool_call_comes_back_parsed_from_a_vision_model(oai, vision):
    tools = [{"type": "function", "function": {"name": "describe", "parameters": {
        "type": "object", "properties": {"color": {"type": "string", "enum": ["red", "blue"]}},
        "required": ["color"], "additionalProperties": False}}}]
    out = ask(oai, vision, data_url(png("blue")), max_tokens=60, tools=tools, tool_choice="required")
    call = out.choices[0].message.tool_calls[0]
    assert out.choices[0].finish_reason == "tool_calls" and call.function.name == "describe"
    assert json.loads(call.function.arguments)["color"] in ("red", "blue")


def test_a_vision_model_lives_in_the_same_pool_ttl_lru_and_pin(make_sidecar, vision, llama):
    sc = make_sidecar()
    base = sc.client.get("/admin/memory").json()["active_bytes"]
    r = sc.client.post("/admin/models/load", json={"model": vision, "ttl_seconds": 0.5})
    assert r.status_code == 200 and r.json()["footprint_bytes"] > 0
    footprint = r.json()["footprint_bytes"]
    assert [e["model"] for e in sc.wait_events("model_unloaded")] == [vision]
    assert sc.events("model_unloaded")[0]["reason"] == "ttl"
    assert sc.client.get("/admin/memory").json()["active_bytes"] - base < footprint // 100
    # Loaded again just in time by a request; then one model at most: the idle vision model is evicted
    # for the text model, unless pinned.
    body = {"model": vision, "max_tokens": 2, "temperature": 0, "messages": [{"role": "user", "content": [
        {"type": "image_url", "image_url": {"url": data_url(png("red"))}}, {"type": "text", "text": "hi"}]}]}
    assert sc.client.post("/v1/chat/completions", json=body).status_code == 200
    assert sc.client.put("/admin/memory", json={"max_models": 1}).status_code == 200
    assert sc.client.post("/admin/models/load", json={"model": llama["repo_id"]}).status_code == 200
    assert [e["model"] for e in sc.wait_events("model_unloaded", 2)][-1] == vision
    assert sc.client.post("/admin/models/load", json={"model": vision, "pin": True}).status_code == 200
    r = sc.client.post("/admin/models/load", json={"model": "orchard-fixtures/random-qwen3"})
    assert r.status_code == 409 and vision in r.json()["error"]["message"]


def test_queued_behind_a_long_answer_then_its_disconnect_frees_the_slot(sidecar, vision):
    import time

    import httpx

    def active() -> int:
        return sidecar.client.get("/admin/memory").json()["active_sequences"]

    def wait_active(want: int) -> int:
        for _ in range(400):  # a bound on waiting, 50 ms apart; not a timing assertion
            if active() == want:
                break
            time.sleep(0.05)
        return active()

    def body(**kw) -> dict:
        return {"model": vision, "temperature": 0, "messages": [{"role": "user", "content": [
            {"type": "image_url", "image_url": {"url": data_url(png("red"))}},
            {"type": "text", "text": "Tell me everything."}]}], **kw}

    queued_before = len(sidecar.events("vision_queued"))
    assert sidecar.events("vision_cancelled") == []
    with ThreadPoolExecutor(1) as pool, httpx.Client(base_url=sidecar.url, headers=sidecar.headers,
                                                    timeout=60) as client:
        with client.stream("POST", "/v1/chat/completions", json=body(max_tokens=10**7, stream=True)) as r:
            assert r.status_code == 200
            lines = r.iter_lines()
            assert any(next(lines).startswith("data: ") for _ in range(4))
            second = pool.submit(lambda: httpx.post(f"{sidecar.url}/v1/chat/completions", json=body(max_tokens=3),
                                                    headers=sidecar.headers, timeout=60))
            assert wait_active(2) == 2  # one running, one waiting its turn
            assert len(sidecar.wait_events("vision_queued", queued_before + 1)) == queued_before + 1
        # The client went away: its generation is cancelled and the queued request runs.
        answer = second.result()
    assert answer.status_code == 200 and answer.json()["usage"]["completion_tokens"] == 3
    assert wait_active(0) == 0
    (cancelled,) = sidecar.wait_events("vision_cancelled")
    assert 0 < cancelled["tokens"] < 4000  # stopped long before its window would have ended it


@pytest.mark.parametrize("stream", [False, True])
def test_reasoning_is_split_from_a_vision_models_answer(oai, manifest, stream):
    entry = scripted(manifest, "scripted-vision-reasoner")
    out = ask(oai, entry["repo_id"], data_url(png("red")), text="Count to nine", max_tokens=64, stream=stream)
    if stream:
        deltas = [c.choices[0].delta for c in out if c.choices]
        reasoning = "".join(getattr(d, "reasoning_content", None) or "" for d in deltas)
        content = "".join(d.content or "" for d in deltas)
    else:
        reasoning, content = out.choices[0].message.reasoning_content, out.choices[0].message.content
    assert (reasoning, content) == (entry["reasoning"], entry["content"])


def test_reasoning_budget_and_anthropic_thinking_on_a_vision_model(oai, anth, manifest):
    entry = scripted(manifest, "scripted-vision-reasoner")
    short = ask(oai, entry["repo_id"], data_url(png("blue")), max_tokens=64, extra_body={"reasoning_budget": 3})
    assert short.choices[0].message.content == entry["content"]
    assert short.usage.completion_tokens_details.reasoning_tokens <= 3 + 2  # <think>, 3 thoughts, </think>
    msg = anth.messages.create(model=entry["repo_id"], max_tokens=64, messages=[{"role": "user", "content": [
        {"type": "image", "source": {"type": "base64", "media_type": "image/png",
                                     "data": base64.b64encode(png("blue")).decode()}},
        {"type": "text", "text": "Count to nine"}]}])
    assert [b.type for b in msg.content] == ["thinking", "text"]
    assert (msg.content[0].thinking, msg.content[1].text) == (entry["reasoning"], entry["content"])
