"""A request's `speculative` field → the engine's Speculation: the method, and for a draft model the
draft acquired beside the main model (a pool entry of its own, so its memory is counted).

A draft must share the main model's tokenizer (same vocabulary and end tokens), checked once per pair.
"""

from __future__ import annotations

import hashlib
import weakref

from ..errors import ApiError, bad_request
from ..speculative import DRAFT_MODEL, PROMPT_LOOKUP, Speculation

_DIGESTS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # LoadedModel -> tokenizer digest


def requested(field) -> tuple[str | None, str | None, int | None]:
    """(method or None for plain decoding, draft model name, proposals per round) from the field."""
    if field is None or field == "none":
        return None, None, None
    method = field.method
    if method is None:
        method = DRAFT_MODEL if field.draft_model else None
    if method is None:
        raise bad_request('speculative needs "method" ("prompt_lookup", "none") or "draft_model".',
                          "speculative")
    if method == "none":
        return None, None, None
    if method == DRAFT_MODEL and not field.draft_model:
        raise bad_request('speculative method "draft_model" needs "draft_model": the repo id of the draft.',
                          "speculative.draft_model")
    if method == PROMPT_LOOKUP and field.draft_model:
        raise bad_request('speculative: give either "method": "prompt_lookup" or "draft_model", not both.',
                          "speculative")
    return method, field.draft_model, field.num_draft_tokens


async def acquire_draft(manager, lm, name: str):
    """The draft model loaded (just in time, like any model) and marked in use; 400 if unusable."""
    if name == lm.name:
        raise bad_request("speculative.draft_model names the model itself.", "speculative.draft_model")
    try:
        draft = await manager.acquire(name)
    except ApiError as e:
        raise ApiError(e.status, f"speculative.draft_model: {e.message}", type=e.type,
                       param="speculative.draft_model", code=e.code) from None
    if getattr(draft, "kind", "text") != "text" or tokenizer_digest(draft) != tokenizer_digest(lm):
        manager.release(draft)
        raise bad_request(
            f"speculative.draft_model: '{name}' does not share {lm.name}'s tokenizer (vocabulary and end "
            "tokens must be identical for its proposals to mean the same tokens).",
            "speculative.draft_model", "draft_tokenizer_mismatch")
    return draft


def tokenizer_digest(lm) -> str:
    digest = _DIGESTS.get(lm)
    if digest is None:
        tok = lm.tokenizer
        vocab = sorted(tok.get_vocab().items())
        h = hashlib.sha256(repr(vocab).encode())
        h.update(repr(sorted(tok.eos_token_ids)).encode())
        digest = _DIGESTS[lm] = h.hexdigest()
    return digest


def make_speculation(method: str | None, draft, num_tokens: int | None) -> Speculation | None:
    return None if method is None else Speculation(method, draft=draft, num_tokens=num_tokens)
