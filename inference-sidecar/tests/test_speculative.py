"""Speculative decoding: greedy parity with plain decoding (fixtures and SmolLM2), the acceptance rule's
distribution, n-gram proposals, and the request field's errors."""

from __future__ import annotations

import mlx.core as mx
import numpy as np
import pytest
from conftest import chat_body

from orchard_sidecar.serving.sampling import Sampler
from orchard_sidecar.speculative import NgramIndex, accept_sampled

LLAMA = "orchard-fixtures/random-llama"
LLAMA_B = "orchard-fixtures/random-llama-b"  # same tokenizer, other weights: a draft that is often wrong
REPEATS = "alpha beta gamma delta " * 12
NO_REPEATS = "Quick brown foxes jump"


def _chat(sidecar, model: str, content: str, spec=None, max_tokens: int = 48, **kw) -> dict:
    body = chat_body(model, content, max_tokens=max_tokens, **{"temperature": 0, **kw})
    if spec is not None:
        body["speculative"] = spec
    r = sidecar.client.post("/v1/chat/completions", json=body)
    assert r.status_code == 200, r.text
    return r.json()


def _text(body: dict) -> str:
    return body["choices"][0]["message"]["content"]


def test_ngram_index_proposes_what_followed_the_last_occurrence_never_itself():
    idx = NgramIndex([1, 2, 3, 4, 5, 9, 1, 2, 3])
    assert idx.propose(3) == [4, 5, 9]
    idx.extend([4])
    assert idx.propose(2) == [5, 9]  # the longest suffix (1 2 3 4) found where it was first seen
    assert NgramIndex([1, 2, 3, 4]).propose(4) == []  # no earlier occurrence: no proposal
    assert NgramIndex([7, 7]).propose(4) == []  # a single token never proposes (min n-gram 2)


@pytest.mark.parametrize("draft", [False, True])
def test_acceptance_rule_keeps_the_target_distribution(draft):
    # One proposal position over 4 tokens: what is emitted there must follow p whatever q proposes.
    p = np.array([0.1, 0.2, 0.3, 0.4])
    q = np.array([0.5, 0.3, 0.1, 0.1])
    logprobs = mx.log(mx.array(np.stack([p, p]), dtype=mx.float32))
    sampler = Sampler([], 1.0, seed=1234)
    rng = np.random.default_rng(5)
    n = 3000
    counts = np.zeros(4)
    for _ in range(n):
        d = int(rng.choice(4, p=q)) if draft else 0  # prompt lookup always proposes token 0 here
        qd = mx.array(q[None], dtype=mx.float32) if draft else None
        _, emitted = accept_sampled(sampler, logprobs, [d], qd)
        counts[emitted[0]] += 1
    freq = counts / n
    assert np.abs(freq - p).max() < 0.035, freq  # ~4 standard errors at n=3000


@pytest.mark.parametrize("spec", [{"method": "prompt_lookup"}, {"draft_model": LLAMA_B}])
@pytest.mark.parametrize("content", [REPEATS, NO_REPEATS])
def test_greedy_parity_on_the_fixture(sidecar, spec, content):
    plain = _chat(sidecar, LLAMA, content, max_tokens=64)
    fast = _chat(sidecar, LLAMA, content, spec, max_tokens=64)
    assert _text(fast) == _text(plain)
    assert fast["usage"]["completion_tokens"] == plain["usage"]["completion_tokens"]
    got = fast["usage"]["orchard"]["speculative"]
    assert got["applied"] is True
    assert 0 <= got["accepted"] <= got["proposed"]
    details = fast["usage"]["completion_tokens_details"]
    assert details["accepted_prediction_tokens"] == got["accepted"]
    assert details["rejected_prediction_tokens"] == got["proposed"] - got["accepted"]
    if "draft_model" in spec:
        assert got["proposed"] > 0
    if content == REPEATS and "method" in spec:
        assert got["proposed"] > 0  # a repeating prompt gives lookups something to propose
    assert "orchard" not in plain["usage"]


def test_greedy_parity_streamed_and_text_completions(sidecar):
    body = {"model": LLAMA, "prompt": REPEATS, "max_tokens": 40, "temperature": 0}
    plain = sidecar.client.post("/v1/completions", json=body).json()
    fast = sidecar.client.post("/v1/completions", json={**body, "speculative": {"method": "prompt_lookup"}}).json()
    assert fast["choices"][0]["text"] == plain["choices"][0]["text"]
    chunks = []
    with sidecar.client.stream("POST", "/v1/chat/completions", json={
        **chat_body(LLAMA, REPEATS, temperature=0, max_tokens=40, stream=True,
                    stream_options={"include_usage": True}),
        "speculative": {"method": "prompt_lookup"},
    }) as r:
        for line in r.iter_lines():
            if line.startswith("data: {"):
                chunks.append(line)
    import json

    parsed = [json.loads(c[6:]) for c in chunks]
    streamed = "".join((c["choices"][0]["delta"].get("content") or "") for c in parsed if c["choices"])
    assert streamed == _text(_chat(sidecar, LLAMA, REPEATS, max_tokens=40))
    assert parsed[-1]["usage"]["orchard"]["speculative"]["proposed"] > 0


