"""Draft models for speculative decoding: the check that a draft shares its main model's tokenizer.

Used both for a request's draft (serving/speculation.py) and for a draft loaded with its model (pool.py).
"""

from __future__ import annotations

import hashlib
import weakref

from .errors import bad_request

_DIGESTS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # LoadedModel -> tokenizer digest


def tokenizer_digest(lm) -> str:
    digest = _DIGESTS.get(lm)
    if digest is None:
        tok = lm.tokenizer
        vocab = sorted(tok.get_vocab().items())
        h = hashlib.sha256(repr(vocab).encode())
        h.update(repr(sorted(tok.eos_token_ids)).encode())
        digest = _DIGESTS[lm] = h.hexdigest()
    return digest


def check_pair(lm, draft, param: str) -> None:
    """A 400 naming `param` unless `draft` can propose tokens for `lm` (a text model, same tokenizer)."""
    if draft.name == lm.name:
        raise bad_request(f"{param} names the model itself.", param)
    if getattr(draft, "kind", "text") != "text" or tokenizer_digest(draft) != tokenizer_digest(lm):
        raise bad_request(
            f"{param}: '{draft.name}' does not share {lm.name}'s tokenizer (vocabulary and end "
            "tokens must be identical for its proposals to mean the same tokens).",
            param,
            "draft_tokenizer_mismatch",
        )
