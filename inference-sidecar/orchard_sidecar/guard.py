"""ASGI middleware in front of every route: bearer-secret check and request body size limit.

Runs before FastAPI parses anything, so an unauthenticated or oversized request costs nothing.
Every connection scope needs the secret: a WebSocket without it is closed before it is accepted,
and scope types it does not know never reach the app. Only lifespan (server start and stop) passes.
"""

from __future__ import annotations

import hmac
import json

from .errors import error_body
from .protocol.anthropic import error_body as anthropic_error_body
from .protocol.anthropic import is_anthropic_path

# Paths served without the secret; they reveal nothing about models or requests.
PUBLIC_PATHS = frozenset({"/health"})
# The same as the gateway's default `gateway.maxBodyBytes` (src-shared/contract/gatewaySettings.ts),
# so a body the gateway forwards is never refused here.
DEFAULT_MAX_BODY_BYTES = 16 * 1024 * 1024
# WebSocket close code for a policy violation; before accept the server answers the upgrade 403.
_WS_POLICY_VIOLATION = 1008


async def _reply(send, status: int, body: dict, headers: list | None = None) -> None:
    payload = json.dumps(body).encode()
    await send({
        "type": "http.response.start",
        "status": status,
        "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode())]
        + (headers or []),
    })
    await send({"type": "http.response.body", "body": payload})


class Guard:
    def __init__(self, app, secret: str, max_body_bytes: int = DEFAULT_MAX_BODY_BYTES):
        self.app = app
        self.expected = b"Bearer " + secret.encode()
        self.max_body = max_body_bytes

    def _authorized(self, headers: dict) -> bool:
        # Anthropic SDKs send the key as x-api-key; OpenAI SDKs as a bearer token.
        bearer = hmac.compare_digest(headers.get(b"authorization", b""), self.expected)
        api_key = hmac.compare_digest(b"Bearer " + headers.get(b"x-api-key", b""), self.expected)
        return bearer or api_key

    async def __call__(self, scope, receive, send):
        kind = scope["type"]
        if kind == "lifespan":
            return await self.app(scope, receive, send)
        if kind == "websocket":
            if self._authorized(dict(scope.get("headers") or [])):
                return await self.app(scope, receive, send)
            return await send({"type": "websocket.close", "code": _WS_POLICY_VIOLATION})
        if kind != "http":
            return None
        headers = dict(scope["headers"])
        anthropic = is_anthropic_path(scope["path"])
        if scope["path"] not in PUBLIC_PATHS and not self._authorized(headers):
            message = "Missing or invalid bearer token."
            return await _reply(
                send, 401,
                anthropic_error_body(message, "authentication_error") if anthropic
                else error_body(message, "authentication_error", None, "invalid_api_key"),
                [(b"www-authenticate", b"Bearer")],
            )
        message = f"The request body is larger than {self.max_body} bytes."
        too_large = (anthropic_error_body(message, "request_too_large") if anthropic
                     else error_body(message, "invalid_request_error", None, "request_too_large"))
        try:
            declared = int(headers.get(b"content-length", b"0"))
        except ValueError:
            declared = 0
        if declared > self.max_body:
            return await _reply(send, 413, too_large)
        # Read the whole (bounded) body here, then replay it; later receives (disconnects) pass through.
        chunks, size, more = [], 0, True
        while more:
            message = await receive()
            if message["type"] != "http.request":
                return  # the client left before sending its body
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body:
                return await _reply(send, 413, too_large)
            chunks.append(chunk)
            more = message.get("more_body", False)
        replay = [{"type": "http.request", "body": b"".join(chunks), "more_body": False}]

        async def replay_receive():
            return replay.pop() if replay else await receive()

        return await self.app(scope, replay_receive, send)
