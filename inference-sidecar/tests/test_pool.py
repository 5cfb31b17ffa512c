"""Model pool through the real sidecar: JIT loads once, LRU eviction, pins, limits, TTL, context."""

from __future__ import annotations

import json
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from conftest import chat_body

POLL_LIMIT = 200


def models(sc) -> dict:
    return {m["id"]: m for m in sc.client.get("/admin/models").json()["data"]}


def loaded(sc) -> set:
    return {name for name, m in models(sc).items() if m["loaded"]}


def load(sc, model, **kw):
    return sc.client.post("/admin/models/load", json={"model": model, **kw})


@pytest.fixture(scope="module")
def pool_sidecar(make_sidecar):
    return make_sidecar()


def test_concurrent_requests_for_an_unloaded_model_load_it_once(make_sidecar, llama):
    sc = make_sidecar()
    assert llama["repo_id"] not in loaded(sc)
    body = chat_body(llama["repo_id"], "race", max_tokens=3, temperature=0)
    with ThreadPoolExecutor(6) as pool:
        responses = list(pool.map(lambda _: sc.client.post("/v1/chat/completions", json=body), range(6)))
    assert [r.status_code for r in responses] == [200] * 6
    assert models(sc)[llama["repo_id"]]["loads"] == 1
    assert len([e for e in sc.events("model_loaded") if e["model"] == llama["repo_id"]]) == 1
    texts = {r.json()["choices"][0]["message"]["content"] for r in responses}
    assert len(texts) == 1


def test_lru_unpinned_model_is_evicted_and_pinned_never(pool_sidecar, manifest):
    sc = pool_sidecar
    a, b, c, d = (f["repo_id"] for f in manifest["fixtures"][:4])
    for name, pin in ((a, False), (b, True), (c, False)):
        r = load(sc, name, pin=pin)
        assert r.status_code == 200, r.text
        assert r.json()["footprint_bytes"] > 0
    mem = sc.client.get("/admin/memory").json()
    footprints = {m["id"]: m["footprint_bytes"] for m in mem["models"]}
    # Footprints are per model, not the running total of active memory.
    assert sum(footprints.values()) <= mem["active_bytes"]
    assert footprints[c] < sum(footprints.values())
    need = models(sc)[d]["size_bytes"]
    # One byte short: something must go, and the least recently used unpinned model is `a`.
    r = sc.client.put("/admin/memory", json={"limit_bytes": mem["active_bytes"] + need - 1})
    assert r.status_code == 200 and r.json()["limit_bytes"] == mem["active_bytes"] + need - 1
    r = load(sc, d)
    assert r.status_code == 200, r.text
    assert loaded(sc) == {b, c, d}
    assert [e["evicted"] for e in sc.events("model_loaded") if e["model"] == d] == [[a]]

    # Now pin everything and leave almost no room: the load fails clearly and nothing changes.
    for name in (c, d):
        assert load(sc, name, pin=True).status_code == 200
    active = sc.client.get("/admin/memory").json()["active_bytes"]
    sc.client.put("/admin/memory", json={"limit_bytes": active + 10})
    r = load(sc, a)
    assert r.status_code == 409, r.text
    error = r.json()["error"]
    assert error["type"] == "insufficient_memory"
    assert str(models(sc)[a]["size_bytes"]) in error["message"] and "free" in error["message"]
    assert loaded(sc) == {b, c, d}
    # A chat request for it gets the same error, not a 500.
    r = sc.client.post("/v1/chat/completions", json=chat_body(a, "x", max_tokens=2))
    assert r.status_code == 409 and r.json()["error"]["type"] == "insufficient_memory"


def test_max_models_is_enforced(pool_sidecar, manifest):
    sc = pool_sidecar
    names = [f["repo_id"] for f in manifest["fixtures"]]
    for name in list(loaded(sc)):
        assert sc.client.post("/admin/models/unload", json={"model": name}).status_code == 200
    assert loaded(sc) == set()
    sc.client.put("/admin/memory", json={"limit_bytes": 8 * 1024**3, "max_models": 2})
    assert load(sc, names[0], pin=True).status_code == 200
    assert load(sc, names[1]).status_code == 200
    assert load(sc, names[2]).status_code == 200  # evicts names[1], the only unpinned one
    assert loaded(sc) == {names[0], names[2]}
    assert load(sc, names[2], pin=True).status_code == 200
    r = load(sc, names[3])
    assert r.status_code == 409 and "max_models=2" in r.json()["error"]["message"]
    assert sc.client.get("/admin/memory").json()["max_models"] == 2


def test_context_length_is_enforced_and_kept_across_jit_reload(make_sidecar, manifest):
    sc = make_sidecar()
    name = manifest["fixtures"][1]["repo_id"]
    assert load(sc, name, context_length=64).status_code == 200
    r = sc.client.post("/v1/completions", json={"model": name, "prompt": list(range(1, 50)), "max_tokens": 30})
    assert r.status_code == 400
    error = r.json()["error"]
    assert error["code"] == "context_length_exceeded" and error["param"] == "max_tokens"
    assert "49" in error["message"] and "30" in error["message"] and "64" in error["message"]
    r = sc.client.post("/v1/completions", json={"model": name, "prompt": list(range(1, 70)), "max_tokens": 1})
    assert r.status_code == 400 and r.json()["error"]["param"] == "prompt"
    ok = sc.client.post("/v1/completions", json={"model": name, "prompt": list(range(1, 50)), "max_tokens": 15,
                                                  "temperature": 0})
    assert ok.status_code == 200, ok.text
    # Without max_tokens the rest of the context is the budget.
    rest = sc.client.post("/v1/completions", json={"model": name, "prompt": list(range(1, 60)), "temperature": 0,
                                                    "logit_bias": {"66": 100}})
    assert rest.json()["usage"]["completion_tokens"] == 64 - 59
    assert sc.client.post("/admin/models/unload", json={"model": name}).status_code == 200
    r = sc.client.post("/v1/completions", json={"model": name, "prompt": list(range(1, 50)), "max_tokens": 30})
    assert r.status_code == 400 and r.json()["error"]["code"] == "context_length_exceeded"
    assert models(sc)[name]["loads"] == 2


