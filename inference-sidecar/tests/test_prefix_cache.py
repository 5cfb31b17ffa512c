"""Prefix KV cache: prompts sharing a prefix with an earlier sequence reuse its KV, and the text
is exactly what a sidecar without the cache generates."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

SYSTEM = "You are a careful assistant for the Orchard test suite. " * 6


@pytest.fixture(scope="module")
def cached(make_sidecar):
    return make_sidecar()


@pytest.fixture(scope="module")
def uncached(make_sidecar):
    return make_sidecar(["--prefix-cache-bytes", "0"])


def ask(sc, model: str, messages: list[dict], **kw) -> dict:
    r = sc.client.post("/v1/chat/completions",
                       json={"model": model, "messages": messages, "temperature": 0, "max_tokens": 16, **kw})
    assert r.status_code == 200, r.text
    return r.json()


def text(out: dict) -> str:
    return out["choices"][0]["message"]["content"]


def cached_tokens(out: dict) -> int:
    return out["usage"]["prompt_tokens_details"]["cached_tokens"]


def test_repeated_prompt_reuses_all_but_one_token(cached, uncached, llama):
    messages = [{"role": "user", "content": "repeat after me: prefix caches"}]
    first = ask(cached, llama["repo_id"], messages)
    second = ask(cached, llama["repo_id"], messages)
    reference = ask(uncached, llama["repo_id"], messages)
    assert cached_tokens(reference) == 0
    # The last prompt token is always computed: it yields the first logits.
    assert cached_tokens(second) == second["usage"]["prompt_tokens"] - 1
    assert text(first) == text(second) == text(reference)


def test_next_turn_reuses_the_conversation_so_far(cached, uncached, llama):
    model = llama["repo_id"]
    turn1 = [{"role": "system", "content": SYSTEM}, {"role": "user", "content": "first question"}]
    answer = text(ask(cached, model, turn1))
    turn2 = [*turn1, {"role": "assistant", "content": answer}, {"role": "user", "content": "and then?"}]
    out = ask(cached, model, turn2)
    first_prompt = ask(uncached, model, turn1)["usage"]["prompt_tokens"]
    assert cached_tokens(out) >= first_prompt - 1
    assert text(out) == text(ask(uncached, model, turn2))


def test_concurrent_prompts_with_a_shared_preamble_match_uncached(cached, uncached, llama):
    model = llama["repo_id"]
    ask(cached, model, [{"role": "system", "content": SYSTEM}, {"role": "user", "content": "warm"}])
    questions = [f"question number {i}" for i in range(6)]

    def run(sc, q):
        return ask(sc, model, [{"role": "system", "content": SYSTEM}, {"role": "user", "content": q}])

    with ThreadPoolExecutor(6) as pool:
        hot = list(pool.map(lambda q: run(cached, q), questions))
    cold = [run(uncached, q) for q in questions]
    for h, c in zip(hot, cold, strict=True):
        # The shared system part is ~90% of each prompt; only the question differs.
        assert cached_tokens(h) >= 0.85 * c["usage"]["prompt_tokens"]
        assert text(h) == text(c)


def test_unload_and_memory_pressure_drop_the_kept_caches(make_sidecar, llama):
    sc = make_sidecar()
    model = llama["repo_id"]
    ask(sc, model, [{"role": "user", "content": "fill the cache"}])
    assert sc.client.get("/admin/memory").json()["prefix_cache_bytes"] > 0
    assert sc.client.post("/admin/models/unload", json={"model": model}).status_code == 200
    assert sc.client.get("/admin/memory").json()["prefix_cache_bytes"] == 0

    ask(sc, model, [{"role": "user", "content": "fill the cache again"}])
    assert sc.client.get("/admin/memory").json()["prefix_cache_bytes"] > 0
    # A limit below what is in use: the kept caches go first (the busy-free model goes too).
    r = sc.client.put("/admin/memory", json={"limit_bytes": 1})
    assert r.status_code == 200, r.text
    assert r.json()["prefix_cache_bytes"] == 0


def test_disabled_cache_keeps_nothing(uncached, llama):
    ask(uncached, llama["repo_id"], [{"role": "user", "content": "nothing kept"}])
    assert uncached.client.get("/admin/memory").json()["prefix_cache_bytes"] == 0
