"""What a sentence-transformers folder says about turning hidden states into one vector: its pooling
(modules.json → 1_Pooling/config.json), whether it normalizes, and its longest input.

Also the test for "is this an embedding model", read from files only (nothing is loaded).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

# config.json model_types this package runs (bert.py). Others with a modules.json are embedding models
# too, refused at load with a message naming their architecture.
SUPPORTED_TYPES = ("bert",)
POOLING_MODES = ("cls", "mean", "max", "mean_sqrt_len", "lasttoken")


@dataclass(frozen=True)
class SentenceConfig:
    pooling: str  # one of POOLING_MODES
    normalize: bool
    max_tokens: int  # input tokens kept (sentence_bert_config's max_seq_length, capped by the positions)
    dimensions: int


def _json(path: Path) -> dict | list | None:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _modules(folder: Path) -> list[dict]:
    data = _json(folder / "modules.json")
    return [m for m in data if isinstance(m, dict)] if isinstance(data, list) else []


def is_embedding_model(folder: Path) -> bool:
    """A sentence-transformers folder (modules.json with a Pooling module), or a bare BERT encoder."""
    if any(str(m.get("type", "")).endswith(".Pooling") for m in _modules(folder)):
        return True
    config = _json(folder / "config.json")
    return isinstance(config, dict) and config.get("model_type") in SUPPORTED_TYPES


def read(folder: Path, config: dict) -> SentenceConfig:
    modules = _modules(folder)
    pooling_dir = next((m.get("path") for m in modules if str(m.get("type", "")).endswith(".Pooling")), None)
    pool_cfg = _json(folder / pooling_dir / "config.json") if isinstance(pooling_dir, str) else None
    pool_cfg = pool_cfg if isinstance(pool_cfg, dict) else {}
    # The first mode switched on; sentence-transformers' default (no pooling config) is mean.
    pooling = next((mode for mode in POOLING_MODES if pool_cfg.get(f"pooling_mode_{mode}_token")
                    or pool_cfg.get(f"pooling_mode_{mode}_tokens") or pool_cfg.get(f"pooling_mode_{mode}")),
                   "mean")
    normalize = any(str(m.get("type", "")).endswith(".Normalize") for m in modules)
    st = _json(folder / "sentence_bert_config.json")
    positions = int(config.get("max_position_embeddings") or 512)
    wanted = st.get("max_seq_length") if isinstance(st, dict) else None
    max_tokens = min(wanted, positions) if isinstance(wanted, int) and wanted > 0 else positions
    dims = pool_cfg.get("word_embedding_dimension") or config.get("hidden_size")
    return SentenceConfig(pooling, normalize, max_tokens, int(dims))
