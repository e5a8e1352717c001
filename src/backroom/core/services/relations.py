"""Relation integrity: referenced records must exist; deletes cascade or are refused."""

from __future__ import annotations

from typing import Any

from backroom.core.collections.model import Collection, Schema
from backroom.core.ports import Transaction
from backroom.core.services.system_refs import forget_refs_to
from backroom.errors import BadRequestError, ErrorDetail

__all__ = ["check_relations", "delete_with_references"]

_MAX_CASCADE_DEPTH = 32


def _ids(value: Any) -> list[str]:
    if isinstance(value, list):
        return [str(v) for v in value if v]
    return [str(value)] if value else []


async def check_relations(
    tx: Transaction, schema: Schema, c: Collection, record: dict[str, Any]
) -> dict[str, ErrorDetail]:
    errors: dict[str, ErrorDetail] = {}
    for f in c.fields:
        if f.type != "relation":
            continue
        ids = _ids(record.get(f.name))
        if not ids:
            continue
        target = schema.get(str(getattr(f, "collectionId", "")))
        found = set() if target is None else await tx.existing_ids(target, ids)
        if any(i not in found for i in ids):
            errors[f.name] = ErrorDetail(
                "validation_missing_rel_records",
                "Failed to find all relation records with the provided ids.",
            )
    return errors


async def delete_with_references(
    tx: Transaction,
    schema: Schema,
    c: Collection,
    rid: str,
    depth: int = 0,
    removed: list[tuple[Collection, str]] | None = None,
) -> None:
    """Delete a record; cascade, unlink or refuse for every relation that points at it.
    Each record deleted, cascades included, is added to ``removed``."""
    if depth > _MAX_CASCADE_DEPTH:
        raise BadRequestError("Failed to delete record: the cascade is too deep.")
    for other in schema:
        for f in other.fields:
            if f.type != "relation" or getattr(f, "collectionId", "") != c.id:
                continue
            for ref in await tx.referencing(other, f, rid):
                if other.id == c.id and ref["id"] == rid:
                    continue
                if getattr(f, "cascadeDelete", False):
                    await delete_with_references(tx, schema, other, ref["id"], depth + 1, removed)
                    continue
                remaining = [i for i in _ids(ref.get(f.name)) if i != rid]
                if getattr(f, "required", False) and not remaining:
                    raise BadRequestError(
                        "Failed to delete record. Make sure that the record is not part of a "
                        "required relation reference."
                    )
                ref[f.name] = remaining if f.is_multiple else ""
                await tx.update_record(other, ref["id"], ref)
    await forget_refs_to(tx, schema, c, rid)
    await tx.delete_record(c, rid)
    if removed is not None:
        removed.append((c, rid))
