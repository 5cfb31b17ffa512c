"""What a model folder says about itself, for listings (/admin/models → core's /v1/models, LM Studio's and
Ollama's model APIs): architecture, window, quantization, dtype, and capabilities from its chat template.

Read from config.json and the tokenizer files without loading anything; cached per file state.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from .embeddings import is_embedding_model
from .pool import context_window
from .text.reasoning import detect_reasoning_format
from .text.tool_parsers import detect_tool_format
from .vision.loader import KIND_VISION, model_kind

_FILES = ("config.json", "tokenizer_config.json", "chat_template.jinja", "chat_template.json", "modules.json")


@dataclass(frozen=True)
class ModelInfo:
    architecture: str | None
    context_window: int
    quantization: dict[str, Any] | None  # {"bits", "group_size", "mode"}
    dtype: str | None
    capabilities: tuple[str, ...]

    def row(self) -> dict[str, Any]:
        return {"architecture": self.architecture, "context_window": self.context_window,
                "quantization": self.quantization, "dtype": self.dtype,
                "capabilities": list(self.capabilities)}


def capabilities(reasoning: Any, tools: Any) -> tuple[str, ...]:
    """Ollama's vocabulary: every model here generates text; tools and thinking where its template
    (or vocabulary) has the markup the sidecar parses."""
    return ("completion", *(("tools",) if tools else ()), *(("thinking",) if reasoning else ()))


EMBEDDING_CAPABILITIES = ("embeddings",)

_cache: dict[str, tuple[tuple, ModelInfo]] = {}
_lock = threading.Lock()


def describe(folder: Path) -> ModelInfo:
    """The folder's ModelInfo; read again only when one of its files changed."""
    stamp = tuple(_mtime(folder / name) for name in _FILES)
    key = str(folder)
    with _lock:
        hit = _cache.get(key)
    if hit is not None and hit[0] == stamp:
        return hit[1]
    info = _read(folder)
    if model_kind(folder) == KIND_VISION:  # reads images too (through mlx-vlm)
        info = replace(info, capabilities=(*info.capabilities, "vision"))
    with _lock:
        _cache[key] = (stamp, info)
    return info


def _mtime(path: Path) -> int | None:
    try:
        return path.stat().st_mtime_ns
    except OSError:
        return None


def _json(path: Path) -> dict:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _read(folder: Path) -> ModelInfo:
    config = _json(folder / "config.json")
    tok = _json(folder / "tokenizer_config.json")
    template = _template(folder, tok)
    # Special tokens stand in for the vocabulary: the markers detection looks for are added tokens.
    added = tok.get("added_tokens_decoder")
    vocab = {v["content"]: int(k) for k, v in added.items()
             if isinstance(v, dict) and isinstance(v.get("content"), str) and str(k).isdigit()} \
        if isinstance(added, dict) else {}
    text_config = config.get("text_config") if isinstance(config.get("text_config"), dict) else {}
    arch = config.get("model_type")
    dtype = config.get("torch_dtype") or config.get("dtype") or text_config.get("torch_dtype")
    return ModelInfo(
        architecture=arch if isinstance(arch, str) else None,
        context_window=context_window(config),
        quantization=_quantization(config),
        dtype=dtype if isinstance(dtype, str) else None,
        # An embedding model makes vectors only: "embeddings" (Ollama's API says "embedding").
        capabilities=EMBEDDING_CAPABILITIES if is_embedding_model(folder) else
        capabilities(detect_reasoning_format(template, vocab), detect_tool_format(template, vocab, tok)),
    )


def _template(folder: Path, tok: dict) -> str | None:
    try:
        return (folder / "chat_template.jinja").read_text(encoding="utf-8")
    except OSError:
        pass
    template = tok.get("chat_template") or _json(folder / "chat_template.json").get("chat_template")
    if isinstance(template, list):  # named templates: the default one, else the first
        named = {t.get("name"): t.get("template") for t in template if isinstance(t, dict)}
        template = named.get("default") or next(iter(named.values()), None)
    return template if isinstance(template, str) else None


def _quantization(config: dict) -> dict[str, Any] | None:
    q = config.get("quantization") or config.get("quantization_config")
    if not isinstance(q, dict) or not isinstance(q.get("bits"), int):
        return None
    group = q.get("group_size")
    mode = q.get("mode") or q.get("quant_method")
    return {"bits": q["bits"], "group_size": group if isinstance(group, int) else None,
            "mode": mode if isinstance(mode, str) else None}
