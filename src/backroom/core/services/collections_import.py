"""PUT /api/collections/import: many collections created, changed or deleted in one go."""

from __future__ import annotations

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
            raise _fail("collections_import_validate_failed", "Invalid collection definition.")
        key = str(item.get("id") or item.get("name") or "")
        old = current.get(key) if key else None
        try:
            if old is None:
                new = service.prepare_create(item, planned)
            else:
                data = dict(item)
                data.setdefault("fields", [])
                new = service.prepare_update(old, data, planned)
        except BackroomError as err:
            raise ValidationError(
                _FAILED,
                {
                    "collections": ErrorDetail(
                        "collections_import_validate_failed",
                        f"Data validations failed for collection {key!r}: {err.data_json()}",
                    )
                },
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
        raise _fail("collections_import_failure", "The index values are not unique.") from None
    for c in deletions:
        current.remove(c.id)
    for _, new in changes:
        current.put(new)
