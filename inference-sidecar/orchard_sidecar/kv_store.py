"""The persistent prefix cache: KV of long prompts kept on disk in blocks, read back after an eviction,
a sidecar restart or an app restart, so an agent's resent prefix is not computed again.

A block holds BLOCK tokens' KV for every layer. Its file is named by a hash chain over the model's
identity (name, revision, weights, KV settings) and every token up to the block's end, so a prompt
finds its cached prefix by hashing its own blocks. Every file carries a SHA-256 of its body; a file
that fails any check is removed and the prompt is computed instead. Files are written by a writer
thread (the MLX thread only copies arrays to host memory) and read by a loader thread; the MLX thread
turns what was read into arrays. Budget: least recently used first, deeper blocks before shallower.
Only models whose every layer keeps a plain KV cache take part (kv_quant.plain_kv).
"""

from __future__ import annotations

import hashlib
import json
import os
import queue
import re
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import mlx.core as mx
import numpy as np
from mlx_lm.models.cache import KVCache

from . import kv_quant
from .log import log

BLOCK = 256  # tokens per block file
DEFAULT_DISK_BYTES = 8 * 1024**3
MAGIC = b"ORCHKV01"
FORMAT = 1
_NAME = re.compile(r"^[0-9a-f]{64}\.kv$")
# Host copies waiting for the writer; beyond this new blocks are skipped rather than queued.
MAX_PENDING_BYTES = 1024**3
# Host dtypes: bfloat16 travels as its bits.
_HOST = {"float16": np.float16, "float32": np.float32, "bfloat16": np.uint16, "uint32": np.uint32}


def default_dir(env: dict | None = None) -> Path:
    """ORCHARD_KV_DIR, else ORCHARD_HOME/kv, else the platform's Orchard data folder (as core's
    config/paths.ts) /kv: the sidecar run alone shares the app's cache."""
    env = os.environ if env is None else env
    if env.get("ORCHARD_KV_DIR"):
        return Path(env["ORCHARD_KV_DIR"])
    if env.get("ORCHARD_HOME"):
        return Path(env["ORCHARD_HOME"]).resolve() / "kv"
    home = Path.home()
    if sys.platform == "darwin":
        return home / "Library" / "Application Support" / "Orchard" / "kv"
    xdg = env.get("XDG_CONFIG_HOME")
    return (Path(xdg) / "orchard" if xdg else home / ".config" / "orchard") / "kv"


class BadFile(Exception):
    """A block file that is not ours, not for this prompt, or damaged."""


@dataclass
class _File:
    size: int
    used: float  # recency; also the file's mtime, so the order survives a restart


@dataclass
class Restored:
    """Blocks read for a job by the loader: host arrays per block, per layer."""

    tokens: int
    blocks: list[list[dict]]


def _layers(cache: list) -> list[dict] | None:
    """Per layer: kind and arrays (keys then values; a quantized layer's as triples), or None when a
    layer is of a kind the disk cache does not keep."""
    out = []
    for c in cache:
        if type(c) is KVCache and c.keys is not None:
            out.append({"kind": "kv", "arrays": [c.keys, c.values], "offset": c.offset})
        elif type(c) is kv_quant.QuantizedKV and c.keys is not None:
            out.append({"kind": "q", "bits": c.bits, "group_size": c.group_size,
                        "arrays": [*c.keys, *c.values], "offset": c.offset})
        else:
            return None
    return out


def _host(a: mx.array) -> np.ndarray:
    if a.dtype == mx.bfloat16:
        a = a.view(mx.uint16)
    return np.array(a, copy=True)


def _device(a: np.ndarray, dtype: str) -> mx.array:
    out = mx.array(a)
    return out.view(mx.bfloat16) if dtype == "bfloat16" else out


