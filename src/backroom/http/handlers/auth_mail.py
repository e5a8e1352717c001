"""The mailbox flows of auth collections: verification, password reset, email change."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from backroom.http.body import read_body
from backroom.http.context import app_of, request_context

__all__ = [
    "ROUTES",
    "confirm_email_change",
    "confirm_password_reset",
    "confirm_verification",
    "request_email_change",
    "request_password_reset",
    "request_verification",
]

_NO_CONTENT = 204


async def request_verification(request: Request) -> Response:
    body = await read_body(request)
    await app_of(request).auth_mail.request_verification(request.path_params["collection"], body)
    return Response(status_code=_NO_CONTENT)


async def confirm_verification(request: Request) -> Response:
    body = await read_body(request)
    await app_of(request).auth_mail.confirm_verification(request.path_params["collection"], body)
    return Response(status_code=_NO_CONTENT)


async def request_password_reset(request: Request) -> Response:
    body = await read_body(request)
    flows = app_of(request).auth_mail
    await flows.request_password_reset(request.path_params["collection"], body)
    return Response(status_code=_NO_CONTENT)


async def confirm_password_reset(request: Request) -> Response:
    body = await read_body(request)
    flows = app_of(request).auth_mail
    await flows.confirm_password_reset(request.path_params["collection"], body)
    return Response(status_code=_NO_CONTENT)


async def request_email_change(request: Request) -> Response:
    body = await read_body(request)
    ctx = await request_context(request, body)
    flows = app_of(request).auth_mail
    await flows.request_email_change(ctx, request.path_params["collection"], body)
    return Response(status_code=_NO_CONTENT)


async def confirm_email_change(request: Request) -> Response:
    body = await read_body(request)
    flows = app_of(request).auth_mail
    await flows.confirm_email_change(request.path_params["collection"], body)
    return Response(status_code=_NO_CONTENT)


ROUTES = [
    Route(f"/api/collections/{{collection}}/{action}", handler, methods=["POST"])
    for action, handler in (
        ("request-verification", request_verification),
        ("confirm-verification", confirm_verification),
        ("request-password-reset", request_password_reset),
        ("confirm-password-reset", confirm_password_reset),
        ("request-email-change", request_email_change),
        ("confirm-email-change", confirm_email_change),
    )
]