def test_anthropic_messages_speculate_through_the_sdk(anth):
    """/v1/messages reads `speculative` like chat completions: same greedy text, counts in usage.orchard."""
    ask = {"model": LLAMA, "max_tokens": 40, "messages": [{"role": "user", "content": REPEATS}]}
    greedy = {"temperature": 0}  # in extra_body: this SDK's create() has no temperature argument
    plain = anth.messages.create(**ask, extra_body=greedy)
    fast = anth.messages.create(**ask, extra_body={**greedy, "speculative": {"method": "prompt_lookup"}})
    assert fast.content[0].text == plain.content[0].text
    got = fast.usage.model_extra["orchard"]["speculative"]
    assert got["applied"] is True and 0 < got["proposed"] and 0 <= got["accepted"] <= got["proposed"]
    assert "orchard" not in (plain.usage.model_extra or {})
    with anth.messages.stream(**ask, extra_body={**greedy, "speculative": {"draft_model": LLAMA_B}}) as s:
        deltas = [e for e in s if e.type == "message_delta"]  # the SDK's final message keeps known keys only
        streamed = s.get_final_message().content[0].text
    assert streamed == plain.content[0].text
    got = deltas[-1].usage.model_extra["orchard"]["speculative"]
    assert got["method"] == "draft_model" and got["proposed"] > 0


def test_sampling_with_speculation_is_seeded_and_counted(sidecar):
    spec = {"method": "prompt_lookup"}
    a = _chat(sidecar, LLAMA, REPEATS, spec, temperature=0.7, seed=11)
    b = _chat(sidecar, LLAMA, REPEATS, spec, temperature=0.7, seed=11)
    assert _text(a) == _text(b)
    assert a["usage"]["completion_tokens"] == 48 or a["choices"][0]["finish_reason"] == "stop"
    assert a["usage"]["orchard"]["speculative"]["applied"] is True


def test_requests_with_logits_processors_decode_plainly(sidecar):
    body = _chat(sidecar, LLAMA, REPEATS, {"method": "prompt_lookup"}, logit_bias={"5": 1.0})
    got = body["usage"]["orchard"]["speculative"]
    assert got == {"method": "prompt_lookup", "applied": False, "proposed": 0, "accepted": 0}


@pytest.mark.parametrize("spec,param", [
    ({"draft_model": "orchard-fixtures/random-qwen3"}, "speculative.draft_model"),  # another tokenizer
    ({"draft_model": LLAMA}, "speculative.draft_model"),  # itself
    ({"draft_model": "orchard-fixtures/no-such-model"}, "speculative.draft_model"),
    ({"method": "draft_model"}, "speculative.draft_model"),
    ({"method": "prompt_lookup", "draft_model": LLAMA_B}, "speculative"),
    ({}, "speculative"),
])
def test_bad_speculative_fields_are_clear_errors(sidecar, spec, param):
    r = sidecar.client.post("/v1/chat/completions", json={**chat_body(LLAMA, "hi", max_tokens=4),
                                                          "speculative": spec})
    assert r.status_code in (400, 404), r.text
    assert r.json()["error"]["param"] == param
    ok = _chat(sidecar, LLAMA, "hi", {"method": "none"}, max_tokens=4)  # the sidecar is still fine
    assert "orchard" not in ok["usage"]
    bad = sidecar.client.post("/v1/chat/completions", json={**chat_body(LLAMA, "hi"), "speculative": "fast"})
    assert bad.status_code == 400


def _smollm2_draft(starter, folder) -> str:
    """A real draft for SmolLM2: its own first 8 of 30 layers, so the same tokenizer (and a poor guesser).
    A model folder outside the shared HF cache, named by its absolute path, so no listing changes."""
    import json
    from pathlib import Path

    import mlx.core as mx

    snap, out = Path(starter), Path(folder)
    weights = mx.load(str(snap / "model.safetensors"))
    keep = {k: v for k, v in weights.items()
            if not (k.startswith("model.layers.") and int(k.split(".")[2]) >= 8)}
    config = {**json.loads((snap / "config.json").read_text()), "num_hidden_layers": 8}
    mx.save_safetensors(str(out / "model.safetensors"), keep, metadata={"format": "mlx"})
    for name in ("tokenizer.json", "tokenizer_config.json"):
        (out / name).write_bytes((snap / name).read_bytes())
    (out / "config.json").write_text(json.dumps(config))
    return str(out)


def test_greedy_parity_on_smollm2(make_sidecar, starter, starter_repo, tmp_path):
    draft = _smollm2_draft(starter, tmp_path)
    sc = make_sidecar()
    code = "".join(f"def f{i}(x):\n    return x + {i}\n\n" for i in range(6))
    content = "```python\n" + code + "```\nCopy the code above exactly."
    plain = _chat(sc, starter_repo, content, max_tokens=48)
    fast = _chat(sc, starter_repo, content, {"method": "prompt_lookup"}, max_tokens=48)
    assert _text(fast) == _text(plain)
    got = fast["usage"]["orchard"]["speculative"]
    assert got["accepted"] > 0  # it copies, so lookups are kept
    drafted = _chat(sc, starter_repo, content, {"draft_model": draft}, max_tokens=48)
    assert _text(drafted) == _text(plain)
    assert drafted["usage"]["orchard"]["speculative"]["proposed"] > 0
    held = [m["id"] for m in sc.client.get("/admin/memory").json()["models"]]
    assert draft in held  # a pool entry of its own: its memory is counted
    no_rep = "Name one colour."
    assert _text(_chat(sc, starter_repo, no_rep, {"method": "prompt_lookup"}, max_tokens=24)) == _text(
        _chat(sc, starter_repo, no_rep, max_tokens=24))


