"""OAuth2 endpoints: ``auth-methods``, ``auth-with-oauth2`` and ``/api/oauth2-redirect``."""

from __future__ import annotations

from urllib.parse import parse_qs

from starlette.requests import Request
from starlette.responses import Response

from backroom.core.services.auth_methods import auth_methods
from backroom.core.services.oauth2_redirect import REDIRECT_FAILURE, forward_redirect
from backroom.errors import BackroomError, TooLargeError
from backroom.http.body import read_body
from backroom.http.context import app_of, request_context
from backroom.http.responses import JSON

__all__ = ["auth_methods_", "auth_with_oauth2", "oauth2_redirect"]

_REDIRECT_LIMIT = 64 << 10


async def auth_methods_(request: Request) -> JSON:
    oauth2 = app_of(request).oauth2
    c = oauth2.auth_collection(request.path_params["collection"])
    return JSON(await auth_methods(c, oauth2.client))


async def auth_with_oauth2(request: Request) -> JSON:
    body = await read_body(request)
    ctx = await request_context(request, body)
    result = await app_of(request).oauth2.auth_with_oauth2(
        ctx, request.path_params["collection"], body
    )
    return JSON(result)


def _text(value: object) -> str:
    return value if isinstance(value, str) else ""


async def _posted(request: Request) -> dict[str, object]:
    """A form (Apple's ``form_post``) or JSON body, small and parsed without surprises."""
    ctype = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if ctype == "application/x-www-form-urlencoded":
        raw = b""
        async for chunk in request.stream():
            raw += chunk
            if len(raw) > _REDIRECT_LIMIT:
                raise TooLargeError()
        return {k: v[0] for k, v in parse_qs(raw.decode("utf-8", "replace")).items()}
    return await read_body(request, limit=_REDIRECT_LIMIT)


async def oauth2_redirect(request: Request) -> Response:
    """GET (query) or POST (form, as Apple sends it); answers a redirect either way."""
    status = 307 if request.method == "GET" else 303
    if request.method == "GET":
        data: dict[str, object] = dict(request.query_params)
    else:
        try:
            data = await _posted(request)
        except BackroomError:  # an unreadable body is simply a failed redirect
            return Response(status_code=status, headers={"Location": REDIRECT_FAILURE})
    location = await forward_redirect(
        app_of(request).oauth2_redirects,
        _text(data.get("state")),
        _text(data.get("code")),
        _text(data.get("error")),
    )
    return Response(status_code=status, headers={"Location": location})
