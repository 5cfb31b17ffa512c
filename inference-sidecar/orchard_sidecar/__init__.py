"""Orchard inference sidecar: one process that owns MLX and serves models over HTTP.

The supervisor in the app spawns it; it can also be run and tested on its own.
"""

from . import cpu_blas

# Before any module of ours imports MLX: the BLAS must be in place when libmlx is loaded.
cpu_blas.preload()

__version__ = "0.1.0"