def _memory_rows(sc) -> dict[str, dict]:
    return {m["id"]: m for m in sc.client.get("/admin/memory").json()["models"]}


def test_a_draft_loaded_with_its_model(make_sidecar):
    """A load naming draft_model loads the draft too, counted and shown as belonging to the model; requests
    without `speculative` use it; it is evicted, unloaded and loaded again with the model."""
    sc = make_sidecar(["--max-models", "2"])
    plain = _chat(sc, LLAMA, REPEATS, "none")
    sc.client.post("/admin/models/unload", json={"model": LLAMA})
    r = sc.client.post("/admin/models/load", json={"model": LLAMA, "draft_model": LLAMA_B})
    assert r.status_code == 200, r.text
    assert r.json()["draft_model"] == LLAMA_B
    rows = _memory_rows(sc)
    assert rows[LLAMA]["draft_of"] == [] and rows[LLAMA_B]["draft_of"] == [LLAMA]
    assert rows[LLAMA_B]["footprint_bytes"] > 0  # counted in memory like any model
    used = _chat(sc, LLAMA, REPEATS)  # no `speculative`: the draft loaded with the model
    assert _text(used) == _text(plain)
    assert used["usage"]["orchard"]["speculative"]["method"] == "draft_model"
    assert used["usage"]["orchard"]["speculative"]["proposed"] > 0
    assert "orchard" not in _chat(sc, LLAMA, "hi", "none", max_tokens=4)["usage"]  # "none" still wins

    # max_models is 2: a third model evicts the idle model and its draft together, never the draft alone.
    assert sc.client.post("/admin/models/load", json={"model": "orchard-fixtures/random-qwen3"}).status_code == 200
    assert set(_memory_rows(sc)) == {"orchard-fixtures/random-qwen3"}
    again = _chat(sc, LLAMA, REPEATS)  # loaded again just in time, with its draft (the load's settings)
    assert _text(again) == _text(plain)
    assert again["usage"]["orchard"]["speculative"]["proposed"] > 0
    assert _memory_rows(sc)[LLAMA_B]["draft_of"] == [LLAMA]
    assert sc.client.post("/admin/models/unload", json={"model": LLAMA}).status_code == 200
    assert LLAMA_B not in _memory_rows(sc)  # unloaded with it
    unloads = {(e["model"], e["reason"]) for e in sc.events("model_unloaded")}
    assert (LLAMA_B, f"draft_of:{LLAMA}") in unloads
    # A lowered limit names the draft among what it unloaded.
    assert sc.client.post("/admin/models/load", json={"model": LLAMA, "draft_model": LLAMA_B}).status_code == 200
    r = sc.client.put("/admin/memory", json={"limit_bytes": 1})
    assert set(r.json()["evicted"]) >= {LLAMA, LLAMA_B}


def test_a_draft_with_another_tokenizer_is_refused_at_load(make_sidecar):
    sc = make_sidecar()
    r = sc.client.post("/admin/models/load", json={"model": LLAMA, "draft_model": "orchard-fixtures/random-qwen3"})
    assert r.status_code == 400, r.text
    err = r.json()["error"]
    assert err["code"] == "draft_tokenizer_mismatch" and err["param"] == "draft_model"
    assert "tokenizer" in err["message"]
    assert _memory_rows(sc) == {}  # nothing this load brought in stays
    r = sc.client.post("/admin/models/load", json={"model": LLAMA, "draft_model": "orchard-fixtures/no-such-model"})
    assert r.status_code == 404 and r.json()["error"]["param"] == "draft_model"
    assert _memory_rows(sc) == {}
    assert "orchard" not in _chat(sc, LLAMA, "hi", max_tokens=4)["usage"]  # no draft remembered for it


def test_a_draft_named_by_a_request_belongs_to_its_model(make_sidecar):
    """A request's draft (as a profile sends it) is loaded just in time and paired: counted as the model's,
    unloaded with it, and not used by requests that do not ask."""
    sc = make_sidecar()
    used = _chat(sc, LLAMA, REPEATS, {"draft_model": LLAMA_B})
    assert used["usage"]["orchard"]["speculative"]["proposed"] > 0
    assert _memory_rows(sc)[LLAMA_B]["draft_of"] == [LLAMA]
    assert "orchard" not in _chat(sc, LLAMA, "hi", max_tokens=4)["usage"]
    assert sc.client.post("/admin/models/unload", json={"model": LLAMA}).status_code == 200
    assert _memory_rows(sc) == {}

