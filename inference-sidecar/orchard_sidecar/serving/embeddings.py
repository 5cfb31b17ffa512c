"""POST /v1/embeddings: inputs → token ids → vectors from the model's Embedder → OpenAI's response shape.

Requests for one model that arrive while its previous batch runs are embedded together in the next one.
"""

from __future__ import annotations

import asyncio
import base64
from dataclasses import dataclass, field

import numpy as np
from fastapi import Request

from ..engine import Engine
from ..errors import ApiError, bad_request
from ..log import log
from ..protocol.openai import EmbeddingRequest


@dataclass(eq=False)
class _Waiting:
    sequences: list[list[int]]
    done: asyncio.Future


@dataclass
class _Queue:
    waiting: list[_Waiting] = field(default_factory=list)
    running: bool = False


class EmbeddingBatcher:
    """One queue per loaded model; a drain task sends everything waiting to the MLX thread in one call."""

    def __init__(self, engine: Engine):
        self.engine = engine
        self._queues: dict[int, _Queue] = {}

    async def embed(self, lm, sequences: list[list[int]]) -> np.ndarray:
        queue = self._queues.setdefault(id(lm), _Queue())
        item = _Waiting(sequences, asyncio.get_running_loop().create_future())
        queue.waiting.append(item)
        if not queue.running:
            queue.running = True
            asyncio.ensure_future(self._drain(lm, queue))
        return await item.done

    async def _drain(self, lm, queue: _Queue) -> None:
        try:
            while queue.waiting:
                batch, queue.waiting = queue.waiting, []
                # Counts only: no text leaves in logs.
                log("embedding_batch", model=lm.name, requests=len(batch), inputs=sum(len(w.sequences) for w in batch))
                try:
                    vectors = await self.engine.call(_embed, lm, [s for w in batch for s in w.sequences])
                except BaseException as e:  # every request in the batch gets the failure
                    for w in batch:
                        if not w.done.done():
                            w.done.set_exception(e)
                    continue
                start = 0
                for w in batch:
                    if not w.done.done():
                        w.done.set_result(vectors[start : start + len(w.sequences)])
                    start += len(w.sequences)
        finally:
            queue.running = False
            self._queues.pop(id(lm), None)


def _embed(lm, sequences: list[list[int]]) -> np.ndarray:
    """MLX thread: the model may have been unloaded while the request waited."""
    if not lm.loaded or lm.model is None:
        raise ApiError(409, "the model was unloaded while this request was waiting", type="model_unloaded",
                       code="model_unloaded")
    return lm.model.embed(sequences)


def _sequences(embedder, body: EmbeddingRequest) -> list[list[int]]:
    """Token ids per input, framed with the model's special tokens and cut (or refused) at its length."""
    raw = body.input
    if isinstance(raw, str):
        seqs = embedder.tokenize([raw])
    elif isinstance(raw[0], str):
        seqs = embedder.tokenize(raw)
    else:
        given = [raw] if isinstance(raw[0], int) else raw
        vocab = embedder.vocab_size
        for i, ids in enumerate(given):
            bad = next((t for t in ids if t >= vocab), None)
            if bad is not None:
                raise bad_request(f"input[{i}] holds token id {bad}, outside the model's vocabulary of {vocab}.",
                                  "input", "invalid_token_id")
        seqs = [embedder.wrap(ids) for ids in given]
    limit = embedder.sentence.max_tokens
    if not body.truncate:
        for i, ids in enumerate(seqs):
            if len(ids) > limit:
                raise bad_request(f"input[{i}] is {len(ids)} tokens; this model reads at most {limit} "
                                  "(send truncate: true to cut it).", "input", "context_length_exceeded")
    return [embedder.fit(ids) for ids in seqs]


def _shape(vectors: np.ndarray, dimensions: int | None, normalized: bool) -> np.ndarray:
    """The first `dimensions` components (Matryoshka truncation), renormalized if the model normalizes."""
    if dimensions is None or dimensions == vectors.shape[1]:
        return vectors
    cut = vectors[:, :dimensions]
    if normalized:
        cut = cut / np.maximum(np.linalg.norm(cut, axis=1, keepdims=True), 1e-12)
    return cut.astype(np.float32)


async def create_embeddings(request: Request, body: EmbeddingRequest) -> dict:
    state = request.app.state.sidecar
    lm = await state.manager.acquire(body.model, purpose="embed")
    try:
        embedder = lm.model
        if body.dimensions is not None and body.dimensions > embedder.dimensions:
            raise bad_request(f"dimensions is {body.dimensions}, but '{body.model}' makes vectors of "
                              f"{embedder.dimensions}.", "dimensions", "invalid_value")
        seqs = await asyncio.to_thread(_sequences, embedder, body)
        vectors = await state.embeddings.embed(lm, seqs)
    finally:
        state.manager.release(lm)
    vectors = _shape(vectors, body.dimensions, embedder.sentence.normalize)
    if body.encoding_format == "base64":
        # OpenAI's encoding: the little-endian float32 bytes of each vector.
        items = [base64.b64encode(v.astype("<f4").tobytes()).decode("ascii") for v in vectors]
    else:
        items = vectors.tolist()
    tokens = sum(len(s) for s in seqs)
    return {
        "object": "list",
        "data": [{"object": "embedding", "index": i, "embedding": e} for i, e in enumerate(items)],
        "model": body.model,
        "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
    }
