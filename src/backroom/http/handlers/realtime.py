"""``/api/realtime``: the SSE stream (GET) and its subscriptions (POST), as PocketBase's."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from backroom.errors import BadRequestError, ErrorDetail, ForbiddenError, NotFoundError
from backroom.http.body import read_body
from backroom.http.client_ip import client_ip
from backroom.http.context import app_of, bearer_token, scope_auth
from backroom.http.middleware import SERVER_SEND
from backroom.realtime.clients import RealtimeClient, sse_frame
from backroom.realtime.forward import FORBIDDEN, SUBSCRIBED, same_auth
from backroom.realtime.hub import RealtimeHub

__all__ = ["connect", "set_subscriptions"]

_HEADERS = [
    (b"content-type", b"text/event-stream"),
    (b"cache-control", b"no-store"),
    (b"x-accel-buffering", b"no"),
]
_MAX_SUBSCRIPTIONS = 1000
_MAX_SUBSCRIPTION_LENGTH = 2500
_MAX_CLIENT_ID = 255


class _EventStream(Response):
    """Streams the client's queued frames until it goes away, falls idle, is too slow or
    the server shuts down; then the client reconnects and subscribes again."""

    def __init__(self, hub: RealtimeHub, client: RealtimeClient, idle_timeout: float) -> None:
        self._hub = hub
        self._client = client
        self._idle = idle_timeout
        self.background = None

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        client = self._client
        watcher = asyncio.create_task(_watch_disconnect(receive, client))
        try:
            await send({"type": "http.response.start", "status": 200, "headers": _HEADERS})
            send = scope.get(SERVER_SEND, send)
            hello = b'{"clientId":"' + client.id.encode() + b'"}'
            await _write(send, sse_frame(client.id, "PB_CONNECT", hello))
            client.close_when_idle(self._idle)
            while True:
                await client.wait()
                if client.closed:
                    break
                # a write to a peer that stopped reading waits for it; meanwhile the client
                # is closed as too slow and its queue dropped, so it holds no more memory
                await _write(send, client.take())
        except OSError:
            pass  # the connection went away mid-write
        finally:
            watcher.cancel()
            self._hub.disconnect(client)
        with contextlib.suppress(Exception):
            await send({"type": "http.response.body", "body": b"", "more_body": False})


async def _write(send: Any, data: bytes) -> None:
    await send({"type": "http.response.body", "body": data, "more_body": True})


async def _watch_disconnect(receive: Any, client: RealtimeClient) -> None:
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            client.close("gone")
            return


async def connect(request: Request) -> Response:
    app = app_of(request)
    client = app.realtime.connect(client_ip(request.scope, app.trusted_proxy))
    return _EventStream(app.realtime, client, app.settings.realtime_idle_timeout)


def _length_error(low: int, high: int) -> ErrorDetail:
    if low == 0:
        return ErrorDetail(
            "validation_length_too_long",
            f"The length must be no more than {high}.",
            {"max": high, "min": low},
        )
    return ErrorDetail(
        "validation_length_out_of_range",
        f"The length must be between {low} and {high}.",
        {"max": high, "min": low},
    )


def _form(body: dict[str, Any]) -> tuple[str, list[str]]:
    client_id = body.get("clientId", "")
    subscriptions = body.get("subscriptions")
    if subscriptions is None:
        subscriptions = []
    if not isinstance(client_id, str) or not isinstance(subscriptions, list):
        raise BadRequestError()
    if not all(isinstance(s, str) for s in subscriptions):
        raise BadRequestError()
    errors: dict[str, Any] = {}
    if not client_id:
        errors["clientId"] = ErrorDetail("validation_required", "Cannot be blank.")
    elif len(client_id) > _MAX_CLIENT_ID:
        errors["clientId"] = _length_error(1, _MAX_CLIENT_ID)
    if len(subscriptions) > _MAX_SUBSCRIPTIONS:
        errors["subscriptions"] = _length_error(0, _MAX_SUBSCRIPTIONS)
    else:
        long = {
            str(i): _length_error(0, _MAX_SUBSCRIPTION_LENGTH)
            for i, s in enumerate(subscriptions)
            if len(s) > _MAX_SUBSCRIPTION_LENGTH
        }
        if long:
            errors["subscriptions"] = long
    if errors:
        raise BadRequestError(data=errors)
    return client_id, subscriptions


async def set_subscriptions(request: Request) -> Response:
    app = app_of(request)
    client_id, subscriptions = _form(await read_body(request, limit=4 << 20))
    client = app.realtime.clients.get(client_id)
    if client is None:
        # the stream may be held by another worker or node: it applies them there
        status = await app.remote_subscriptions.subscribe(
            client_id, bearer_token(request), list(subscriptions)
        )
        if status == FORBIDDEN:
            raise ForbiddenError(_OTHER_AUTH)
        if status != SUBSCRIBED:
            raise NotFoundError(_NO_CLIENT)
        return Response(status_code=204)
    if client.closed:
        raise NotFoundError(_NO_CLIENT)
    auth = await scope_auth(app, request.scope)
    if not same_auth(client.auth, auth):
        raise ForbiddenError(_OTHER_AUTH)
    app.realtime.subscribe(client, auth, subscriptions)
    return Response(status_code=204)


_NO_CLIENT = "Missing or invalid client id."
_OTHER_AUTH = "The current and the previous request authorization don't match."
