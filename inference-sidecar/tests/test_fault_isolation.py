"""One sequence's fault fails that sequence alone: the rest of its batch finishes as if alone.

A sidecar started through tests/fault_sidecar.py makes one marked request's logits processor,
grammar, sampler, detokenizer or stop matcher raise mid-generation while three other streams
decode in the same batch on a real fixture model; those three must match their solo outputs.
"""

from __future__ import annotations

import json
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from conftest import Sidecar, chat_body, read_sse

PROMPTS = ["the quick brown fox", "1 2 3 4", "tell me a story"]
# Long enough that the three are still decoding when the failing request joins and fails.
MAX_TOKENS = 400
# (part that fails, protocol of the failing stream)
FAULTS = [
    ("logits_processor", "openai"),
    ("grammar", "openai"),
    ("sampler", "openai"),
    ("detokenizer", "openai"),
    ("stop_matcher", "openai"),
    ("logits_processor", "anthropic"),
]


@pytest.fixture(scope="module")
def faulty(manifest, fixture_cache):
    sc = Sidecar(fixture_cache, launcher=[str(Path(__file__).with_name("fault_sidecar.py"))])
    yield sc
    sc.client.close()
    sc.stop()


def _body(model: str, content: str, **kw) -> dict:
    return chat_body(model, content, max_tokens=MAX_TOKENS, temperature=0, stream=True, **kw)


def _run(sc, body: dict, started: threading.Event | None = None) -> dict:
    """Stream one chat completion: its text, finish reason, token count and when it ended."""
    text, finish, usage = "", None, None
    with sc.client.stream("POST", "/v1/chat/completions",
                          json={**body, "stream_options": {"include_usage": True}}) as r:
        assert r.status_code == 200, r.read()
        for line in r.iter_lines():  # as they come: `started` must fire while this one decodes
            if not line.startswith("data: "):
                continue
            if line == "data: [DONE]":
                break
            event = json.loads(line[len("data: "):])
            assert "error" not in event, event
            if event.get("usage"):
                usage = event["usage"]["completion_tokens"]
            for choice in event["choices"]:
                text += choice["delta"].get("content") or ""
                finish = choice["finish_reason"] or finish
                if started is not None and choice["delta"].get("content"):
                    started.set()
    return {"text": text, "finish": finish, "tokens": usage, "ended": time.monotonic()}


@pytest.fixture(scope="module")
def solo(faulty, llama):
    return [_run(faulty, _body(llama["repo_id"], p)) for p in PROMPTS]


def _failing_stream(sc, model: str, part: str, protocol: str) -> tuple[str, float]:
    """The marked request's stream: the error it ended with and when."""
    content = f"FAULT:{part} write something"
    if protocol == "anthropic":
        body = {"model": model, "max_tokens": MAX_TOKENS, "temperature": 0, "stream": True,
                "messages": [{"role": "user", "content": content}]}
        with sc.client.stream("POST", "/v1/messages", json=body) as r:
            assert r.status_code == 200
            lines = [line for line in r.iter_lines() if line]
        assert lines[-2] == "event: error", lines[-4:]
        return lines[-1], time.monotonic()
    extra = {"response_format": {"type": "json_object"}} if part == "grammar" else {}
    with sc.client.stream("POST", "/v1/chat/completions", json=_body(model, content, **extra)) as r:
        assert r.status_code == 200
        events = read_sse(r)
    assert events[-1] == "[DONE]"
    assert "error" in events[-2], events[-3:]
    return events[-2]["error"]["message"], time.monotonic()


@pytest.mark.parametrize(("part", "protocol"), FAULTS, ids=[f"{p}-{q}" for p, q in FAULTS])
def test_a_fault_fails_its_sequence_alone(faulty, llama, solo, part, protocol):
    model = llama["repo_id"]
    batch_failures = len(faulty.events("generation_failed"))
    started = [threading.Event() for _ in PROMPTS]
    with ThreadPoolExecutor(len(PROMPTS) + 1) as pool:
        good = [pool.submit(_run, faulty, _body(model, p), s)
                for p, s in zip(PROMPTS, started, strict=True)]
        # The failing request joins a batch where all three are already decoding.
        for s in started:
            assert s.wait(60)
        bad = pool.submit(_failing_stream, faulty, model, part, protocol)
        message, failed_at = bad.result()
        together = [f.result() for f in good]
    assert f"injected {part} fault" in message
    strip = [{k: v for k, v in r.items() if k != "ended"} for r in together]
    assert strip == [{k: v for k, v in r.items() if k != "ended"} for r in solo]
    # The fault came while the others were still decoding, so they really shared its batch.
    assert failed_at < min(r["ended"] for r in together)
    assert faulty.client.get("/health").json()["status"] == "ok"
    assert len(faulty.events("generation_failed")) == batch_failures
