"""The collections API: superusers manage collections and their schema."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from backroom.core.collections.codec import public_collection_json
from backroom.core.collections.model import Collection
from backroom.core.records.projection import parse_fields, project
from backroom.errors import BadRequestError, ErrorDetail, ValidationError
from backroom.http.body import read_body
from backroom.http.context import app_of, request_context
from backroom.http.params import list_params, str_param
from backroom.http.responses import JSON

__all__ = ["create", "delete", "import_", "list_", "truncate", "update", "view"]


async def list_(request: Request) -> JSON:
    ctx = await request_context(request)
    return JSON(await app_of(request).collections.list_page(ctx, list_params(request)))


async def view(request: Request) -> JSON:
    ctx = await request_context(request)
    c = app_of(request).collections.view(ctx, request.path_params["collection"])
    return _answer(request, c)


def _answer(request: Request, c: Collection) -> JSON:
    """One collection, with ``?fields=`` applied as PocketBase applies it to every answer."""
    return JSON(project(public_collection_json(c), parse_fields(str_param(request, "fields"))))


_NOT_A_COLLECTION = "Failed to load the collection type data due to invalid formatting."


async def create(request: Request) -> JSON:
    ctx = await request_context(request)
    body = await read_body(request, not_an_object=_NOT_A_COLLECTION)
    c = await app_of(request).collections.create(ctx, body)
    return _answer(request, c)


async def update(request: Request) -> JSON:
    ctx = await request_context(request)
    body = await read_body(request, not_an_object=_NOT_A_COLLECTION)
    c = await app_of(request).collections.update(ctx, request.path_params["collection"], body)
    return _answer(request, c)


async def delete(request: Request) -> Response:
    ctx = await request_context(request)
    await app_of(request).collections.delete(ctx, request.path_params["collection"])
    return Response(status_code=204)


async def truncate(request: Request) -> Response:
    ctx = await request_context(request)
    await app_of(request).collections.truncate(ctx, request.path_params["collection"])
    return Response(status_code=204)


async def import_(request: Request) -> Response:
    ctx = await request_context(request)
    body = await read_body(request)
    collections = body.get("collections")
    if collections is not None and (
        not isinstance(collections, list) or not all(isinstance(c, dict) for c in collections)
    ):
        raise BadRequestError("An error occurred while loading the submitted data.")
    if not collections:
        raise ValidationError(
            data={"collections": ErrorDetail("validation_required", "Cannot be blank.")}
        )
    delete_missing = bool(body.get("deleteMissing"))
    await app_of(request).collections.import_(ctx, collections, delete_missing)
    return Response(status_code=204)
