"""The records API: list, view, create, update and delete a collection's records."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from backroom.core.fields.file import FileField
from backroom.core.files.uploads import Upload, merge_uploads
from backroom.http.body import Body, body_limit, read_body_with_files
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


async def _record_body(request: Request) -> Body:
    """The body, with files for the collection's file fields. As PocketBase, the body may be
    as large as the body limit plus what each file field may hold."""
    c = app_of(request).schema.get(request.path_params["collection"])
    limits: dict[str, int] = {}
    if c is not None:
        limits = {f.name: f.max_bytes for f in c.fields if isinstance(f, FileField)}
    extra = sum(
        f.max_body_bytes for f in (c.fields if c is not None else []) if isinstance(f, FileField)
    )

    def keep(key: str) -> int | None:
        return limits.get(key.removeprefix("+").removesuffix("+"))

    return await read_body_with_files(request, body_limit(request) + extra, keep, infer=True)


def _rule_body(body: Body) -> dict[str, Any]:
    """The body as rules see it (``@request.body.*``): uploads by their stored names."""
    merged = merge_uploads(body.data, body.files)
    for key in body.files:
        merged[key] = [v.name if isinstance(v, Upload) else v for v in merged[key]]
    return merged


async def create(request: Request) -> JSON:
    body = await _record_body(request)
    try:
        ctx = await request_context(request, _rule_body(body))
        record = await app_of(request).records.create(
            ctx,
            request.path_params["collection"],
            body.data,
            str_param(request, "expand"),
            str_param(request, "fields"),
            uploads=body.files,
        )
    finally:
        body.close()
    return JSON(record)


async def update(request: Request) -> JSON:
    body = await _record_body(request)
    try:
        ctx = await request_context(request, _rule_body(body))
        p = request.path_params
        record = await app_of(request).records.update(
            ctx,
            p["collection"],
            p["id"],
            body.data,
            str_param(request, "expand"),
            str_param(request, "fields"),
            uploads=body.files,
        )
    finally:
        body.close()
    return JSON(record)


async def delete(request: Request) -> Response:
    ctx = await request_context(request)
    p = request.path_params
    await app_of(request).records.delete(ctx, p["collection"], p["id"])
    return Response(status_code=204)
