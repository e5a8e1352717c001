"""One-time passwords by mail: request a code, sign in with it."""

from __future__ import annotations

from starlette.requests import Request
from starlette.routing import Route

from backroom.http.body import read_body
from backroom.http.context import app_of, request_context
from backroom.http.responses import JSON

__all__ = ["ROUTES", "auth_with_otp", "request_otp"]


async def request_otp(request: Request) -> JSON:
    body = await read_body(request)
    return JSON(await app_of(request).otp.request(request.path_params["collection"], body))


async def auth_with_otp(request: Request) -> JSON:
    body = await read_body(request)
    ctx = await request_context(request, body)
    flows = app_of(request).otp
    return JSON(await flows.authenticate(ctx, request.path_params["collection"], body))


ROUTES = [
    Route("/api/collections/{collection}/request-otp", request_otp, methods=["POST"]),
    Route("/api/collections/{collection}/auth-with-otp", auth_with_otp, methods=["POST"]),
]
