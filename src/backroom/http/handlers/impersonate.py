"""``POST /api/collections/{collection}/impersonate/{id}``: superusers only."""

from __future__ import annotations

from starlette.requests import Request

from backroom.http.body import read_body
from backroom.http.context import app_of, request_context
from backroom.http.responses import JSON

__all__ = ["impersonate"]

_FORMS = ("multipart/form-data", "application/x-www-form-urlencoded")


async def impersonate(request: Request) -> JSON:
    ctx = await request_context(request)
    p = request.path_params
    body = await read_body(request)
    form = request.headers.get("content-type", "").lower().startswith(_FORMS)
    result = await app_of(request).impersonation.impersonate(
        ctx, p["collection"], p["id"], body, from_form=form
    )
    return JSON(result)
