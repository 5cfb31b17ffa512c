"""Puts an optimized BLAS under MLX's CPU backend on Linux before MLX is first imported.

The mlx[cpu] wheel links the reference BLAS, whose float32 GEMM runs at ~2.5 GFLOP/s here; OpenBLAS
resolves the same cblas symbols at 40-50x that. Loading it RTLD_GLOBAL first makes libmlx bind to it.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import sys
from pathlib import Path

# Debian/Ubuntu's libopenblas0-pthread (the bootstrap installs it), then whatever the linker knows.
_CANDIDATES = (
    "/usr/lib/x86_64-linux-gnu/libopenblas.so.0",
    "/usr/lib/aarch64-linux-gnu/libopenblas.so.0",
    "/usr/lib64/libopenblas.so.0",
)

loaded: str | None = None  # the library bound under MLX, or None (macOS, not found, disabled)


def preload() -> str | None:
    """Load OpenBLAS globally when on Linux, found, not disabled, and MLX not yet imported."""
    global loaded
    if loaded or sys.platform != "linux" or "mlx.core" in sys.modules:
        return loaded
    wanted = os.environ.get("ORCHARD_BLAS_LIBRARY", "")
    if wanted.lower() in ("0", "none", "off"):
        return None
    found = ctypes.util.find_library("openblas")
    for path in ([wanted] if wanted else [*_CANDIDATES, found or ""]):
        if path and (Path(path).exists() or path == found):
            try:
                ctypes.CDLL(path, mode=ctypes.RTLD_GLOBAL)
            except OSError:
                continue
            loaded = path
            return loaded
    return None
