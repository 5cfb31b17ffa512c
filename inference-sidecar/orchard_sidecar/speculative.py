"""Speculative decoding for one sequence: tokens proposed by prompt lookup (n-grams of the prompt and
the output so far) or by a draft model, all verified by the main model in one forward pass.

The rule for when it applies: a request that asks for speculation is decoded single-stream (its own
KV cache, stepped by the engine between the batch's steps) when its model's cache can be trimmed
and it has no logits processors (grammar, reasoning budget, logit_bias, penalties: they keep
per-token state that a rejected proposal would corrupt). Otherwise it joins the batch as usual and
reports 0 proposed. Greedy output is the target model's argmax at every position, so it is the
plain output token for token; sampled output uses the standard acceptance rule (accept a proposal
with probability min(1, p/q), else draw from the normalized residual max(0, p - q)), which keeps the
sampler's distribution. MLX thread only.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import mlx.core as mx
from mlx_lm.models.cache import can_trim_prompt_cache, make_prompt_cache, trim_prompt_cache

PROMPT_LOOKUP = "prompt_lookup"
DRAFT_MODEL = "draft_model"
# Longest and shortest n-gram looked up: a long match finds the right place in a copied text (the
# prompt, not the output's own last copy of a common phrase); a single token predicts nothing.
LOOKUP_MAX_NGRAM = 5
LOOKUP_MIN_NGRAM = 2
# Most proposals per round. Lookups are free but verifying them is not (on a CPU, 11 tokens cost
# about twice one), so their count adapts: doubled after a round that kept all, else cut to what
# was kept plus one, never below LOOKUP_MIN_TOKENS. A draft model pays a forward pass per proposal.
LOOKUP_TOKENS = 12
LOOKUP_MIN_TOKENS = 2
DRAFT_TOKENS = 4
# Prompt tokens prefilled per engine step, as the batch does.
PREFILL_STEP = 2048


@dataclass(eq=False)
class Speculation:
    """What a request asked for, and (filled in the MLX thread) what it got."""

    method: str  # PROMPT_LOOKUP | DRAFT_MODEL
    draft: Any = None  # pool.LoadedModel of the draft model (DRAFT_MODEL only)
    num_tokens: int | None = None  # proposals per round; None = the method's default
    applied: bool = False  # decoded speculatively (else the batch decoded it plainly)
    proposed: int = 0
    accepted: int = 0

    def summary(self) -> dict:
        return {"method": self.method, "applied": self.applied, "proposed": self.proposed,
                "accepted": self.accepted}


class NgramIndex:
    """Where each n-gram of a growing token list last ended, for proposals in O(1) per round."""

    def __init__(self, tokens: list[int], min_n: int = LOOKUP_MIN_NGRAM, max_n: int = LOOKUP_MAX_NGRAM):
        self.tokens: list[int] = []
        self._sizes = range(max_n, min_n - 1, -1)
        self._ends: dict[int, dict[tuple, int]] = {n: {} for n in self._sizes}
        self.extend(tokens)

    def extend(self, tokens: list[int]) -> None:
        start = len(self.tokens)
        self.tokens.extend(tokens)
        # An n-gram ending at the last position is the suffix being looked up: index it only once
        # something follows it, so a lookup never finds itself.
        for end in range(max(start, 1), len(self.tokens)):
            for n in self._sizes:
                if end >= n:
                    self._ends[n][tuple(self.tokens[end - n:end])] = end

    def propose(self, k: int) -> list[int]:
        """Up to k tokens that followed the most recent earlier occurrence of the longest suffix."""
        size = len(self.tokens)
        for n in self._sizes:
            if size < n:
                continue
            end = self._ends[n].get(tuple(self.tokens[size - n:]))
            if end is not None:
                return self.tokens[end:end + k]
        return []


_TRIMMABLE: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # LoadedModel -> bool


def trimmable(lm) -> bool:
    """Whether a model's KV cache can be rewound (rotating and SSM caches cannot)."""
    verdict = _TRIMMABLE.get(lm)
    if verdict is None:
        verdict = _TRIMMABLE[lm] = can_trim_prompt_cache(make_prompt_cache(lm.model))
    return verdict


def applies(job) -> bool:
    spec = job.speculation
    # A quantized KV cache (kv_bits) keeps the batch: its caches are not the plain ones used here.
    if spec is None or job.logits_processors or getattr(job, "kv", None) or not trimmable(job.model):
        return False
    return spec.method != DRAFT_MODEL or (spec.draft is not None and spec.draft.loaded and trimmable(spec.draft))


