"""Command line: `python -m orchard_sidecar.gguf_import SRC --cache DIR --repo-id ORG/NAME`.

Errors are one `error: ...` line on stderr and exit code 2, never a traceback.
"""

from __future__ import annotations

import argparse
import sys

from .install import import_gguf
from .reader import GGUFImportError
from .tensors import DTYPES


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m orchard_sidecar.gguf_import",
        description="Import a GGUF file as an MLX model into a Hugging Face cache.",
    )
    parser.add_argument("src", help="path to the .gguf file")
    parser.add_argument("--cache", required=True, help="HF hub cache folder (like $HF_HUB_CACHE)")
    parser.add_argument("--repo-id", required=True, help="name to import under, as org/name")
    parser.add_argument(
        "--dtype",
        default="auto",
        choices=["auto", *DTYPES],
        help="float type for scales and unquantized tensors (auto: by device)",
    )
    args = parser.parse_args(argv)
    try:
        result = import_gguf(
            args.src,
            args.cache,
            args.repo_id,
            dtype=args.dtype,
            log=lambda line: print(line, flush=True),
        )
    except GGUFImportError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    for w in result.warnings:
        print(f"warning: {w}")
    q = result.quantization
    kind = f"{q['bits']}-bit" if q else "unquantized"
    print(
        f"imported {result.repo_id} -> {result.path} ({result.architecture}, {kind}, {result.seconds:.1f}s)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())

