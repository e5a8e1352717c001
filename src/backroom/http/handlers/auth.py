"""Authentication endpoints of auth collections."""

from __future__ import annotations

from starlette.requests import Request

from backroom.errors import ForbiddenError, NotFoundError, UnauthorizedError
from backroom.http.body import read_body
from backroom.http.context import app_of, bearer_token, request_context
from backroom.http.responses import JSON

__all__ = ["auth_refresh", "auth_with_password"]


async def auth_with_password(request: Request) -> JSON:
    body = await read_body(request)
    ctx = await request_context(request, body)
    result = await app_of(request).auth.auth_with_password(
        ctx, request.path_params["collection"], body
    )
    return JSON(result)


async def auth_refresh(request: Request) -> JSON:
    app = app_of(request)
    c = app.schema.get(request.path_params["collection"])
    if c is None:
        raise NotFoundError("Missing or invalid collection context.")
    ctx = await request_context(request)
    if ctx.auth is None:
        raise UnauthorizedError()
    if ctx.auth.collection_id != c.id:
        raise ForbiddenError(
            f"The request requires auth record from {ctx.auth.collection_name} collection."
        )
    return JSON(await app.auth.refresh(ctx, c, bearer_token(request)))
