"""/admin routes for the supervisor: model inventory, load/unload, memory limits, GGUF import."""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import importlib
import importlib.util
import pkgutil
import re
import sys
import time
from pathlib import Path

import mlx.core as mx
from fastapi import APIRouter, Request

from .. import embeddings, model_info, registry
from ..errors import ApiError, bad_request, not_found
from ..pool import LoadedModel, LoadOptions
from ..protocol.admin import (
    CancelLoadRequest,
    CancelLoadResponse,
    CapabilitiesResponse,
    ImportGGUFRequest,
    ImportGGUFResponse,
    LoadRequest,
    LoadResponse,
    MemoryResponse,
    MemoryUpdate,
    MemoryUpdateResponse,
    ModelsResponse,
    UnloadRequest,
    UnloadResponse,
)
from ..serving.model_text import model_text
from ..text.stops import StopValidationError, normalize_stops
from ..text.tool_parsers import UnknownToolFormat, get_tool_format
from ..vision.loader import KIND_VISION, vision_model_types

# Every route returns its protocol.admin response model (also its declared response_model, via the
# return annotation), so the contract with core is checked here and by core's zod client.
router = APIRouter(prefix="/admin")


def _loaded_view(lm: LoadedModel, engine) -> dict:
    return {
        "footprint_bytes": lm.footprint,
        "weights": lm.weights,
        "pinned": lm.options.pin,
        "ttl_seconds": lm.options.ttl_seconds,
        "context_length": lm.options.context_length,
        "stop": lm.options.stop,
        "tool_format": lm.options.tool_format,
        "idle_seconds": round(time.monotonic() - lm.last_used, 3),
        "active_sequences": engine.active_for(lm),
        "draft_model": lm.draft.name if lm.draft is not None else None,
    }


def _missing_import(src: str) -> bool:
    """True when the module imports a package that is not installed (olmo needs ai2-olmo, for one)."""
    for name in set(re.findall(r"^\s*(?:import|from)\s+([A-Za-z_]\w*)", src, re.M)):
        if name not in sys.stdlib_module_names and importlib.util.find_spec(name) is None:
            return True
    return False


@functools.cache
def supported_model_types() -> tuple[str, ...]:
    """config.json `model_type`s mlx-lm can load: modules of mlx_lm.models that define ModelArgs and a Model and
    whose imports are installed (read as text: importing all of them costs seconds, and one calls sys.exit),
    plus mlx-lm's own aliases of those (e.g. mistral -> llama)."""
    import mlx_lm.models
    from mlx_lm.utils import MODEL_REMAPPING

    found = set()
    for info in pkgutil.iter_modules(mlx_lm.models.__path__):
        try:
            src = (Path(info.module_finder.path) / f"{info.name}.py").read_text(encoding="utf-8")
        except OSError:
            continue
        is_model = re.search(r"^class ModelArgs\b", src, re.M) and re.search(
            r"^(class Model\(|from \S+ import .*\bModel\b)", src, re.M
        )
        if is_model and not _missing_import(src):
            found.add(info.name)
    found |= {alias for alias, target in MODEL_REMAPPING.items() if target in found}
    found |= set(embeddings.SUPPORTED_TYPES)  # run by orchard_sidecar.embeddings, not mlx-lm
    found |= vision_model_types()  # loaded through mlx-vlm (see vision/loader.py)
    return tuple(sorted(found))


@router.get("/capabilities")
async def capabilities() -> CapabilitiesResponse:
    from mlx_lm import __version__ as mlx_lm_version

    types = await asyncio.to_thread(supported_model_types)
    return CapabilitiesResponse(mlx_lm_version=mlx_lm_version, model_types=list(types),
                                embedding_model_types=list(embeddings.SUPPORTED_TYPES))


def _disk_rows(cache_dir: Path, loaded: list[LoadedModel]) -> dict[str, dict]:
    """Every model on disk or loaded, with what its files say (model_info); off the event loop."""
    rows = {}
    for disk in [*registry.list_models(cache_dir), *(lm.disk for lm in loaded)]:
        if disk.name not in rows:
            rows[disk.name] = {"id": disk.name, "path": str(disk.path), "revision": disk.revision,
                               "size_bytes": disk.size_bytes, "loaded": False,
                               **model_info.describe(disk.path).row()}
    return rows


