"""The hub-cache writer: atomic repo writes, and staging folders of killed writers swept away."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from orchard_sidecar.hf_cache import snapshot_path, write_repo


def dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_write_repo_sweeps_staging_left_by_a_killed_writer(tmp_path):
    stale = tmp_path / f".orchard-tmp-{dead_pid()}-abc"
    (stale / "models--org--half").mkdir(parents=True)
    (stale / "models--org--half" / "model.safetensors").write_bytes(b"\0" * 1024)
    live = tmp_path / f".orchard-tmp-{os.getpid()}-xyz"  # a writer still running: kept
    live.mkdir()
    snap = write_repo(tmp_path, "org/whole", {"config.json": b"{}"})
    assert not stale.exists()
    assert live.exists()
    assert snapshot_path(tmp_path, "org/whole") == snap
    assert sorted(p.name for p in tmp_path.iterdir()) == [live.name, "models--org--whole"]


def test_existing_repo_is_refused_and_left_intact(tmp_path):
    write_repo(tmp_path, "org/m", {"config.json": b"{\"a\": 1}"})
    with pytest.raises(FileExistsError):
        write_repo(tmp_path, "org/m", {"config.json": b"{}"})
    assert (snapshot_path(tmp_path, "org/m") / "config.json").read_bytes() == b"{\"a\": 1}"
