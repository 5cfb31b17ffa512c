"""What agent clients (Claude Code above all) send and read, on the real sidecar: system messages inside
`messages`, prefix-cache usage in Anthropic's split, pings while a long prompt is prefilled, and the
window rule (refused with the numbers before any compute, or the oldest turns dropped) in both APIs."""

from __future__ import annotations

import json

import httpx
import openai
import pytest
from conftest import scripted

LLAMA = "orchard-fixtures/random-llama"  # window 4096 (its config), a Llama 3 template
SYSTEM = "You are a coding agent. " + " ".join(f"rule{i} applies" for i in range(60))


def words(n: int, tag: str = "w") -> str:
    """About 8 tokens per pair for the fixture tokenizer."""
    return " ".join(f"{tag}{i} banana" for i in range(n))


def count(anth, model: str, messages: list, system=None) -> int:
    kw = {"system": system} if system is not None else {}
    return anth.messages.count_tokens(model=model, messages=messages, **kw).input_tokens


def raw_events(sidecar, body: dict) -> list[tuple[str, dict]]:
    headers = {"x-api-key": sidecar.secret, "anthropic-version": "2023-06-01"}
    with httpx.stream("POST", f"{sidecar.url}/v1/messages", json={**body, "stream": True}, headers=headers,
                      timeout=120) as r:
        assert r.status_code == 200, r.read()
        text = r.read().decode()
    out = []
    for frame in text.strip().split("\n\n"):
        name, data = frame.split("\n")
        out.append((name[len("event: "):], json.loads(data[len("data: "):])))
    return out


# ---- system messages inside messages -----------------------------------------------------------

MID = [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello"},
       {"role": "system", "content": "Remember: be brief."}, {"role": "user", "content": "go"}]
WITHOUT = [m for m in MID if m["role"] != "system"]


@pytest.mark.parametrize("kind,in_place", [("scripted-tools-hermes", True), ("scripted-tools-mistral", False)])
def test_system_messages_inside_messages_are_accepted_and_placed_as_the_template_allows(anth, manifest, kind,
                                                                                     in_place):
    model = scripted(manifest, kind)["repo_id"]
    msg = anth.messages.create(model=model, max_tokens=8, system="You are an agent.", messages=MID)
    assert msg.type == "message" and msg.usage.output_tokens > 0
    mid = count(anth, model, MID, "You are an agent.")
    folded = count(anth, model, WITHOUT, "You are an agent.\n\nRemember: be brief.")
    # ChatML shows a later system turn where it is; Mistral's template would drop it, so it is folded
    # into the system prompt instead (the same tokens as if the client had put it there).
    assert (mid != folded) if in_place else (mid == folded)


def test_billing_header_never_reaches_the_prompt(anth, manifest):
    model = scripted(manifest, "scripted-tools-hermes")["repo_id"]
    plain = [{"type": "text", "text": "You are an agent."}]
    billed = [{"type": "text", "text": "x-anthropic-billing-header: cc_version=2.1.9.a1b; cc_entrypoint=cli; cch=3e1f0;"},
              *plain]
    assert count(anth, model, WITHOUT, billed) == count(anth, model, WITHOUT, plain)


# ---- prefix-cache usage --------------------------------------------------------------------------

def test_second_call_reads_the_shared_prefix_from_the_cache(sidecar, anth):
    system = [{"type": "text", "text": "x-anthropic-billing-header: cc_version=2.1.9.a1b; cch=00001;"},
              {"type": "text", "text": SYSTEM, "cache_control": {"type": "ephemeral"}}]
    first = anth.messages.create(model=LLAMA, max_tokens=4, system=system,
                                 messages=[{"role": "user", "content": "first question"}])
    total1 = count(anth, LLAMA, [{"role": "user", "content": "first question"}], system)
    assert first.usage.input_tokens + first.usage.cache_read_input_tokens == total1
    # Claude Code's billing line changes every request; it is not in the prompt, so the prefix holds.
    system[0]["text"] = "x-anthropic-billing-header: cc_version=2.1.9.a1b; cch=00002;"
    second = [{"role": "user", "content": "second question, longer"}]
    events = raw_events(sidecar, {"model": LLAMA, "max_tokens": 4, "system": system, "messages": second})
    start = events[0][1]["message"]["usage"]
    delta = next(p for n, p in events if n == "message_delta")["usage"]
    total2 = count(anth, LLAMA, second, system)
    assert start["cache_read_input_tokens"] > 200  # the system prompt at least
    assert start["input_tokens"] + start["cache_read_input_tokens"] == total2
    assert start["cache_creation_input_tokens"] == delta["cache_creation_input_tokens"] == 0
    assert {k: delta[k] for k in start if k != "output_tokens"} == {k: v for k, v in start.items()
                                                                     if k != "output_tokens"}
    assert delta["output_tokens"] > 0