class DiskPrefixStore:
    def __init__(self, folder: Path | None, budget_bytes: int = DEFAULT_DISK_BYTES, block: int = BLOCK):
        self.folder = folder
        self.budget = max(0, budget_bytes) if folder is not None else 0
        self.block = block
        self._lock = threading.Lock()
        self._files: dict[str, _File] = {}
        self._pending: set[str] = set()
        self._pending_bytes = 0
        self._writes: queue.SimpleQueue = queue.SimpleQueue()
        self._reads: queue.SimpleQueue = queue.SimpleQueue()
        self._threads: list[threading.Thread] = []
        self._identities: dict[tuple, bytes] = {}

    @property
    def enabled(self) -> bool:
        return self.budget > 0

    @property
    def nbytes(self) -> int:
        with self._lock:
            return sum(f.size for f in self._files.values())

    def stats(self) -> dict[str, int]:
        """Bytes and block files on disk, and the budget they are kept under (for /admin/memory)."""
        with self._lock:
            return {"bytes": sum(f.size for f in self._files.values()), "budget_bytes": self.budget,
                    "entries": len(self._files)}

    # ---- lifecycle (event loop / main thread) ------------------------------------------
    def start(self, resubmit) -> None:
        """Index the folder (names and sizes only) and start the writer and loader threads."""
        if not self.enabled:
            return
        try:
            self.folder.mkdir(parents=True, exist_ok=True, mode=0o700)
            self._scan()
        except OSError as e:
            log("kv_disk_unavailable", level="warning", error=f"{type(e).__name__}: {e.strerror or e}")
            self.budget = 0
            return
        self._resubmit = resubmit
        for target, name in ((self._write_loop, "kv-writer"), (self._read_loop, "kv-loader")):
            t = threading.Thread(target=target, name=name, daemon=True)
            t.start()
            self._threads.append(t)

    def stop(self, timeout: float = 10.0) -> None:
        """Let queued writes finish (a restart should find them), then end the threads."""
        if not self._threads:
            return
        self._writes.put(None)
        self._reads.put(None)
        for t in self._threads:
            t.join(timeout=timeout)
        self._threads = []

    def _scan(self) -> None:
        total = 0
        for entry in os.scandir(self.folder):
            if not entry.is_file(follow_symlinks=False):
                continue
            if entry.name.endswith(".kv.tmp") or (entry.name.endswith(".kv") and not _NAME.match(entry.name)):
                self._discard(entry.name, "not a block file" if entry.name.endswith(".kv") else "unfinished write")
                continue
            if not _NAME.match(entry.name):
                continue  # not ours; left alone
            st = entry.stat(follow_symlinks=False)
            self._files[entry.name[:-3]] = _File(st.st_size, st.st_mtime)
            total += st.st_size
        self._evict()
        log("kv_disk_indexed", files=len(self._files), bytes=total, budget_bytes=self.budget)

    # ---- MLX thread ----------------------------------------------------------------------
    def _identity(self, lm, kv: tuple[int, int] | None) -> bytes:
        key = (id(lm), kv)
        ident = self._identities.get(key)
        if ident is None:
            disk = lm.disk
            revision = disk.revision or _fingerprint(disk.path)
            doc = {"format": FORMAT, "block": self.block, "model": disk.name, "revision": revision,
                   "weights": lm.weights, "kv": list(kv) if kv else None}
            ident = self._identities[key] = hashlib.sha256(json.dumps(doc, sort_keys=True).encode()).digest()
        return ident

    def _chain(self, ident: bytes, tokens: list[int], blocks: int) -> list[str]:
        names, h = [], ident
        for i in range(blocks):
            chunk = np.asarray(tokens[i * self.block:(i + 1) * self.block], dtype=np.int64)
            h = hashlib.sha256(h + chunk.tobytes()).digest()
            names.append(h.hex())
        return names

    def defer(self, job, memory_tokens: int) -> bool:
        """True when the job's prompt has a longer prefix on disk than in memory: the loader reads it
        and sends the job back through the engine's inbox with `job.disk` set."""
        if not self.enabled or job.disk is not None or not kv_quant.plain_kv(job.model):
            return False
        job.disk = False  # looked at once; a miss or a failed read is not retried
        usable = (len(job.prompt) - 1) // self.block  # one token is always computed for the logits
        if usable * self.block < memory_tokens + self.block:
            return False
        names = self._chain(self._identity(job.model, job.kv), job.prompt, usable)
        with self._lock:
            have = next((i for i, n in enumerate(names) if n not in self._files), len(names))
        if have * self.block < memory_tokens + self.block:
            return False
        self._reads.put((job, names[:have]))
        return True

    def take(self, job, cache, rest: list[int]) -> tuple[Any, list[int]]:
        """The restored cache and the tokens still to compute, when what was read beats memory's."""
        restored = job.disk
        if not isinstance(restored, Restored):
            return cache, rest
        job.disk = True  # the host copies can go
        if restored.tokens <= len(job.prompt) - len(rest):
            return cache, rest
        layers = []
        for i, first in enumerate(restored.blocks[0]):
            parts = [[_device(b[i]["arrays"][j], b[i]["dtypes"][j]) for b in restored.blocks]
                     for j in range(len(first["arrays"]))]
            arrays = [mx.concatenate(p, axis=2) for p in parts]
            if first["kind"] == "kv":
                c = KVCache()
                c.keys, c.values = arrays
            else:
                c = kv_quant.QuantizedKV(group_size=first["group_size"], bits=first["bits"])
                c.keys, c.values = tuple(arrays[:3]), tuple(arrays[3:])
            c.offset = restored.tokens
            layers.append(c)
        return layers, job.prompt[restored.tokens:]

    def offer(self, lm, tokens: list[int], cache: list) -> None:
        """Queue the blocks of a finished sequence's KV that are not on disk yet (host copies made here)."""
        if not self.enabled or not cache or not kv_quant.plain_kv(lm):
            return
        layers = _layers(cache)
        if layers is None:
            return
        length = min(len(tokens), min(layer["offset"] for layer in layers))
        count = length // self.block
        if count == 0:
            return
        first = layers[0]
        kv = (first["bits"], first["group_size"]) if first["kind"] == "q" else None
        names = self._chain(self._identity(lm, kv), tokens, count)
        with self._lock:
            new = [i for i, n in enumerate(names) if n not in self._files and n not in self._pending]
            if not new:
                for n in names:  # a hit that memory served: still recently used
                    if n in self._files:
                        self._files[n].used = time.time()
                return
            self._pending.update(names[i] for i in new)
        for i in new:
            lo, hi = i * self.block, (i + 1) * self.block
            host = [{"kind": layer["kind"], "bits": layer.get("bits"), "group_size": layer.get("group_size"),
                     "dtypes": [str(a.dtype).removeprefix("mlx.core.") for a in layer["arrays"]],
                     "arrays": [_host(a[..., lo:hi, :]) for a in layer["arrays"]]} for layer in layers]
            size = sum(a.nbytes for layer in host for a in layer["arrays"])
            with self._lock:
                if self._pending_bytes + size > MAX_PENDING_BYTES:
                    self._pending.difference_update(names[j] for j in new if j >= i)
                    log("kv_disk_write_skipped", level="warning", reason="writer behind", blocks=len(new))
                    return
                self._pending_bytes += size
            self._writes.put((names[i], i, tokens[lo:hi], host, size))

    # ---- writer thread -------------------------------------------------------------------
    def _write_loop(self) -> None:
        while (item := self._writes.get()) is not None:
            name, depth, tokens, host, size = item
            try:
                self._write(name, depth, tokens, host)
            except Exception as e:  # a full disk or a gone folder costs the cache, never the sidecar
                log("kv_disk_write_failed", level="warning", error=type(e).__name__)
            finally:
                with self._lock:
                    self._pending.discard(name)
                    self._pending_bytes -= size

    def _write(self, name: str, depth: int, tokens: list[int], host: list[dict]) -> None:
        layers, arrays = [], []
        for layer in host:
            layers.append({"kind": layer["kind"], "bits": layer["bits"], "group_size": layer["group_size"],
                           "arrays": [{"dtype": d, "shape": list(a.shape), "nbytes": a.nbytes}
                                      for d, a in zip(layer["dtypes"], layer["arrays"], strict=True)]})
            arrays.extend(layer["arrays"])
        header = json.dumps({"format": FORMAT, "name": name, "depth": depth, "tokens": list(tokens),
                             "layers": layers}).encode()
        parts = [len(header).to_bytes(4, "little"), header, *(memoryview(np.ascontiguousarray(a)).cast("B")
                                                              for a in arrays)]
        digest = hashlib.sha256()
        for p in parts:
            digest.update(p)
        final = self.folder / f"{name}.kv"
        tmp = self.folder / f"{name}.kv.tmp"
        with open(tmp, "wb") as f:
            f.write(MAGIC)
            f.write(digest.digest())
            for p in parts:
                f.write(p)
        used = time.time() - depth * 1e-3  # deeper blocks look older: a chain loses its tail first
        os.utime(tmp, (used, used))
        os.replace(tmp, final)
        size = final.stat().st_size
        with self._lock:
            self._files[name] = _File(size, used)
        log("kv_disk_written", depth=depth, bytes=size)
        self._evict()

    def _evict(self) -> None:
        with self._lock:
            total = sum(f.size for f in self._files.values())
            victims = []
            for name, f in sorted(self._files.items(), key=lambda kv: kv[1].used):
                if total <= self.budget:
                    break
                victims.append(name)
                total -= f.size
            for name in victims:
                del self._files[name]
        for name in victims:
            _unlink(self.folder / f"{name}.kv")
        if victims:
            log("kv_disk_evicted", files=len(victims))

    # ---- loader thread -------------------------------------------------------------------
    def _read_loop(self) -> None:
        while (item := self._reads.get()) is not None:
            job, names = item
            started = time.monotonic()
            blocks = []
            for depth, name in enumerate(names):
                try:
                    blocks.append(self._read(name, depth, job.prompt[depth * self.block:(depth + 1) * self.block]))
                except BadFile as e:
                    self._discard(f"{name}.kv", str(e))
                    break
                except Exception as e:  # unreadable now (evicted under us, I/O): a miss
                    log("kv_disk_read_failed", level="warning", error=type(e).__name__)
                    break
            if blocks and _consistent(blocks):
                job.disk = Restored(len(blocks) * self.block, blocks)
                now = time.time()
                with self._lock:
                    for depth, name in enumerate(names[:len(blocks)]):
                        if name in self._files:
                            self._files[name].used = now - depth * 1e-3
                for depth, name in enumerate(names[:len(blocks)]):
                    used = now - depth * 1e-3
                    try:
                        os.utime(self.folder / f"{name}.kv", (used, used))
                    except OSError:
                        pass
                log("kv_disk_read", blocks=len(blocks), tokens=len(blocks) * self.block,
                    seconds=round(time.monotonic() - started, 3))
            self._resubmit(job)

    def _read(self, name: str, depth: int, expected: list[int]) -> list[dict]:
        data = (self.folder / f"{name}.kv").read_bytes()
        if data[:8] != MAGIC or len(data) < 44:
            raise BadFile("not a block file")
        body = memoryview(data)[40:]
        if hashlib.sha256(body).digest() != data[8:40]:
            raise BadFile("checksum mismatch")
        size = int.from_bytes(body[:4], "little")
        try:
            header = json.loads(bytes(body[4:4 + size]))
        except ValueError:
            raise BadFile("unreadable header") from None
        if (not isinstance(header, dict) or header.get("format") != FORMAT or header.get("name") != name
                or header.get("depth") != depth or header.get("tokens") != list(expected)):
            raise BadFile("written for another prefix or format")
        offset = 4 + size
        layers = []
        try:
            for layer in header["layers"]:
                arrays, dtypes = [], []
                for spec in layer["arrays"]:
                    dtype = _HOST[spec["dtype"]]
                    count = int(np.prod(spec["shape"]))
                    if count * np.dtype(dtype).itemsize != spec["nbytes"] or offset + spec["nbytes"] > len(body):
                        raise BadFile("array sizes do not add up")
                    arrays.append(np.frombuffer(body, dtype=dtype, count=count, offset=offset).reshape(spec["shape"]))
                    dtypes.append(spec["dtype"])
                    offset += spec["nbytes"]
                if layer["kind"] not in ("kv", "q") or len(arrays) != (2 if layer["kind"] == "kv" else 6):
                    raise BadFile("unknown layer kind")
                layers.append({"kind": layer["kind"], "bits": layer.get("bits"),
                               "group_size": layer.get("group_size"), "arrays": arrays, "dtypes": dtypes})
        except (KeyError, TypeError, ValueError) as e:
            raise BadFile(f"malformed header ({type(e).__name__})") from None
        if offset != len(body):
            raise BadFile("trailing bytes")
        return layers

    def _discard(self, filename: str, reason: str) -> None:
        with self._lock:
            self._files.pop(filename.removesuffix(".kv"), None)
        _unlink(self.folder / filename)
        log("kv_file_rejected", level="warning", file=filename, reason=reason)


def _consistent(blocks: list[list[dict]]) -> bool:
    """Every block has the same layers, kinds and shapes but for its length (else it is not used)."""
    def shape(b):
        return [(layer["kind"], layer["bits"], [a.shape[:2] + a.shape[3:] for a in layer["arrays"]]) for layer in b]

    first = shape(blocks[0])
    return all(shape(b) == first for b in blocks[1:])


def _fingerprint(folder: Path) -> str:
    """A model loaded by path has no revision: its weight files' names, sizes and times stand in."""
    parts = []
    for p in sorted(folder.glob("*.safetensors")):
        st = p.stat()
        parts.append(f"{p.name}:{st.st_size}:{st.st_mtime_ns}")
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


def _unlink(path: Path) -> None:
    try:
        path.unlink()
    except FileNotFoundError:
        pass
    except OSError as e:
        log("kv_disk_remove_failed", level="warning", error=type(e).__name__)
