"""Imports a GGUF file as an MLX model (config, tokenizer, safetensors) into the HF cache.

MLX reads GGUF natively; this maps tensor names and metadata to mlx-lm's layout, atomically:
reader (header, checks, config), tensors (names, Q/K order, dtypes, quantization), tokenizer,
install (the atomic write), and `python -m orchard_sidecar.gguf_import` (__main__).
"""

from .install import ImportResult, import_gguf
from .reader import SUPPORTED_ARCHITECTURES, SUPPORTED_TYPES, GGUFImportError
from .tensors import resolve_dtype

__all__ = [
    "GGUFImportError",
    "ImportResult",
    "SUPPORTED_ARCHITECTURES",
    "SUPPORTED_TYPES",
    "import_gguf",
    "resolve_dtype",
]