def test_pings_while_a_long_prompt_is_prefilled(make_sidecar):
    sc = make_sidecar(["--ping-seconds", "0.02"])
    events = raw_events(sc, {"model": LLAMA, "max_tokens": 2, "messages": [
        {"role": "user", "content": words(300)}]})
    names = [n for n, _ in events]
    first_output = next(i for i, n in enumerate(names) if n in ("content_block_start", "message_delta"))
    assert names[0] == "message_start"
    # One ping follows message_start as Anthropic sends it; more come while the prompt is computed.
    assert names[1:first_output].count("ping") >= 2, names[:first_output]
    assert names[-1] == "message_stop"


# ---- the window ----------------------------------------------------------------------------------

def long_messages() -> list[dict]:
    return [{"role": "user", "content": words(600)}]  # > 4096 tokens


def test_a_prompt_longer_than_the_window_is_refused_with_the_numbers_in_both_shapes(sidecar, oai, anth):
    messages = long_messages()
    n = count(anth, LLAMA, messages)
    assert n > 4096
    expected = f"The prompt is {n} tokens; {LLAMA}'s window is 4096"
    with pytest.raises(openai.BadRequestError) as e:
        oai.chat.completions.create(model=LLAMA, messages=messages, max_tokens=8)
    err = e.value.body
    assert err["code"] == "context_length_exceeded" and err["message"].startswith(expected), err
    r = httpx.post(f"{sidecar.url}/v1/messages", headers={"x-api-key": sidecar.secret},
                   json={"model": LLAMA, "max_tokens": 8, "messages": messages}, timeout=60)
    assert r.status_code == 400
    body = r.json()
    assert body["type"] == "error" and body["error"]["type"] == "invalid_request_error"
    assert body["error"]["message"].startswith(expected)
    # Refused before any compute: nothing was admitted to the engine for it.
    assert not [line for line in sidecar.lines if line.get("event") == "sequence_failed"]


def conversation() -> list[dict]:
    """Five old turns of ~1000 tokens each, then the question: ~5000 tokens in a 4096 window."""
    out = []
    for t in range(5):
        out += [{"role": "user", "content": words(70, f"u{t}_")}, {"role": "assistant", "content": words(70, f"a{t}_")}]
    return out + [{"role": "user", "content": "and now?"}]


def expected_after_drop(anth, messages: list[dict], system: str, room: int) -> tuple[int, int]:
    """(turns dropped, prompt tokens) that drop_oldest must arrive at: the fewest oldest turns."""
    for k in range(1, 6):
        n = count(anth, LLAMA, messages[2 * k:], system)
        if n + room <= 4096:
            return k, n
    raise AssertionError("the fixture conversation never fits")


def test_drop_oldest_keeps_the_system_prompt_and_the_question_in_both_apis(sidecar, oai, anth):
    messages = conversation()
    system = "Answer briefly."
    assert count(anth, LLAMA, messages, system) > 4096
    k, n = expected_after_drop(anth, messages, system, room=8)
    assert 1 <= k < 5
    chat = oai.chat.completions.create(
        model=LLAMA, max_tokens=8, messages=[{"role": "system", "content": system}, *messages],
        extra_body={"context_overflow": "drop_oldest"})
    assert chat.usage.prompt_tokens == n
    msg = anth.messages.create(model=LLAMA, max_tokens=8, system=system, messages=messages,
                               extra_body={"context_overflow": "drop_oldest"})
    assert msg.usage.input_tokens + msg.usage.cache_read_input_tokens == n
    dropped = [line for line in sidecar.lines if line.get("event") == "context_overflow_dropped"]
    assert dropped[-1]["turns"] == k and dropped[-1]["prompt_tokens"] == n
    # Refusal stays the default.
    with pytest.raises(openai.BadRequestError, match="window is 4096"):
        oai.chat.completions.create(model=LLAMA, max_tokens=8, messages=messages)


# ---- what listings show --------------------------------------------------------------------------

def test_admin_models_describe_each_model_from_its_files(sidecar, manifest):
    hermes = scripted(manifest, "scripted-tools-hermes")["repo_id"]
    assert sidecar.client.post("/v1/chat/completions", json={
        "model": hermes, "max_tokens": 1, "messages": [{"role": "user", "content": "hi"}]}).status_code == 200
    rows = {r["id"]: r for r in sidecar.client.get("/admin/models").json()["data"]}
    llama = rows[LLAMA]
    assert (llama["architecture"], llama["context_window"]) == ("llama", 4096)
    assert llama["capabilities"][0] == "completion"
    assert "tools" in rows[scripted(manifest, "scripted-tools-hermes")["repo_id"]]["capabilities"]
    assert "thinking" in rows[scripted(manifest, "scripted-reasoner")["repo_id"]]["capabilities"]
    assert "thinking" not in rows[scripted(manifest, "scripted-tools-hermes")["repo_id"]]["capabilities"]
    # Loaded: the live tokenizer decides, and agrees with the files.
    assert rows[hermes]["loaded"] and rows[hermes]["capabilities"] == ["completion", "tools"]
