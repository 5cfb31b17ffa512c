"""Builds the FastAPI application: state, lifespan, routes, and the OpenAI error mapping.

Every failure a client can cause leaves as {"error": {...}} with a 4xx status.
"""

from __future__ import annotations

import contextlib
import re
from dataclasses import dataclass
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from . import cpu_weights
from .engine import Engine
from .errors import ApiError, error_body
from .guard import DEFAULT_MAX_BODY_BYTES, Guard
from .kv_store import DEFAULT_DISK_BYTES, DiskPrefixStore
from .log import log
from .manager import ModelManager
from .pool import DEFAULT_MAX_MODELS, Pool
from .prefix_cache import DEFAULT_PREFIX_CACHE_BYTES
from .protocol import anthropic as anthropic_protocol
from .routes import admin, anthropic, health, openai, tokenize
from .serving.embeddings import EmbeddingBatcher


@dataclass
class Settings:
    secret: str
    cache_dir: Path
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    memory_limit: int | None = None
    max_models: int = DEFAULT_MAX_MODELS
    prefix_cache_bytes: int = DEFAULT_PREFIX_CACHE_BYTES
    cpu_weights: str = cpu_weights.AUTO
    # Anthropic streams send `ping` after this long without an event (a long prefill keeps clients waiting).
    ping_seconds: float = 5.0
    # The prefix cache on disk (kv_store.py): its folder (None: off) and byte budget (0: off).
    kv_dir: Path | None = None
    kv_disk_bytes: int = DEFAULT_DISK_BYTES


@dataclass
class SidecarState:
    settings: Settings
    engine: Engine
    pool: Pool
    manager: ModelManager
    embeddings: EmbeddingBatcher


_TYPE_TAGS = {"str", "int", "float", "bool", "list", "dict", "literal"}
_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def _param(loc: tuple) -> str | None:
    """'messages[0].role' from a pydantic location, dropping union tags like 'str' or 'list[int]'."""
    out = ""
    for part in loc[1:] if loc and loc[0] == "body" else loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif _IDENT.match(part) and part not in _TYPE_TAGS:
            out += f".{part}" if out else part
        else:
            break
    return out or None


def _reply(request: Request, status: int, body: dict) -> JSONResponse:
    """OpenAI error body, or the Anthropic shape on the Anthropic routes."""
    if anthropic_protocol.is_anthropic_path(request.url.path):
        body = anthropic_protocol.error_body(body["error"]["message"],
                                             anthropic_protocol.error_type_for_status(status))
    return JSONResponse(body, status)


def _validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
    errors = exc.errors()
    first = errors[0] if errors else {"msg": "invalid request", "loc": (), "type": ""}
    if first.get("type") == "json_invalid":
        return _reply(request, 400, error_body("The request body is not valid JSON.", "invalid_request_error",
                                               None, "invalid_json"))
    param = _param(tuple(first.get("loc", ())))
    if param is None and first.get("type") in ("missing", "model_attributes_type"):
        message = "The request body must be a JSON object (Content-Type: application/json)."
    else:
        message = f"{param or 'body'}: {first.get('msg')}"
    if len(errors) > 1:
        message += f" (and {len(errors) - 1} more problem{'s' if len(errors) > 2 else ''})"
    return _reply(request, 400, error_body(message, "invalid_request_error", param, "invalid_value"))


def _api_error(request: Request, exc: ApiError) -> JSONResponse:
    if exc.status >= 500:
        log("request_failed", level="error", status=exc.status, error=exc.message)
    return _reply(request, exc.status, exc.body())


def _http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
    kind = {404: "not_found_error", 405: "invalid_request_error"}.get(exc.status_code, "invalid_request_error")
    message = "No such endpoint." if exc.status_code == 404 else str(exc.detail)
    return _reply(request, exc.status_code, error_body(message, kind, None, None))


def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    log("unhandled_error", level="error", error=repr(exc))
    return _reply(request, 500, error_body("Internal error in the sidecar.", "server_error"))


def create_app(settings: Settings):
    engine = Engine(settings.prefix_cache_bytes, DiskPrefixStore(settings.kv_dir, settings.kv_disk_bytes))
    pool = Pool(engine, settings.memory_limit, settings.max_models, settings.cpu_weights)
    state = SidecarState(settings, engine, pool, ModelManager(engine, pool, settings.cache_dir),
                         EmbeddingBatcher(engine))

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI):
        engine.start()
        await engine.call(pool.set_limits, pool.limit, None)
        state.manager.start_reaper()
        try:
            yield
        finally:
            await state.manager.stop_reaper()
            engine.stop()

    app = FastAPI(title="orchard-sidecar", lifespan=lifespan, docs_url=None, redoc_url=None, openapi_url=None)
    app.state.sidecar = state
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(ApiError, _api_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected)
    app.include_router(health.router)
    app.include_router(openai.router)
    app.include_router(anthropic.router)
    app.include_router(admin.router)
    app.include_router(tokenize.router)
    return Guard(app, settings.secret, settings.max_body_bytes)
