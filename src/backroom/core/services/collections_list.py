"""Listing collections with PocketBase's search parameters: filter, sort, paging, fields.

The ``_collections`` table is described as a read-only collection of six plain columns, so
the one filter and sort compiler serves it too; the matched ids are then answered with the
full definitions held in the schema.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from backroom.core.collections.codec import public_collection_json
from backroom.core.collections.model import Collection, Schema
from backroom.core.context import RequestContext
from backroom.core.fields.registry import field_from_json
from backroom.core.ports import RecordQuery, Storage
from backroom.core.records.projection import parse_fields, project
from backroom.core.rules import compile_filter, compile_sort
from backroom.core.services.records import ListParams, list_envelope

__all__ = ["CATALOG", "list_collections"]

_COLUMNS: list[dict[str, Any]] = [
    {"name": "id", "type": "text"},
    {"name": "name", "type": "text"},
    {"name": "type", "type": "text"},
    {"name": "system", "type": "bool"},
    {"name": "created", "type": "autodate", "onCreate": True},
    {"name": "updated", "type": "autodate", "onCreate": True, "onUpdate": True},
]

CATALOG = Collection(
    id="_collections",
    name="_collections",
    system=True,
    fields=[field_from_json({**c, "id": f"catalog_{c['name']}"}) for c in _COLUMNS],
)
"""The searchable columns of the table that holds every collection definition."""

_BY_CREATION = compile_sort("@rowid", CATALOG, Schema(), superuser=True)


async def list_collections(
    schema: Schema, storage: Storage, ctx: RequestContext, p: ListParams, now: datetime
) -> dict[str, Any]:
    """One page of collection definitions, as ``GET /api/collections`` answers it."""
    filters = [compile_filter(p.filter, CATALOG, schema, superuser=True)] if p.filter else []
    sort = compile_sort(p.sort, CATALOG, schema, superuser=True) if p.sort else _BY_CREATION
    proj = parse_fields(p.fields) if p.fields else None
    page, per_page = p.window()
    bind: dict[str, Any] = {}
    for plan in filters:
        bind.update(plan.bind_values(ctx, now))
    query = RecordQuery(
        CATALOG,
        filters,
        sort,
        limit=per_page,
        offset=(page - 1) * per_page,
        with_total=not p.skip_total,
        bind=bind,
    )
    result = await storage.query(query)
    found = (schema.get(row["id"]) for row in result.items)
    items = [public_collection_json(c) for c in found if c is not None]
    return list_envelope(page, per_page, result.total, project(items, proj))
