"""Request bodies and responses of the /admin endpoints and GET /health: the core<->sidecar contract.

Core parses every response with zod schemas that mirror these (src-main/core/sidecar/adminSchema.ts).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class _Admin(BaseModel):
    # Admin callers are our own supervisor: a misspelt field is a bug, so refuse it.
    model_config = ConfigDict(extra="forbid")


class LoadRequest(_Admin):
    model: Annotated[str, Field(min_length=1)]
    pin: bool = False
    ttl_seconds: Annotated[float, Field(gt=0)] | None = None
    context_length: Annotated[int, Field(ge=1)] | None = None
    stop: list[str] | None = None  # profile stops, merged with each request's
    tool_format: str | None = None  # profile override of the detected tool-call format
    # A draft model for speculative decoding, loaded with this one (same tokenizer checked; unloaded with it).
    draft_model: Annotated[str, Field(min_length=1)] | None = None


class UnloadRequest(_Admin):
    model: Annotated[str, Field(min_length=1)]


class CancelLoadRequest(_Admin):
    model: Annotated[str, Field(min_length=1)]  # as the load named it (a repo id or a path)


class TokenizeRequest(_Admin):
    model: Annotated[str, Field(min_length=1)]
    # Each text counted on its own (a chat's attachments, its history): at most 64 at a time.
    texts: Annotated[list[str], Field(max_length=64)]


class MemoryUpdate(_Admin):
    limit_bytes: Annotated[int, Field(ge=1)] | None = None
    max_models: Annotated[int, Field(ge=1)] | None = None


class ImportGGUFRequest(_Admin):
    path: Annotated[str, Field(min_length=1)]
    repo_id: Annotated[str, Field(min_length=3, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*/[A-Za-z0-9][A-Za-z0-9._-]*$")]


# ---------- responses ----------
# extra="forbid" here too: a key added to a response without a field fails the sidecar's own
# tests, instead of reaching core unannounced.


class _Reply(BaseModel):
    model_config = ConfigDict(extra="forbid")


class _Slots(_Reply):
    active_sequences: int  # sequences decoding now, over all models
    queued_commands: int  # work waiting for the MLX thread


class HealthResponse(_Slots):
    status: Literal["ok"]
    pid: int
    loaded_models: int


class CapabilitiesResponse(_Reply):
    mlx_lm_version: str
    model_types: list[str]  # config.json model_types mlx-lm can load here
    # Of those, the ones an embedding model (sentence-transformers folder) may have: the embedder's own.
    embedding_model_types: list[str]


Weights = Literal["as-stored", "float32"]


class _LoadedFields(_Reply):
    footprint_bytes: int
    weights: Weights
    pinned: bool
    ttl_seconds: float | None
    context_length: int | None
    stop: list[str] | None
    tool_format: str | None
    idle_seconds: float
    active_sequences: int  # of this model
    draft_model: str | None  # the draft loaded with it, used when a request does not say `speculative`


class Quantization(_Reply):
    bits: int
    group_size: int | None
    mode: str | None  # "affine", "mxfp4", …


class _OnDisk(_Reply):
    id: str
    path: str
    revision: str | None
    size_bytes: int
    loads: int  # loads since the sidecar started
    # From its files (orchard_sidecar/model_info.py), for model listings.
    architecture: str | None  # config.json model_type
    context_window: int  # positions its config declares (the window when no profile sets one)
    quantization: Quantization | None
    dtype: str | None  # config.json torch_dtype
    capabilities: list[str]  # "completion", and "tools" / "thinking" where the template has the markup


class IdleModelRow(_OnDisk):
    loaded: Literal[False]


class LoadedModelRow(_OnDisk, _LoadedFields):
    loaded: Literal[True]


class ModelsResponse(_Reply):
    object: Literal["list"]
    data: list[IdleModelRow | LoadedModelRow]


class LoadResponse(_LoadedFields):
    id: str
    loaded: Literal[True]


class UnloadResponse(_Reply):
    id: str
    loaded: Literal[False]


class CancelLoadResponse(_Reply):
    id: str
    cancelled: Literal[True]  # the load stops before its next tensor; its caller gets load_cancelled


class LoadProgressRow(_Reply):
    id: str
    done_bytes: int  # weights read so far
    total_bytes: int | None  # all of its weights; null while config and tokenizer are still being read
    seconds: float  # since the load began


class MemoryModel(_Reply):
    id: str
    footprint_bytes: int
    weights: Weights
    pinned: bool
    draft_of: list[str]  # the models it was loaded with as their draft (it is unloaded with them)


class DiskPrefixCache(_Reply):
    """The prefix cache on disk (kv_store.py); all zero when it is off."""

    bytes: int  # block files on disk now
    budget_bytes: int  # least recently used files are removed above this
    entries: int  # block files


class MemoryResponse(_Slots):
    limit_bytes: int
    active_bytes: int
    over_limit: bool  # pinned or busy models keep memory above the limit, or too many models
    peak_bytes: int
    cache_bytes: int
    prefix_cache_bytes: int
    disk_prefix_cache: DiskPrefixCache
    max_models: int
    models: list[MemoryModel]
    loading: list[str]  # loads under way (their files must not be deleted either)
    loads: list[LoadProgressRow]  # the same loads, with how far each has come


class MemoryUpdateResponse(MemoryResponse):
    evicted: list[str]  # unloaded at once because they no longer fit


class ImportGGUFResponse(_Reply):
    id: str
    imported: Literal[True]
    repo_id: str
    path: str
    revision: str
    architecture: str
    # {"group_size", "bits", "mode"} plus per-module overrides; null when unquantized.
    quantization: dict[str, Any] | None
    tensor_types: dict[str, int]
    seconds: float
    warnings: list[str]


class TokenizeResponse(_Reply):
    id: str
    loaded: bool  # counts only come from a loaded model's tokenizer: this route never loads one
    counts: list[int] | None  # tokens of each text, in order; null when the model is not loaded
    context_window: int  # positions its config declares
    context_length: int | None  # the window the loaded model was given (a profile's), if any
