"""The import itself: read, convert and check everything in memory, then write the model into
the HF cache atomically, so a refused or failed import leaves nothing behind."""

from __future__ import annotations

import json
import os
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path

import mlx.core as mx

from ..hf_cache import repo_dir, repo_folder_name, staging_dir, write_repo
from .reader import GGUFImportError, check_supported, model_config, read_header
from .tensors import check_shapes, convert_tensors, resolve_dtype
from .tokenizer import tokenizer_files


@dataclass
class ImportResult:
    repo_id: str
    path: Path
    revision: str
    architecture: str
    quantization: dict | None
    tensor_types: dict[str, int]
    seconds: float
    warnings: list[str] = field(default_factory=list)


def import_gguf(
    src_path: str | os.PathLike,
    cache_dir: str | os.PathLike,
    repo_id: str,
    *,
    dtype: str = "auto",
    log=None,
) -> ImportResult:
    """Import `src_path` as `repo_id` into the HF cache at `cache_dir`.

    `dtype` is the float type of scales, norms and unquantized tensors (see resolve_dtype).
    Raises GGUFImportError (a ValueError) for anything it cannot import; nothing is left behind.
    """
    started = time.perf_counter()
    say = log or (lambda _line: None)
    src = Path(src_path)
    try:
        repo_folder_name(repo_id)
    except ValueError as e:
        raise GGUFImportError(str(e)) from e
    if not src.is_file():
        raise GGUFImportError(f"{src} does not exist or is not a file")
    cache = Path(cache_dir)
    if repo_dir(cache, repo_id).exists():
        raise GGUFImportError(f"{repo_id} already exists in {cache}; remove it first to re-import")

    reader = read_header(src)
    arch, types = check_supported(reader)
    names = {t.name for t in reader.tensors}
    config = model_config(reader, arch, names)
    config["torch_dtype"] = resolve_dtype(dtype)
    warnings: list[str] = []
    files: dict[str, bytes | Path] = tokenizer_files(reader, warnings)
    del reader  # release the memory map before MLX reads the file
    say(f"reading {src.name} ({arch}, {dict(types)})")
    try:
        weights = mx.load(str(src))
    except Exception as e:
        raise GGUFImportError(f"MLX could not read {src.name}: {e}") from e
    weights, quant = convert_tensors(weights, config)
    if quant is not None:
        config["quantization"] = quant
        config["quantization_config"] = quant
    check_shapes(weights, config)

    cache.mkdir(parents=True, exist_ok=True)
    stage = staging_dir(cache)
    try:
        st = stage / "model.safetensors"
        mx.save_safetensors(str(st), weights, metadata={"format": "mlx"})
        files["model.safetensors"] = st
        files["config.json"] = (json.dumps(config, indent=2) + "\n").encode()
        say(f"writing {repo_id}")
        try:
            snap = write_repo(cache, repo_id, files)
        except FileExistsError as e:
            raise GGUFImportError(f"{repo_id} already exists in {cache}") from e
    finally:
        shutil.rmtree(stage, ignore_errors=True)
    return ImportResult(
        repo_id=repo_id,
        path=snap,
        revision=snap.name,
        architecture=arch,
        quantization=quant,
        tensor_types=dict(types),
        seconds=time.perf_counter() - started,
        warnings=warnings,
    )
