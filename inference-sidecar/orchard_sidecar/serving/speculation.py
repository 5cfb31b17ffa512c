"""A request's `speculative` field → the engine's Speculation: the method, and for a draft model the
draft acquired beside the main model (a pool entry of its own, so its memory is counted).

A draft must share the main model's tokenizer (same vocabulary and end tokens), checked once per pair.
"""

from __future__ import annotations

from ..drafts import check_pair
from ..errors import ApiError, bad_request
from ..speculative import DRAFT_MODEL, PROMPT_LOOKUP, Speculation


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
    if lm.draft is not None and lm.draft.loaded and name in (lm.draft.name, lm.options.draft_model):
        name = lm.draft.name  # the draft loaded with the model, checked then
    try:
        draft = await manager.acquire(name)
    except ApiError as e:
        raise ApiError(e.status, f"speculative.draft_model: {e.message}", type=e.type,
                       param="speculative.draft_model", code=e.code) from None
    try:
        check_pair(lm, draft, "speculative.draft_model")
    except ApiError:
        manager.release(draft)
        raise
    if lm.draft is not draft:
        # From now on it belongs to the model (a profile's draft arrives this way): counted as its draft,
        # evicted and unloaded with it. Unlike a load's draft_model, it is not used unasked.
        await manager.pair(lm, draft)
    return draft


def make_speculation(method: str | None, draft, num_tokens: int | None) -> Speculation | None:
    return None if method is None else Speculation(method, draft=draft, num_tokens=num_tokens)


def default_draft(lm) -> str | None:
    """The draft a load named (draft_model, also a pinned profile's): used when a request does not say
    `speculative` at all; "none" still turns it off."""
    draft = lm.draft
    return draft.name if lm.options.draft_model and draft is not None and draft.loaded else None
