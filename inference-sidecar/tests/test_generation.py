"""Generation through the real sidecar: greedy parity with mlx-lm, streaming, seeds, batching."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from conftest import chat_body, read_sse
from mlx_lm import load, stream_generate

PROMPTS = [
    "hello", "the quick brown fox", "1 2 3 4", "tell me a story", "zzz", "Orchard on MLX",
    "a somewhat longer prompt so that the batch holds different prompt lengths together", "?",
]


def chat(sc, body) -> dict:
    r = sc.client.post("/v1/chat/completions", json=body)
    assert r.status_code == 200, r.text
    return r.json()


def stream_chat(sc, body) -> list:
    with sc.client.stream("POST", "/v1/chat/completions", json={**body, "stream": True}) as r:
        assert r.status_code == 200
        assert r.headers["content-type"].startswith("text/event-stream")
        return read_sse(r)


def streamed_text(events) -> str:
    return "".join(e["choices"][0]["delta"].get("content") or "" for e in events[:-1] if e["choices"])


@pytest.fixture(scope="module")
def ref_model(llama):
    return load(llama["path"])


@pytest.fixture(scope="module")
def reference(ref_model):
    """mlx-lm in this process, greedy: the text and token count it generates for a chat prompt."""
    model, tokenizer = ref_model

    def run(content: str, max_tokens: int) -> tuple[str, int]:
        prompt = tokenizer.apply_chat_template([{"role": "user", "content": content}], add_generation_prompt=True)
        text, count = "", 0
        for resp in stream_generate(model, tokenizer, prompt, max_tokens=max_tokens):
            text += resp.text
            count = resp.generation_tokens
        return text, count

    return run


def test_greedy_matches_mlx_lm_in_process(sidecar, llama, reference):
    for content in PROMPTS[:3]:
        expected_text, expected_count = reference(content, 24)
        out = chat(sidecar, chat_body(llama["repo_id"], content, max_tokens=24, temperature=0))
        assert out["choices"][0]["message"]["content"] == expected_text
        # mlx-lm counts the EOS it stopped on in generation_tokens, as we count it in usage.
        assert out["usage"]["completion_tokens"] == expected_count
        assert out["choices"][0]["finish_reason"] == ("length" if expected_count == 24 else "stop")


def test_streaming_and_non_streaming_agree_at_temperature_zero(sidecar, llama):
    body = chat_body(llama["repo_id"], "stream me", max_tokens=30, temperature=0)
    whole = chat(sidecar, body)
    events = stream_chat(sidecar, {**body, "stream_options": {"include_usage": True}})
    assert events[-1] == "[DONE]"
    events = events[:-1]
    assert events[0]["choices"][0]["delta"]["role"] == "assistant"
    usage_chunk = events[-1]
    assert usage_chunk["choices"] == []
    # The same counts; only the reuse differs: the second request found the first one's KV cache.
    streamed_usage = dict(usage_chunk["usage"])
    assert streamed_usage.pop("prompt_tokens_details") == {"cached_tokens": whole["usage"]["prompt_tokens"] - 1}
    assert streamed_usage == {k: v for k, v in whole["usage"].items() if k != "prompt_tokens_details"}
    final = events[-2]["choices"][0]
    assert final["finish_reason"] == whole["choices"][0]["finish_reason"]
    assert all(e["usage"] is None for e in events[:-1])
    text = "".join(e["choices"][0]["delta"].get("content") or "" for e in events[:-1])
    assert text == whole["choices"][0]["message"]["content"]
    assert len({e["id"] for e in events}) == 1


def test_stream_without_include_usage_has_no_usage(sidecar, llama):
    events = stream_chat(sidecar, chat_body(llama["repo_id"], "x", max_tokens=3, temperature=0))
    assert events[-1] == "[DONE]"
    assert all("usage" not in e for e in events[:-1])
    assert events[-2]["choices"][0]["finish_reason"] == "length"


def test_same_seed_same_text_and_different_seeds_differ(sidecar, llama):
    def sample(seed):
        body = chat_body(llama["repo_id"], "sample", max_tokens=24, temperature=0.8, seed=seed)
        return chat(sidecar, body)["choices"][0]["message"]["content"]

    first = sample(1234)
    assert sample(1234) == first
    assert len({first, sample(1), sample(2), sample(3)}) > 1


def test_seeded_request_is_unaffected_by_concurrent_traffic(sidecar, llama):
    body = chat_body(llama["repo_id"], "seeded", max_tokens=20, temperature=0.8, seed=99)
    alone = chat(sidecar, body)["choices"][0]["message"]["content"]
    with ThreadPoolExecutor(4) as pool:
        noise = [pool.submit(chat, sidecar, chat_body(llama["repo_id"], p, max_tokens=20, temperature=1.0))
                 for p in PROMPTS[:3]]
        together = pool.submit(chat, sidecar, body)
        assert together.result()["choices"][0]["message"]["content"] == alone
        for f in noise:
            f.result()


def test_eight_concurrent_streams_match_their_solo_output(sidecar, llama):
    bodies = [chat_body(llama["repo_id"], p, max_tokens=24, temperature=0) for p in PROMPTS]
    solo = [chat(sidecar, b)["choices"][0]["message"]["content"] for b in bodies]
    with ThreadPoolExecutor(len(bodies)) as pool:
        together = list(pool.map(lambda b: streamed_text(stream_chat(sidecar, b)), bodies))
    assert together == solo


def test_completions_endpoint_text_and_token_prompt(sidecar, llama):
    r = sidecar.client.post("/v1/completions", json={
        "model": llama["repo_id"], "prompt": "once upon", "max_tokens": 10, "temperature": 0})
    assert r.status_code == 200, r.text
    out = r.json()
    assert out["object"] == "text_completion"
    assert out["usage"]["completion_tokens"] <= 10
    r2 = sidecar.client.post("/v1/completions", json={
        "model": llama["repo_id"], "prompt": [1, 2, 3, 4], "max_tokens": 5, "temperature": 0})
    assert r2.status_code == 200, r2.text
    assert r2.json()["usage"]["prompt_tokens"] == 4
    with sidecar.client.stream("POST", "/v1/completions", json={
            "model": llama["repo_id"], "prompt": "once upon", "max_tokens": 10, "temperature": 0,
            "stream": True}) as r3:
        events = read_sse(r3)
    assert "".join(e["choices"][0]["text"] for e in events[:-1]) == out["choices"][0]["text"]


def test_stop_token_ids_stop_generation_at_that_token(sidecar, llama, ref_model):
    model, tokenizer = ref_model
    prompt = [5, 6, 7]
    greedy = [r.token for r in stream_generate(model, tokenizer, prompt, max_tokens=12)]
    # The first token that did not occur before it, past the start, so the stop is unambiguous.
    i = next(i for i in range(2, len(greedy)) if greedy[i] not in greedy[:i])
    body = {"model": llama["repo_id"], "prompt": prompt, "max_tokens": 12, "temperature": 0}
    stopped = sidecar.client.post("/v1/completions", json={**body, "stop_token_ids": [greedy[i]]}).json()
    assert stopped["choices"][0]["finish_reason"] == "stop"
    assert stopped["usage"]["completion_tokens"] == i + 1
    assert stopped["choices"][0]["text"] == tokenizer.decode(greedy[:i])


def test_logit_bias_forces_a_token(sidecar, llama, ref_model):
    _, tokenizer = ref_model
    r = sidecar.client.post("/v1/completions", json={
        "model": llama["repo_id"], "prompt": "bias", "max_tokens": 4, "temperature": 0,
        "logit_bias": {"66": 100}})
    assert r.status_code == 200, r.text
    assert r.json()["choices"][0]["text"] == tokenizer.decode([66] * 4)


def test_sampling_parameters_are_accepted(sidecar, llama):
    r = sidecar.client.post("/v1/chat/completions", json=chat_body(
        llama["repo_id"], "params", max_completion_tokens=6, temperature=0.7, top_p=0.9, top_k=20,
        min_p=0.05, repetition_penalty=1.1, presence_penalty=0.5, frequency_penalty=0.5, seed=7))
    assert r.status_code == 200, r.text
    assert r.json()["usage"]["completion_tokens"] <= 6


def test_chat_template_kwargs_reach_the_template(sidecar, qwen3):
    def prompt_tokens(kwargs):
        body = chat_body(qwen3["repo_id"], "think?", max_tokens=1, temperature=0, chat_template_kwargs=kwargs)
        return chat(sidecar, body)["usage"]["prompt_tokens"]

    # Qwen3's template adds an empty think block when thinking is off: a longer prompt.
    assert prompt_tokens({"enable_thinking": False}) > prompt_tokens({"enable_thinking": True})


def test_models_lists_fixture_models(sidecar, manifest):
    ids = {m["id"] for m in sidecar.client.get("/v1/models").json()["data"]}
    assert {f["repo_id"] for f in manifest["fixtures"]} <= ids
