"""Build the RequestContext a service sees from an HTTP request."""

from __future__ import annotations

from collections.abc import Mapping, MutableMapping
from typing import TYPE_CHECKING, Any

from starlette.datastructures import Headers
from starlette.requests import Request

from backroom.core.context import AuthInfo, RequestContext
from backroom.http.client_ip import client_ip

if TYPE_CHECKING:
    from backroom.app import Backroom

__all__ = ["app_of", "bearer_token", "request_context", "scope_auth"]

_AUTH = "backroom.auth"


def app_of(request: Request) -> Backroom:
    app: Backroom = request.app.state.backroom
    return app


def _token(headers: Headers) -> str:
    raw = headers.get("authorization", "").strip()
    if raw[:7].lower() == "bearer ":
        raw = raw[7:].strip()
    return raw


def bearer_token(request: Request) -> str:
    """The token of the Authorization header, with or without a ``Bearer`` prefix."""
    return _token(request.headers)


async def scope_auth(backroom: Backroom, scope: MutableMapping[str, Any]) -> AuthInfo | None:
    """The request's verified auth record, looked up once per request and kept in its scope."""
    if _AUTH in scope:
        found: AuthInfo | None = scope[_AUTH]
        return found
    token = _token(Headers(scope=scope))
    auth = await backroom.auth.authenticate(token) if token else None
    scope[_AUTH] = auth
    return auth


async def request_context(
    request: Request, body: Mapping[str, Any] | None = None
) -> RequestContext:
    auth = await scope_auth(app_of(request), request.scope)
    return RequestContext(
        auth=auth,
        method=request.method,
        headers=request.headers,
        query=request.query_params,
        body=body or {},
        client_ip=client_ip(request.scope, app_of(request).trusted_proxy),
    )
