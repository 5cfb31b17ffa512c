"""How far each model load has come (bytes of weights read of the total) and its cancel flag.

A text model is built lazily by mlx-lm and its weights are then read tensor by tensor here, so the
bytes count as they arrive from disk and a cancel stops the load between two tensors.
"""

from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import mlx.core as mx
import mlx_lm
from mlx.utils import tree_flatten

from .errors import ApiError

# Test-only brake, set by test-support for the e2e journeys and never by the app: "<model>=<ms>" waits
# that long before each tensor of that model's load, so a fast disk still shows the percentage rise.
SLOW_LOAD_ENV = "ORCHARD_TEST_SLOW_LOAD"


def _tensor_pause(model: str) -> float:
    name, _, ms = os.environ.get(SLOW_LOAD_ENV, "").rpartition("=")
    return int(ms) / 1000 if name == model and ms.isdigit() else 0.0


class LoadCancelled(Exception):
    """Raised on the MLX thread when the load's cancel flag is seen."""


def load_cancelled(name: str) -> ApiError:
    return ApiError(409, f"The load of '{name}' was cancelled.", param="model", code="load_cancelled")


@dataclass(eq=False)
class LoadProgress:
    model: str
    # Unknown until the model's structure is built (config and tokenizer read, weights mapped).
    total_bytes: int | None = None
    done_bytes: int = 0  # written by the MLX thread alone; read by the event loop
    started: float = field(default_factory=time.monotonic)
    cancel: threading.Event = field(default_factory=threading.Event)

    def check(self) -> None:
        if self.cancel.is_set():
            raise LoadCancelled(self.model)

    def row(self) -> dict:
        return {"id": self.model, "done_bytes": self.done_bytes, "total_bytes": self.total_bytes,
                "seconds": round(time.monotonic() - self.started, 3)}


def materialize(model: Any, progress: LoadProgress | None) -> None:
    """Reads every weight of a lazily built model, counting bytes and honouring a cancel."""
    arrays = [a for _, a in tree_flatten(model.parameters())]
    if progress is None:
        mx.eval(arrays)
        return
    progress.total_bytes = sum(a.nbytes for a in arrays)
    pause = _tensor_pause(progress.model)
    for a in arrays:
        if pause:
            time.sleep(pause)
        progress.check()
        mx.eval(a)
        progress.done_bytes += a.nbytes


def load_text_model(path: Path, progress: LoadProgress | None) -> tuple[Any, Any, dict]:
    """mlx_lm.load, with the weights read by `materialize` (raises LoadCancelled)."""
    if progress is not None:
        progress.check()
    model, tokenizer, config = mlx_lm.load(str(path), return_config=True, lazy=True)
    materialize(model, progress)
    return model, tokenizer, config
