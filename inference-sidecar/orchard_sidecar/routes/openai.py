"""OpenAI-compatible routes: /v1/models, /v1/chat/completions, /v1/completions, /v1/embeddings."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Request

from .. import registry
from ..protocol.openai import ChatCompletionRequest, CompletionRequest, EmbeddingRequest
from ..serving.completions import complete
from ..serving.embeddings import create_embeddings

router = APIRouter()


@router.get("/v1/models")
async def list_models(request: Request) -> dict:
    state = request.app.state.sidecar
    on_disk = await asyncio.to_thread(registry.list_models, state.settings.cache_dir)
    names = {m.name: int(m.path.stat().st_mtime) for m in on_disk}
    for lm in state.pool.snapshot():
        names.setdefault(lm.name, int(lm.loaded_at))
    return {
        "object": "list",
        "data": [{"id": n, "object": "model", "created": c, "owned_by": "local"} for n, c in sorted(names.items())],
    }


@router.post("/v1/chat/completions")
async def chat_completions(request: Request, body: ChatCompletionRequest):
    return await complete(request, body, chat=True)


@router.post("/v1/completions")
async def completions(request: Request, body: CompletionRequest):
    return await complete(request, body, chat=False)


@router.post("/v1/embeddings")
async def embeddings(request: Request, body: EmbeddingRequest) -> dict:
    return await create_embeddings(request, body)