class _Draft:
    """The draft model's side of a stream: its own cache and the tokens it has not seen yet."""

    def __init__(self, lm, cache: list, pending: list[int]):
        self.lm = lm
        self.cache = cache
        self.pending = pending

    def prefill(self) -> None:
        while len(self.pending) > PREFILL_STEP:
            self.lm.model(mx.array(self.pending[:PREFILL_STEP])[None], cache=self.cache)
            mx.eval([c.state for c in self.cache])
            self.pending = self.pending[PREFILL_STEP:]

    def propose(self, k: int, sampler) -> tuple[list[int], mx.array | None]:
        """k draft tokens and, when sampling, the draft distribution each was drawn from (k, V)."""
        tokens, dists = [], []
        y = mx.array(self.pending)
        for _ in range(k):
            logits = self.lm.model(y[None], cache=self.cache)[0, -1:]
            logprobs = logits - mx.logsumexp(logits, axis=-1, keepdims=True)
            if sampler is None:
                y = mx.argmax(logprobs, axis=-1)
            else:
                scaled = sampler.logits(logprobs)
                y = mx.random.categorical(scaled, key=sampler.next_key())
                dists.append(mx.softmax(scaled, axis=-1))
            mx.async_eval(y)
            tokens.append(y)
        out = mx.concatenate(tokens).tolist()
        return out, (mx.concatenate(dists) if dists else None)

    def settle(self, proposals: list[int], accepted: int, emitted: list[int]) -> None:
        """Rewind to the accepted proposals; what the draft has not yet seen is fed next round."""
        k = len(proposals)
        if k == 0:
            self.pending = self.pending + emitted
        elif accepted < k:
            trim_prompt_cache(self.cache, k - 1 - accepted)
            self.pending = emitted[-1:]
        else:
            self.pending = [proposals[-1], emitted[-1]]


class SpecStream:
    """One speculative sequence. step() returns the tokens this round produced (maybe none)."""

    def __init__(self, job, cache: list | None, rest: list[int], draft: _Draft | None):
        self.job = job
        spec: Speculation = job.speculation
        self.spec = spec
        self.cache = cache if cache is not None else make_prompt_cache(job.model.model)
        done = len(job.prompt) - len(rest)
        self.tokens = list(job.prompt[:done])  # what the cache holds, for the prefix cache
        self.pending = list(rest)  # prompt tokens not yet in the cache; the last one starts decoding
        self.draft = draft
        self.index = NgramIndex(job.prompt) if spec.method == PROMPT_LOOKUP else None
        self.k = spec.num_tokens or (LOOKUP_TOKENS if self.index is not None else DRAFT_TOKENS)
        self.k_now = self.k if spec.num_tokens or self.index is None else LOOKUP_MIN_TOKENS * 2
        self.generated = 0

    def step(self) -> list[int]:
        model = self.job.model.model
        if len(self.pending) > 1:
            chunk = self.pending[:min(PREFILL_STEP, len(self.pending) - 1)]
            model(mx.array(chunk)[None], cache=self.cache)
            mx.eval([c.state for c in self.cache])
            self.tokens += chunk
            self.pending = self.pending[len(chunk):]
            if self.draft is not None:
                self.draft.prefill()
            return []
        last = self.pending[0]
        sampler = self.job.sampler
        # The token after the last proposal always counts too, so never propose past max_tokens.
        k = max(0, min(self.k_now, self.job.max_tokens - self.generated - 1))
        q = None
        if k == 0:
            proposals = []
        elif self.index is not None:
            proposals = self.index.propose(k)
        else:
            self.draft.prefill()
            proposals, q = self.draft.propose(k, sampler)
        logits = model(mx.array([last, *proposals])[None], cache=self.cache)[0]
        logprobs = logits - mx.logsumexp(logits, axis=-1, keepdims=True)
        if sampler is None:
            targets = mx.argmax(logprobs, axis=-1).tolist()
            n = 0
            while n < len(proposals) and proposals[n] == targets[n]:
                n += 1
            emitted = targets[:n + 1]
        else:
            n, emitted = accept_sampled(sampler, logprobs, proposals, q)
        trim_prompt_cache(self.cache, len(proposals) - n)
        if self.draft is not None:
            self.draft.settle(proposals, n, emitted)
        if self.index is not None and proposals and not self.spec.num_tokens:
            full = n == len(proposals)
            self.k_now = min(self.k, self.k_now * 2) if full else max(LOOKUP_MIN_TOKENS, n + 1)
        self.spec.proposed += len(proposals)
        self.spec.accepted += n
        self.tokens += [last, *proposals[:n]]
        self.pending = emitted[-1:]
        if self.index is not None:
            self.index.extend(emitted)
        self.generated += len(emitted)
        return emitted


