"""POST /admin/tokenize: token counts of texts with a loaded model's own tokenizer (chat attachments).

It never loads a model: an idle one answers with its context window only, so a count costs no memory.
"""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Request

from .. import model_info, registry
from ..protocol.admin import TokenizeRequest, TokenizeResponse

router = APIRouter(prefix="/admin")


def _count(tokenizer, texts: list[str]) -> list[int]:
    # Without BOS and friends: a text's own tokens, as they add up inside a longer prompt.
    return [len(tokenizer.encode(t, add_special_tokens=False)) for t in texts]


@router.post("/tokenize")
async def tokenize(request: Request, body: TokenizeRequest) -> TokenizeResponse:
    state = request.app.state.sidecar
    lm = state.pool.models.get(body.model)
    if lm is None:
        # A model that is not on disk at all is a 404 (model_not_found).
        disk = await asyncio.to_thread(registry.resolve, body.model, state.settings.cache_dir)
        info = await asyncio.to_thread(model_info.describe, disk.path)
        return TokenizeResponse(
            id=body.model,
            loaded=False,
            counts=None,
            context_window=info.context_window,
            context_length=None,
        )
    # Off the event loop: a long file takes the tokenizer a while.
    counts = await asyncio.to_thread(_count, lm.tokenizer, body.texts)
    return TokenizeResponse(
        id=body.model,
        loaded=True,
        counts=counts,
        context_window=lm.window,
        context_length=lm.options.context_length,
    )
