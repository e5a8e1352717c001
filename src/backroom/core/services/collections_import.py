"""PUT /api/collections/import: many collections created, changed or deleted in one go."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from backroom.core.collections.model import Collection, Schema
from backroom.core.ports import UniqueViolation
from backroom.errors import BackroomError, ErrorDetail, ValidationError

if TYPE_CHECKING:
    from backroom.core.services.collections import CollectionService

__all__ = ["import_collections"]

_FAILED = "Failed to import collections."


def _fail(code: str, message: str) -> ValidationError:
    return ValidationError(_FAILED, {"collections": ErrorDetail(code, message)})


def _messages(data: Mapping[str, Any]) -> dict[str, Any]:
    """An error tree with each ``{code, message}`` reduced to its message."""
    out: dict[str, Any] = {}
    for key, value in data.items():
        if isinstance(value, Mapping) and isinstance(value.get("message"), str):
            out[key] = value["message"]
        elif isinstance(value, Mapping):
            out[key] = _messages(value)
    return out


def _merged_fields(old: Collection, imported: Any) -> Any:
    """The imported fields, then the existing ones the import does not mention, as PocketBase
    merges them unless ``deleteMissing`` is set."""
    if imported is None:
        return [f.to_json() for f in old.fields]
    if not isinstance(imported, list):
        return imported  # refused by the collection's own validation
    ids = {str(f.get("id")) for f in imported if isinstance(f, Mapping) and f.get("id")}
    names = {str(f.get("name")) for f in imported if isinstance(f, Mapping) and f.get("name")}
    kept = [f.to_json() for f in old.fields if f.id not in ids and f.name not in names]
    return [*imported, *kept]


async def import_collections(
    service: CollectionService, items: list[Any], delete_missing: bool
) -> None:
    """Validate every collection against the schema as it will be, then apply all in one
    transaction; on any error nothing changes."""
    current = service.schema
    planned = Schema(list(current))
    changes: list[tuple[Collection | None, Collection]] = []
    for item in items:
        if not isinstance(item, Mapping):
            raise _fail("validation_collections_import_failure", "Invalid collection definition.")
        key = str(item.get("id") or item.get("name") or "")
        old = current.get(key) if key else None
        try:
            if old is None:
                new = service.prepare_create(item, planned)
            else:
                data = dict(item)
                if not delete_missing:
                    data["fields"] = _merged_fields(old, data.get("fields"))
                new = service.prepare_update(old, data, planned)
        except BackroomError as err:
            name = item.get("name") if isinstance(item.get("name"), str) else key
            raise _fail(
                "validation_collections_import_failure",
                f'Data validations failed for collection "{name}":\n'
                f"{json.dumps(_messages(err.data_json()), indent=2)}.",
            ) from None
        planned.put(new)
        changes.append((old, new))
    keep = {new.id for _, new in changes}
    deletions = [c for c in current if delete_missing and c.id not in keep and not c.system]
    try:
        async with service.storage.transaction() as tx:
            for c in deletions:
                await tx.delete_collection(c)
            for old, new in changes:
                await tx.save_collection(old, new)
    except UniqueViolation:
        raise _fail(
            "validation_collections_import_failure", "The index values are not unique."
        ) from None
    for c in deletions:
        current.remove(c.id)
    for _, new in changes:
        current.put(new)
    await service.announce()
