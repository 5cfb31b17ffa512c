"""Entry point: `python -m orchard_sidecar --host 127.0.0.1 --port 0`.

Needs ORCHARD_SIDECAR_SECRET; prints one {"event":"ready",...} JSON line on stdout when serving.
"""

from __future__ import annotations

import argparse
import asyncio
import ipaddress
import os
import socket
import sys
from pathlib import Path

import uvicorn

from . import __version__, cpu_blas, cpu_weights
from .app import Settings, create_app
from .guard import DEFAULT_MAX_BODY_BYTES
from .kv_store import DEFAULT_DISK_BYTES, default_dir
from .log import install_stdlib_handler, log, set_output
from .pool import DEFAULT_MAX_MODELS
from .prefix_cache import DEFAULT_PREFIX_CACHE_BYTES
from .registry import hub_cache_dir


def _args(argv):
    p = argparse.ArgumentParser(prog="orchard_sidecar")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=0, help="0 picks a free port (reported in the ready line)")
    p.add_argument("--max-body-bytes", type=int, default=DEFAULT_MAX_BODY_BYTES)
    p.add_argument("--memory-limit", type=int, default=None, help="bytes; default: MLX's own limit")
    p.add_argument("--max-models", type=int, default=DEFAULT_MAX_MODELS)
    p.add_argument("--prefix-cache-bytes", type=int, default=DEFAULT_PREFIX_CACHE_BYTES,
                   help="KV cache of earlier prompts kept for reuse by prompts sharing a prefix; 0 disables")
    p.add_argument("--kv-dir", default=None,
                   help="folder of the prefix cache on disk; default: ORCHARD_KV_DIR, else ORCHARD_HOME/kv, "
                        "else the platform's Orchard data folder/kv")
    p.add_argument("--kv-disk-bytes", type=int, default=DEFAULT_DISK_BYTES,
                   help="budget of the prefix cache on disk (least recently used blocks go first); 0 disables")
    p.add_argument("--cpu-weights", choices=cpu_weights.CHOICES, default=cpu_weights.AUTO,
                   help="auto: on the CPU backend with an optimized BLAS, hold quantized weights as float32 when "
                        "they fit (much faster prefill and batching); as-stored: never")
    p.add_argument("--ping-seconds", type=float, default=5.0,
                   help="Anthropic streams: a `ping` event after this many seconds without output (prefill)")
    return p.parse_args(argv)


async def _serve(server: uvicorn.Server, sock: socket.socket) -> None:
    task = asyncio.create_task(server.serve(sockets=[sock]))
    while not server.started:
        if task.done():
            await task
            return
        await asyncio.sleep(0.02)
    log("ready", port=sock.getsockname()[1], pid=os.getpid(), host=sock.getsockname()[0], version=__version__)
    await task


def main(argv=None) -> int:
    # stdout carries only our JSON lines; anything a library prints goes to stderr.
    set_output(sys.stdout)
    sys.stdout = sys.stderr
    install_stdlib_handler()
    args = _args(argv)
    secret = os.environ.get("ORCHARD_SIDECAR_SECRET", "")
    if not secret.strip():
        log("startup_failed", level="error", error="ORCHARD_SIDECAR_SECRET is missing or empty")
        return 2
    try:
        loopback = ipaddress.ip_address(socket.gethostbyname(args.host)).is_loopback
    except (OSError, ValueError):
        loopback = False
    if not loopback:
        log("non_loopback_bind", level="warning", host=args.host)
    settings = Settings(secret=secret, cache_dir=hub_cache_dir(), max_body_bytes=args.max_body_bytes,
                        memory_limit=args.memory_limit, max_models=args.max_models,
                        prefix_cache_bytes=args.prefix_cache_bytes, cpu_weights=args.cpu_weights,
                        kv_dir=Path(args.kv_dir) if args.kv_dir else default_dir(),
                        kv_disk_bytes=max(0, args.kv_disk_bytes),
                        ping_seconds=max(0.01, args.ping_seconds))
    family = socket.AF_INET6 if ":" in args.host else socket.AF_INET
    # IPPROTO_TCP explicitly: asyncio turns Nagle off (TCP_NODELAY) only on sockets whose proto says TCP, and
    # accepted sockets inherit proto 0 from a bare socket(); small SSE writes then wait ~40 ms for a delayed ACK.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((args.host, args.port))
    except OSError as e:
        log("startup_failed", level="error", error=f"cannot bind {args.host}:{args.port}: {e}")
        return 2
    log("starting", cache_dir=str(settings.cache_dir), max_models=args.max_models, blas=cpu_blas.loaded)
    # ws="none": the sidecar serves no WebSocket, so an upgrade is answered as plain HTTP.
    config = uvicorn.Config(create_app(settings), log_config=None, access_log=False, lifespan="on",
                            ws="none", timeout_graceful_shutdown=5)
    asyncio.run(_serve(uvicorn.Server(config), sock))
    log("stopped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
