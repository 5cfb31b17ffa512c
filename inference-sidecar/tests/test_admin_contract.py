"""The admin protocol's responses: every /admin route and /health declares its pydantic model, and what a
real sidecar sends validates against it. Core checks the same wire with zod (admin.contract.test.ts)."""

from __future__ import annotations

import httpx
from conftest import Sidecar
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute

from orchard_fixtures.gguf_files import tiny_gguf
from orchard_sidecar.protocol import admin as protocol
from orchard_sidecar.routes import admin, health, tokenize


def _routes() -> list[APIRoute]:
    return [r for router in (admin.router, health.router, tokenize.router) for r in router.routes if isinstance(r, APIRoute)]


def test_every_admin_and_health_route_declares_a_protocol_model():
    routes = _routes()
    assert {(r.path, m) for r in routes for m in r.methods} >= {
        ("/health", "GET"),
        ("/admin/capabilities", "GET"),
        ("/admin/models", "GET"),
        ("/admin/models/load", "POST"),
        ("/admin/models/unload", "POST"),
        ("/admin/memory", "GET"),
        ("/admin/memory", "PUT"),
        ("/admin/models/import-gguf", "POST"),
        ("/admin/tokenize", "POST"),
    }
    for route in routes:
        model = route.response_model
        assert model is not None and model.__module__ == protocol.__name__, route.path
        # An undeclared key must fail here, not reach core.
        assert model.model_config.get("extra") == "forbid", model.__name__
    schema = get_openapi(title="orchard-sidecar admin", version="0", routes=routes)
    for path, ops in schema["paths"].items():
        for method, op in ops.items():
            ok = op["responses"]["200"]["content"]["application/json"]["schema"]
            assert "$ref" in ok, f"{method.upper()} {path} has no response schema"


def test_a_real_sidecar_answers_every_admin_route_with_its_model(tmp_path):
    cache = tmp_path / "hub"
    cache.mkdir()
    gguf_file = tiny_gguf(tmp_path / "tiny.gguf")
    sc = Sidecar(cache)
    try:
        c = sc.client

        def ok(method: str, path: str, model, **kw):
            r = c.request(method, path, **kw)
            assert r.status_code == 200, r.text
            return model.model_validate(r.json())

        assert ok("GET", "/health", protocol.HealthResponse).status == "ok"
        assert httpx.get(f"{sc.url}/health").status_code == 200  # the one route without the secret
        assert "llama" in ok("GET", "/admin/capabilities", protocol.CapabilitiesResponse).model_types
        imported = ok("POST", "/admin/models/import-gguf", protocol.ImportGGUFResponse,
                      json={"path": str(gguf_file), "repo_id": "contract/tiny"})
        assert imported.id == imported.repo_id == "contract/tiny" and imported.quantization is None
        idle = ok("GET", "/admin/models", protocol.ModelsResponse).data
        assert [type(m) for m in idle] == [protocol.IdleModelRow]
        loaded = ok("POST", "/admin/models/load", protocol.LoadResponse,
                    json={"model": "contract/tiny", "pin": True, "stop": ["END"]})
        assert loaded.pinned and loaded.stop == ["END"]
        rows = ok("GET", "/admin/models", protocol.ModelsResponse).data
        assert [type(m) for m in rows] == [protocol.LoadedModelRow] and rows[0].loads == 1
        counted = ok("POST", "/admin/tokenize", protocol.TokenizeResponse,
                     json={"model": "contract/tiny", "texts": ["hello", ""]})
        assert counted.loaded and counted.counts is not None and counted.counts[1] == 0
        memory = ok("GET", "/admin/memory", protocol.MemoryResponse)
        assert [m.id for m in memory.models] == ["contract/tiny"]
        update = ok("PUT", "/admin/memory", protocol.MemoryUpdateResponse, json={"max_models": 2})
        assert update.max_models == 2 and update.evicted == []
        assert ok("POST", "/admin/models/unload", protocol.UnloadResponse,
                  json={"model": "contract/tiny"}).loaded is False
    finally:
        sc.client.close()
        sc.stop()
