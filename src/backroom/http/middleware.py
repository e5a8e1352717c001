"""Headers every answer carries: CORS, as PocketBase sends them, and browser hardening.

A plain ASGI wrapper rather than a Starlette middleware class: it costs one list
concatenation per response on the hot path.
"""

from __future__ import annotations

from collections.abc import MutableMapping, Sequence
from typing import Any

__all__ = ["EMBEDDABLE", "SERVER_SEND", "HeadersMiddleware"]

EMBEDDABLE = "backroom.embeddable"  # scope flag set by a handler: no X-Frame-Options
# the server's own ``send``, for a long stream's body messages once its start is sent: the
# middlewares look only at the start, and each layer costs a call per realtime message
SERVER_SEND = "backroom.server_send"

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]

_SECURITY: list[tuple[bytes, bytes]] = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"SAMEORIGIN"),
    (b"x-xss-protection", b"1; mode=block"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"vary", b"Origin"),
]
_METHODS = b"GET,HEAD,PUT,PATCH,POST,DELETE"


def _header(scope: Scope, name: bytes) -> bytes | None:
    for key, value in scope["headers"]:
        if key == name:
            return bytes(value)
    return None


class HeadersMiddleware:
    """Adds the CORS and security headers; answers preflight ``OPTIONS`` requests itself."""

    def __init__(self, app: Any, origins: Sequence[str]) -> None:
        self.app = app
        self._any = "*" in origins
        self._origins = {o.encode() for o in origins}

    def _allow_origin(self, origin: bytes | None) -> bytes | None:
        if origin is None:
            return None
        if self._any:
            return b"*"
        return origin if origin in self._origins else None

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        allowed = self._allow_origin(_header(scope, b"origin"))
        scope[SERVER_SEND] = send
        if scope["method"] == "OPTIONS":
            await self._preflight(scope, allowed, send)
            return
        extra = (
            _SECURITY
            if allowed is None
            else [*_SECURITY, (b"access-control-allow-origin", allowed)]
        )

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                added = extra
                if scope.get(EMBEDDABLE):
                    # uploaded files may be embedded in frames, as PocketBase allows
                    added = [h for h in extra if h[0] != b"x-frame-options"]
                message["headers"] = [*message.get("headers", ()), *added]
            await send(message)

        await self.app(scope, receive, send_with_headers)

    async def _preflight(self, scope: Scope, allowed: bytes | None, send: Any) -> None:
        headers = [(b"vary", b"Origin")]
        method = _header(scope, b"access-control-request-method")
        if allowed is not None and method is not None:
            headers += [
                (b"access-control-allow-origin", allowed),
                (b"access-control-allow-methods", _METHODS),
                (b"vary", b"Access-Control-Request-Method"),
                (b"vary", b"Access-Control-Request-Headers"),
            ]
            requested = _header(scope, b"access-control-request-headers")
            if requested:
                headers.append((b"access-control-allow-headers", requested))
        await send({"type": "http.response.start", "status": 204, "headers": headers})
        await send({"type": "http.response.body", "body": b""})