def test_idle_ttl_unloads_and_reload_does_not_grow_memory(make_sidecar, qwen3):
    sc = make_sidecar()
    base = sc.client.get("/admin/memory").json()["active_bytes"]
    r = load(sc, qwen3["repo_id"], ttl_seconds=0.5)
    assert r.status_code == 200
    footprint = r.json()["footprint_bytes"]
    for _ in range(POLL_LIMIT):
        if qwen3["repo_id"] not in loaded(sc):
            break
        time.sleep(0.05)
    assert qwen3["repo_id"] not in loaded(sc)
    assert [e["reason"] for e in sc.wait_events("model_unloaded")] == ["ttl"]
    # The weights are released (a few bytes of scalars may remain from the load itself).
    assert sc.client.get("/admin/memory").json()["active_bytes"] - base < footprint // 100
    r = sc.client.post("/v1/chat/completions", json=chat_body(qwen3["repo_id"], "back", max_tokens=2))
    assert r.status_code == 200
    mem = sc.client.get("/admin/memory").json()
    assert abs(mem["models"][0]["footprint_bytes"] - footprint) < footprint // 100
    assert mem["active_bytes"] - base < footprint * 3 // 2  # one copy, not two
    assert models(sc)[qwen3["repo_id"]]["loads"] == 2


def test_absolute_path_names_a_model(pool_sidecar, llama):
    sc = pool_sidecar
    sc.client.put("/admin/memory", json={"max_models": 8})
    r = sc.client.post("/v1/completions", json={"model": llama["path"], "prompt": "abs", "max_tokens": 2})
    assert r.status_code == 200, r.text
    assert llama["path"] in loaded(sc)


def test_lowering_limits_evicts_idle_lru_models_at_once(make_sidecar, manifest, llama):
    sc = make_sidecar()
    busy = llama["repo_id"]
    a, pinned, c = [f["repo_id"] for f in manifest["fixtures"] if f["repo_id"] != busy][:3]
    for name, pin in ((a, False), (pinned, True), (c, False), (busy, False)):
        assert load(sc, name, pin=pin).status_code == 200
    assert sc.client.get("/admin/memory").json()["over_limit"] is False

    # One model too many: the least recently used idle unpinned one goes, with no load needed.
    r = sc.client.put("/admin/memory", json={"max_models": 3})
    assert r.status_code == 200, r.text
    assert r.json()["evicted"] == [a] and r.json()["over_limit"] is False
    assert {m["id"] for m in r.json()["models"]} == loaded(sc) == {pinned, c, busy}
    assert [e["model"] for e in sc.wait_events("model_unloaded")] == [a]
    assert sc.events("model_unloaded")[0]["reason"] == "limit_lowered"

    # A memory limit that c's going meets (half of c short of what is in use): c is the least
    # recently used idle unpinned model, so it goes and `busy` stays, whatever the fixtures' sizes.
    mem = sc.client.get("/admin/memory").json()
    foot = {m["id"]: m["footprint_bytes"] for m in mem["models"]}
    limit = mem["active_bytes"] - foot[c] // 2
    r = sc.client.put("/admin/memory", json={"limit_bytes": limit})
    assert r.status_code == 200, r.text
    assert r.json()["evicted"] == [c] and r.json()["over_limit"] is False
    assert loaded(sc) == {pinned, busy}

    # `busy` serves a request (a thousand tokens: still running during the PUT) while the limit
    # drops below what is loaded: nothing may go, and the PUT still succeeds, reporting that
    # memory stays over the limit.
    body = {"model": busy, "prompt": list(range(1, 20)), "max_tokens": 1000, "temperature": 0,
            "logit_bias": {"66": 100}, "stream": True}
    with sc.client.stream("POST", "/v1/completions", json=body) as resp:
        assert resp.status_code == 200
        lines = resp.iter_lines()
        assert next(line for line in lines if line.startswith("data: "))
        active = sc.client.get("/admin/memory").json()["active_bytes"]
        limit = active - foot[busy] // 2
        r = sc.client.put("/admin/memory", json={"limit_bytes": limit})
        assert r.status_code == 200, r.text
        report = r.json()
        assert report["evicted"] == [] and report["over_limit"] is True
        assert report["limit_bytes"] == limit and report["active_bytes"] > limit
        assert {m["id"] for m in report["models"]} == {pinned, busy}
        chunks = [json.loads(line[6:]) for line in lines if line.startswith("data: {")]
    # The request ran to its end on the model it started with.
    assert chunks[-1]["choices"][0]["finish_reason"] == "length"
    assert "error" not in chunks[-1]

    # Idle now, it goes at the next lowering; the pinned one stays though memory is still over.
    r = sc.client.put("/admin/memory", json={"limit_bytes": limit})
    assert r.json()["evicted"] == [busy] and r.json()["over_limit"] is True
    assert loaded(sc) == {pinned}
    assert sc.events("memory_over_limit")
