"""The settings API: superusers read and change the app settings."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from backroom.errors import BadRequestError
from backroom.http.body import read_body
from backroom.http.context import app_of, request_context
from backroom.http.responses import JSON

__all__ = ["test_email", "test_s3", "update", "view"]


async def view(request: Request) -> JSON:
    ctx = await request_context(request)
    return JSON(app_of(request).app_settings.view(ctx))


_LOAD_FAILED = "An error occurred while loading the submitted data."


async def _load(request: Request) -> dict[str, Any]:
    """The body; malformed JSON gets PocketBase's one message for every settings load error."""
    try:
        return await read_body(request, not_an_object=_LOAD_FAILED)
    except BadRequestError as err:
        raise BadRequestError(_LOAD_FAILED) from err


async def update(request: Request) -> JSON:
    ctx = await request_context(request)
    body = await _load(request)
    return JSON(await app_of(request).app_settings.update(ctx, body))


async def test_email(request: Request) -> Response:
    ctx = await request_context(request)
    body = await _load(request)
    await app_of(request).mail.test_email(ctx, body)
    return Response(status_code=204)


async def test_s3(request: Request) -> Response:
    ctx = await request_context(request)
    body = await _load(request)
    await app_of(request).s3_check.test(ctx, body)
    return Response(status_code=204)
