"""Per-request sampler and logits processors from OpenAI sampling parameters.

Each sampled request owns its own mx.random key, so a seed reproduces its text whatever
else is decoding in the same batch.
"""

from __future__ import annotations

import secrets

import mlx.core as mx
from mlx_lm.sample_utils import apply_min_p, apply_top_k, apply_top_p, make_logits_processors

from ..errors import bad_request

# Used when the request gives no temperature (OpenAI's default). 0 always means greedy.
DEFAULT_TEMPERATURE = 1.0
# Tokens looked back on by the repetition, presence and frequency penalties.
PENALTY_CONTEXT = 64


def make_sampler(temperature: float, top_p: float | None, top_k: int | None, min_p: float | None,
                 seed: int | None, vocab_size: int):
    """None means greedy (argmax), which the batch samples in one call for every sequence."""
    if temperature == 0:
        return None
    if top_k is not None and top_k >= vocab_size:
        top_k = None  # keeping every token is no filter at all
    filters = []
    if top_p is not None and 0 < top_p < 1:
        filters.append(lambda x: apply_top_p(x, top_p))
    if min_p:
        filters.append(lambda x: apply_min_p(x, min_p))
    if top_k:
        filters.append(lambda x: apply_top_k(x, top_k))
    # A negative seed means "no seed" (clients send -1 for random, as OpenAI reads it); above 64
    # bits the protocol refuses it. mx.random.key takes neither, and would fail mid-step.
    seed = seed % 2**64 if seed is not None and seed >= 0 else secrets.randbits(63)
    return Sampler(filters, 1.0 / temperature, seed)


class Sampler:
    """Filters, temperature and a per-request key chain; speculation reads the same distribution
    (`logits`) and draws its acceptance coins from the same chain (`next_key`)."""

    def __init__(self, filters: list, scale: float, seed: int) -> None:
        self._filters = filters
        self._scale = scale
        self._seed = seed
        self._state: list = []  # the key is made on first use, in the MLX thread

    def logits(self, logprobs: mx.array) -> mx.array:
        """Unnormalized log-probabilities of the distribution this sampler draws from (row-wise)."""
        for f in self._filters:
            logprobs = f(logprobs)
        return logprobs * self._scale

    def next_key(self) -> mx.array:
        key = self._state.pop() if self._state else mx.random.key(self._seed)
        key, sub = mx.random.split(key)
        self._state.append(key)
        return sub

    def __call__(self, logprobs: mx.array) -> mx.array:
        return mx.random.categorical(self.logits(logprobs), key=self.next_key())


def make_processors(*, logit_bias: dict[str, float] | None, repetition_penalty: float | None,
                    presence_penalty: float | None, frequency_penalty: float | None,
                    vocab_size: int) -> list:
    bias = None
    if logit_bias:
        bias = {}
        for key, value in logit_bias.items():
            try:
                token = int(key)
            except ValueError:
                raise bad_request(f"logit_bias key '{key}' is not a token id.", "logit_bias") from None
            if not 0 <= token < vocab_size:
                raise bad_request(
                    f"logit_bias token id {token} is outside the vocabulary (0..{vocab_size - 1}).",
                    "logit_bias",
                )
            bias[token] = float(value)
    return make_logits_processors(
        logit_bias=bias,
        repetition_penalty=repetition_penalty,
        repetition_context_size=PENALTY_CONTEXT,
        presence_penalty=presence_penalty,
        presence_context_size=PENALTY_CONTEXT,
        frequency_penalty=frequency_penalty,
        frequency_context_size=PENALTY_CONTEXT,
    )
