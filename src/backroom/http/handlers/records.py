"""The records API: list, view, create, update and delete a collection's records."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from backroom.http.body import read_body
from backroom.http.context import app_of, request_context
from backroom.http.params import list_params, str_param
from backroom.http.responses import JSON

__all__ = ["create", "delete", "list_", "update", "view"]


async def list_(request: Request) -> JSON:
    ctx = await request_context(request)
    params = list_params(request)
    result = await app_of(request).records.list(ctx, request.path_params["collection"], params)
    return JSON(result)


async def view(request: Request) -> JSON:
    ctx = await request_context(request)
    p = request.path_params
    record = await app_of(request).records.view(
        ctx, p["collection"], p["id"], str_param(request, "expand"), str_param(request, "fields")
    )
    return JSON(record)


async def create(request: Request) -> JSON:
    body = await read_body(request)
    ctx = await request_context(request, body)
    record = await app_of(request).records.create(
        ctx,
        request.path_params["collection"],
        body,
        str_param(request, "expand"),
        str_param(request, "fields"),
    )
    return JSON(record)


async def update(request: Request) -> JSON:
    body = await read_body(request)
    ctx = await request_context(request, body)
    p = request.path_params
    record = await app_of(request).records.update(
        ctx,
        p["collection"],
        p["id"],
        body,
        str_param(request, "expand"),
        str_param(request, "fields"),
    )
    return JSON(record)


async def delete(request: Request) -> Response:
    ctx = await request_context(request)
    p = request.path_params
    await app_of(request).records.delete(ctx, p["collection"], p["id"])
    return Response(status_code=204)
