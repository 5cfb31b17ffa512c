"""POST /admin/tokenize over HTTP: counts with the loaded model's own tokenizer (checked against the
tokenizer.json read independently), the context window, and no load for a model that is not loaded."""

from __future__ import annotations

from pathlib import Path

from tokenizers import Tokenizer

from orchard_sidecar import registry

TEXTS = ["def add(a, b):\n    return a + b\n", "", "Grüße aus Köln — 東京 🍊" * 20]


def _own_counts(cache: Path, repo_id: str) -> list[int]:
    tok = Tokenizer.from_file(str(registry.resolve(repo_id, cache).path / "tokenizer.json"))
    return [len(tok.encode(t, add_special_tokens=False).ids) for t in TEXTS]


def test_counts_with_the_loaded_models_tokenizer(make_sidecar, llama, fixture_cache):
    sc = make_sidecar()
    model = llama["repo_id"]
    assert (
        sc.client.post(
            "/admin/models/load", json={"model": model, "context_length": 512}
        ).status_code
        == 200
    )
    r = sc.client.post("/admin/tokenize", json={"model": model, "texts": TEXTS})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["loaded"] is True and body["id"] == model
    assert body["counts"] == _own_counts(fixture_cache, model)
    assert body["counts"][1] == 0 and body["counts"][2] > body["counts"][0] > 0
    assert body["context_length"] == 512 and body["context_window"] > 0


def test_an_idle_model_gives_its_window_and_is_not_loaded(make_sidecar, llama):
    sc = make_sidecar()
    model = llama["repo_id"]
    r = sc.client.post("/admin/tokenize", json={"model": model, "texts": ["hello"]})
    assert r.status_code == 200, r.text
    assert (
        r.json()["loaded"] is False
        and r.json()["counts"] is None
        and r.json()["context_window"] > 0
    )
    assert sc.client.get("/admin/memory").json()["models"] == []


def test_refusals(sidecar):
    missing = sidecar.client.post(
        "/admin/tokenize", json={"model": "nobody/nothing", "texts": ["x"]}
    )
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "model_not_found"
    too_many = sidecar.client.post(
        "/admin/tokenize", json={"model": "nobody/nothing", "texts": ["x"] * 65}
    )
    assert too_many.status_code == 400
    extra = sidecar.client.post("/admin/tokenize", json={"model": "x", "texts": [], "load": True})
    assert extra.status_code == 400