@router.get("/models")
async def models(request: Request) -> ModelsResponse:
    state = request.app.state.sidecar
    loaded = {lm.name: lm for lm in state.pool.snapshot()}
    rows = await asyncio.to_thread(_disk_rows, state.settings.cache_dir, list(loaded.values()))
    for name, lm in loaded.items():
        if lm.kind == "embeddings":
            caps = model_info.EMBEDDING_CAPABILITIES
        else:
            text = model_text(lm.tokenizer)  # the live tokenizer knows its whole vocabulary
            caps = model_info.capabilities(text.reasoning, text.tools)
        rows[name].update(loaded=True, capabilities=list(caps), **_loaded_view(lm, state.engine))
        if lm.kind == KIND_VISION:
            rows[name]["capabilities"].append("vision")
    for row in rows.values():
        row["loads"] = state.pool.load_counts.get(row["id"], 0)
    return ModelsResponse(object="list", data=sorted(rows.values(), key=lambda r: r["id"]))


@router.post("/models/load")
async def load(request: Request, body: LoadRequest) -> LoadResponse:
    state = request.app.state.sidecar
    try:
        stop = normalize_stops(body.stop) or None
        if body.tool_format:
            get_tool_format(body.tool_format)
    except (StopValidationError, UnknownToolFormat) as e:
        raise bad_request(str(e), "stop" if isinstance(e, StopValidationError) else "tool_format") from None
    options = LoadOptions(pin=body.pin, ttl_seconds=body.ttl_seconds, context_length=body.context_length,
                          stop=stop, tool_format=body.tool_format, draft_model=body.draft_model)
    lm = await state.manager.load(body.model, options)
    return LoadResponse(id=lm.name, loaded=True, **_loaded_view(lm, state.engine))


@router.post("/models/cancel-load")
async def cancel_load(request: Request, body: CancelLoadRequest) -> CancelLoadResponse:
    if not request.app.state.sidecar.manager.cancel_load(body.model):
        raise not_found(f"No load of '{body.model}' is under way.", "model", "model_not_loading")
    return CancelLoadResponse(id=body.model, cancelled=True)


@router.post("/models/unload")
async def unload(request: Request, body: UnloadRequest) -> UnloadResponse:
    state = request.app.state.sidecar
    if not await state.manager.unload(body.model):
        raise not_found(f"The model '{body.model}' is not loaded.", "model", "model_not_loaded")
    return UnloadResponse(id=body.model, loaded=False)


def _memory(state) -> dict:
    active = mx.get_active_memory()
    return {
        "limit_bytes": state.pool.limit,
        "active_bytes": active,
        # True when pinned or busy models keep memory above the limit (or more models than max_models).
        "over_limit": active > state.pool.limit or len(state.pool.models) > state.pool.max_models,
        "peak_bytes": mx.get_peak_memory(),
        "cache_bytes": mx.get_cache_memory(),
        "prefix_cache_bytes": state.engine.prefix.nbytes,
        "disk_prefix_cache": state.engine.disk.stats(),
        "max_models": state.pool.max_models,
        "models": [{"id": lm.name, "footprint_bytes": lm.footprint, "weights": lm.weights, "pinned": lm.options.pin,
                    "draft_of": list(lm.draft_of)}
                   for lm in state.pool.snapshot()],
        # Being read from disk now: their files must not be deleted under them either.
        "loading": state.manager.loading(),
        "loads": state.manager.load_progress(),
        **state.engine.slots(),
    }


@router.get("/memory")
async def memory(request: Request) -> MemoryResponse:
    return MemoryResponse(**_memory(request.app.state.sidecar))


@router.put("/memory")
async def set_memory(request: Request, body: MemoryUpdate) -> MemoryUpdateResponse:
    state = request.app.state.sidecar
    # A lower limit unloads idle unpinned models at once; what must stay is reported, not refused.
    evicted = await state.engine.call(state.pool.set_limits, body.limit_bytes, body.max_models)
    return MemoryUpdateResponse(**_memory(state), evicted=evicted)


@router.post("/models/import-gguf")
async def import_gguf(request: Request, body: ImportGGUFRequest) -> ImportGGUFResponse:
    # Imported here: the importer pulls in gguf and tokenizers, which the sidecar's start does not need.
    from ..gguf_import import GGUFImportError
    from ..gguf_import import import_gguf as run_import

    state = request.app.state.sidecar
    try:
        result = await state.engine.call(run_import, Path(body.path), state.settings.cache_dir, body.repo_id)
    except (GGUFImportError, FileNotFoundError) as e:
        raise ApiError(422, f"GGUF import failed: {e}", param="path", code="gguf_import_failed") from None
    details = {**dataclasses.asdict(result), "path": str(result.path)}
    return ImportGGUFResponse(id=body.repo_id, imported=True, **details)
