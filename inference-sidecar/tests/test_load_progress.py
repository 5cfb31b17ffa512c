"""Load progress and cancel over HTTP: /admin/memory's `loads` counts bytes of weights read while a
400 MB model loads, and /admin/models/cancel-load stops a load, leaving memory as it was."""

from __future__ import annotations

import threading

import pytest

from orchard_fixtures.large import LARGE_REPO, build_large


@pytest.fixture(scope="module")
def large(fixture_cache) -> str:
    build_large(fixture_cache, 400)
    return LARGE_REPO


def _load_in_background(sc, model: str) -> tuple[threading.Event, dict]:
    done, result = threading.Event(), {}

    def run() -> None:
        result["response"] = sc.client.post("/admin/models/load", json={"model": model})
        done.set()

    threading.Thread(target=run, daemon=True).start()
    return done, result


def test_progress_goes_up_while_weights_are_read(make_sidecar, large):
    sc = make_sidecar()
    assert sc.client.get("/admin/memory").json()["loads"] == []
    done, result = _load_in_background(sc, large)
    rows = []
    while not done.is_set():
        rows += [r for r in sc.client.get("/admin/memory").json()["loads"] if r["id"] == large]
    assert result["response"].status_code == 200, result["response"].text
    totals = {r["total_bytes"] for r in rows if r["total_bytes"] is not None}
    assert len(totals) == 1
    total = totals.pop()
    assert total > 400 * 10**6
    done_bytes = [r["done_bytes"] for r in rows]
    assert done_bytes == sorted(done_bytes)  # never goes back
    partial = {d for d in done_bytes if 0 < d < total}
    print(f"[figure] {len(rows)} polls, {len(partial)} distinct partial values of {total} bytes")
    assert len(partial) >= 3, done_bytes
    after = sc.client.get("/admin/memory").json()
    assert after["loads"] == [] and [m["id"] for m in after["models"]] == [large]
    assert after["models"][0]["footprint_bytes"] >= total * 0.95


def test_cancel_stops_a_load_and_leaves_memory_as_before(make_sidecar, large, llama):
    sc = make_sidecar()
    assert sc.client.post("/admin/models/load", json={"model": llama["repo_id"]}).status_code == 200
    before = sc.client.get("/admin/memory").json()
    missing = sc.client.post("/admin/models/cancel-load", json={"model": large})
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "model_not_loading"

    done, result = _load_in_background(sc, large)
    while not done.is_set():
        rows = sc.client.get("/admin/memory").json()["loads"]
        if rows and rows[0]["done_bytes"] > 0:
            break
    cancel = sc.client.post("/admin/models/cancel-load", json={"model": large})
    assert cancel.status_code == 200 and cancel.json() == {"id": large, "cancelled": True}
    assert done.wait(60)
    response = result["response"]
    assert response.status_code == 409, response.text
    assert response.json()["error"]["code"] == "load_cancelled"
    after = sc.client.get("/admin/memory").json()
    assert after["loads"] == [] and after["loading"] == []
    assert after["models"] == before["models"]
    # The half-read weights are given back (a few KB of scratch aside).
    assert after["active_bytes"] - before["active_bytes"] < 2**20, (before, after)
    assert sc.wait_events("model_load_cancelled")[0]["model"] == large
    # The sidecar goes on: the model loads in full when asked again.
    assert sc.client.post("/admin/models/load", json={"model": large}).status_code == 200


def test_the_slow_load_brake_is_off_unless_a_test_names_the_model(monkeypatch):
    from orchard_sidecar.load_progress import SLOW_LOAD_ENV, _tensor_pause

    monkeypatch.delenv(SLOW_LOAD_ENV, raising=False)
    assert _tensor_pause(LARGE_REPO) == 0
    monkeypatch.setenv(SLOW_LOAD_ENV, f"{LARGE_REPO}=25")
    assert _tensor_pause(LARGE_REPO) == 0.025
    assert _tensor_pause("orchard-fixtures/random-llama") == 0
    monkeypatch.setenv(SLOW_LOAD_ENV, f"{LARGE_REPO}=soon")
    assert _tensor_pause(LARGE_REPO) == 0