def accept_sampled(sampler, logprobs: mx.array, proposals: list[int], q: mx.array | None) -> tuple[int, list[int]]:
    """The standard rule: (accepted count, tokens emitted). q=None: deterministic proposals (one-hot q)."""
    p = mx.softmax(sampler.logits(logprobs), axis=-1)  # (k+1, V): the sampler's own distribution
    k = len(proposals)
    if k:
        idx = mx.array(proposals)
        p_d = p[mx.arange(k), idx]
        if q is not None:
            q = _fit_width(q, p.shape[-1])
            ratio = p_d / mx.maximum(q[mx.arange(k), idx], 1e-30)
        else:
            ratio = p_d
        coins = mx.random.uniform(shape=(k,), key=sampler.next_key())
        keep = (coins < ratio).tolist()
        for i, ok in enumerate(keep):
            if ok:
                continue
            residual = p[i] - (q[i] if q is not None else mx.zeros_like(p[i]).at[proposals[i]].add(1.0))
            residual = mx.maximum(residual, 0.0)
            total = residual.sum().item()
            dist = residual / total if total > 0 else p[i]
            token = mx.random.categorical(mx.log(dist), key=sampler.next_key()).item()
            return i, [*proposals[:i], token]
    token = mx.random.categorical(mx.log(p[k]), key=sampler.next_key()).item()
    return k, [*proposals, token]


def _fit_width(q: mx.array, width: int) -> mx.array:
    """A draft's distribution over the main model's vocabulary width (embedding rows may be padded)."""
    if q.shape[-1] == width:
        return q
    if q.shape[-1] > width:
        return q[:, :width]
    return mx.concatenate([q, mx.zeros((q.shape[0], width - q.shape[-1]), dtype=q.dtype)], axis=-1)


class SpecRunner:
    """The engine's speculative streams: admitted, stepped once per engine loop, removed."""

    def __init__(self, prefix, finish: Callable, keep_prefix: Callable):
        self._prefix = prefix  # the engine's PrefixCaches (main and draft models both use it)
        self._finish = finish  # (job, reason, error)
        self._keep_prefix = keep_prefix  # (model, tokens, cache)
        self._streams: dict[int, SpecStream] = {}

    @property
    def busy(self) -> bool:
        return bool(self._streams)

    def __len__(self) -> int:
        return len(self._streams)

    def count_for(self, model) -> int:
        return sum(1 for s in list(self._streams.values()) if s.job.model is model)

    def insert(self, job, cache: list | None, rest: list[int]) -> None:
        """Start a stream from the main model's cache for the prompt's first tokens (None: from scratch)."""
        draft = None
        if job.speculation.method == DRAFT_MODEL:
            dlm = job.speculation.draft
            dcache, drest = self._prefix.fetch(dlm, job.prompt)
            draft = _Draft(dlm, dcache if dcache is not None else make_prompt_cache(dlm.model), list(drest))
        stream = SpecStream(job, cache, rest, draft)
        job.cached_tokens = len(job.prompt) - len(rest)
        job.speculation.applied = True
        self._streams[id(job)] = stream

    def remove(self, job) -> bool:
        return self._streams.pop(id(job), None) is not None

    def release(self, model) -> list:
        """Drop the streams that use `model` (as main or draft model); returns their jobs."""
        gone = [s for s in self._streams.values()
                if s.job.model is model or (s.draft is not None and s.draft.lm is model)]
        for s in gone:
            del self._streams[id(s.job)]
        return [s.job for s in gone]

    def shutdown(self) -> list:
        jobs = [s.job for s in self._streams.values()]
        self._streams.clear()
        return jobs

    def step(self) -> None:
        for key, stream in list(self._streams.items()):
            job = stream.job
            try:
                tokens = stream.step()
            except Exception as e:  # its forward pass, sampler or cache: this sequence alone
                del self._streams[key]
                self._finish(job, "error", e)
                continue
            for i, token in enumerate(tokens):
                try:
                    stop = job.on_token(token)
                except Exception as e:  # its detokenizer, stop matcher or text parsers
                    del self._streams[key]
                    self._finish(job, "error", e)
                    break
                if stop or (i == len(tokens) - 1 and stream.generated >= job.max_tokens):
                    del self._streams[key]
                    self._keep(stream)
                    self._finish(job, "stop" if stop else "length", None)
                    break

    def _keep(self, stream: SpecStream) -> None:
        self._keep_prefix(stream.job.model, stream.tokens, stream.cache)
        if stream.draft is not None and not stream.draft.pending[:-1]:
            # The draft cache holds exactly the main cache's tokens only when nothing but the
            # next input is pending; otherwise it is simply not kept.
            self._keep_prefix(stream.draft.lm, stream.tokens, stream.draft.cache)
