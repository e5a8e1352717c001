"""Build the RequestContext a service sees from an HTTP request."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from starlette.requests import Request

from backroom.core.context import RequestContext

if TYPE_CHECKING:
    from backroom.app import Backroom

__all__ = ["app_of", "bearer_token", "request_context"]


def app_of(request: Request) -> Backroom:
    app: Backroom = request.app.state.backroom
    return app


def bearer_token(request: Request) -> str:
    raw = request.headers.get("authorization", "").strip()
    if raw[:7].lower() == "bearer ":
        raw = raw[7:].strip()
    return raw


async def request_context(
    request: Request, body: Mapping[str, Any] | None = None
) -> RequestContext:
    token = bearer_token(request)
    auth = await app_of(request).auth.authenticate(token) if token else None
    return RequestContext(
        auth=auth,
        method=request.method,
        headers=request.headers,
        query=request.query_params,
        body=body or {},
    )
