"""The ASGI application: the route table and the mapping of errors to PocketBase's shape."""

from __future__ import annotations

import logging
from collections.abc import MutableMapping
from typing import TYPE_CHECKING, Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.routing import Route

from backroom.errors import BackroomError
from backroom.http.context import scope_auth
from backroom.http.handlers import (
    auth,
    auth_mail,
    collections,
    files,
    health,
    impersonate,
    oauth2,
    otp,
    realtime,
    records,
    settings,
)
from backroom.http.middleware import HeadersMiddleware
from backroom.http.ratelimit import RateLimitMiddleware
from backroom.http.responses import error_response, plain_error
from backroom.http.stale import retry_on_schema_change

if TYPE_CHECKING:
    from backroom.app import Backroom

__all__ = ["create_asgi"]

log = logging.getLogger("backroom.http")

_NOT_FOUND = "The requested resource wasn't found."

ROUTES = [
    # routes are tried in order, and the records API is what almost every request calls
    Route("/api/collections/{collection}/records", records.list_, methods=["GET"]),
    Route("/api/collections/{collection}/records", records.create, methods=["POST"]),
    Route("/api/collections/{collection}/records/{id}", records.view, methods=["GET"]),
    Route("/api/collections/{collection}/records/{id}", records.update, methods=["PATCH"]),
    Route("/api/collections/{collection}/records/{id}", records.delete, methods=["DELETE"]),
    Route("/api/health", health.health, methods=["GET", "HEAD"]),
    Route("/api/collections", collections.list_, methods=["GET"]),
    Route("/api/collections", collections.create, methods=["POST"]),
    Route("/api/collections/import", collections.import_, methods=["PUT"]),
    Route("/api/collections/{collection}", collections.view, methods=["GET"]),
    Route("/api/collections/{collection}", collections.update, methods=["PATCH"]),
    Route("/api/collections/{collection}", collections.delete, methods=["DELETE"]),
    Route("/api/collections/{collection}/truncate", collections.truncate, methods=["DELETE"]),
    Route(
        "/api/collections/{collection}/auth-with-password",
        auth.auth_with_password,
        methods=["POST"],
    ),
    Route("/api/collections/{collection}/auth-refresh", auth.auth_refresh, methods=["POST"]),
    Route(
        "/api/collections/{collection}/impersonate/{id}",
        impersonate.impersonate,
        methods=["POST"],
    ),
    *auth_mail.ROUTES,
    *otp.ROUTES,
    Route("/api/settings", settings.view, methods=["GET"]),
    Route("/api/settings", settings.update, methods=["PATCH"]),
    Route("/api/settings/test/email", settings.test_email, methods=["POST"]),
    Route("/api/settings/test/s3", settings.test_s3, methods=["POST"]),
    Route("/api/collections/{collection}/auth-methods", oauth2.auth_methods_, methods=["GET"]),
    Route(
        "/api/collections/{collection}/auth-with-oauth2",
        oauth2.auth_with_oauth2,
        methods=["POST"],
    ),
    Route("/api/oauth2-redirect", oauth2.oauth2_redirect, methods=["GET", "POST"]),
    *files.ROUTES,
    Route("/api/realtime", realtime.connect, methods=["GET"]),
    Route("/api/realtime", realtime.set_subscriptions, methods=["POST"]),
]


async def _domain_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, BackroomError)
    return error_response(exc)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if exc.status_code in (404, 405):
        # PocketBase serves static files for any unmatched GET, hence its message there;
        # a known path with the wrong method is simply not found.
        unmatched_get = exc.status_code == 404 and request.method in ("GET", "HEAD")
        return plain_error(404, "File not found." if unmatched_get else _NOT_FOUND)
    return plain_error(exc.status_code, "Something went wrong while processing your request.")


async def _gone(request: Request, exc: Exception) -> Response:
    # the client left while sending its body (a cancelled upload): nobody reads the answer
    return Response(status_code=400)


async def _unexpected(request: Request, exc: Exception) -> Response:
    log.exception("unhandled error on %s %s", request.method, request.url.path)
    return plain_error(500, "Something went wrong while processing your request.")


def create_asgi(backroom: Backroom, *, debug: bool = False) -> HeadersMiddleware:
    app = Starlette(
        debug=debug,
        routes=retry_on_schema_change(ROUTES),
        exception_handlers={
            BackroomError: _domain_error,
            HTTPException: _http_error,
            ClientDisconnect: _gone,
            Exception: _unexpected,
        },
        lifespan=backroom.lifespan,
    )
    app.state.backroom = backroom

    async def signed_in(scope: MutableMapping[str, Any]) -> bool:
        return await scope_auth(backroom, scope) is not None

    limited = RateLimitMiddleware(app, backroom.limiter, lambda: backroom.trusted_proxy, signed_in)
    return HeadersMiddleware(limited, backroom.settings.origins)
