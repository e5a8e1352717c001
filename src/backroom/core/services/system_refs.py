"""The records of the system collections that point at an auth record (``_authOrigins``,
``_externalAuths``, ``_otps``, ``_mfas``) must point at one that exists, as in PocketBase:
``collectionRef`` is the id of an auth collection and ``recordRef`` one of its records."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from backroom.core.collections.model import Collection, Schema
from backroom.core.ports import Transaction
from backroom.errors import ErrorDetail

__all__ = ["REF_COLLECTIONS", "forget_refs_to", "system_ref_errors"]

REF_COLLECTIONS = frozenset({"_authOrigins", "_externalAuths", "_otps", "_mfas"})

_NO_COLLECTION = ErrorDetail("validation_invalid_collection_id", "Missing or invalid collection.")
_NOT_AUTH = ErrorDetail(
    "validation_invalid_collection_type", "Invalid collection type - must be auth."
)
_NO_RECORD = ErrorDetail("validation_invalid_record", "Missing or invalid record.")


async def system_ref_errors(
    tx: Transaction, schema: Schema, c: Collection, record: Mapping[str, Any]
) -> dict[str, ErrorDetail]:
    """What is wrong with the references of a record otherwise valid (none for records
    of other collections)."""
    if not (c.system and c.name in REF_COLLECTIONS):
        return {}
    ref = str(record.get("collectionRef") or "")
    target = schema.get(ref)
    if target is None or target.id != ref:  # an id, never a name
        return {"collectionRef": _NO_COLLECTION}
    if not target.is_auth:
        return {"collectionRef": _NOT_AUTH}
    if await tx.get_record(target, str(record.get("recordRef") or "")) is None:
        return {"recordRef": _NO_RECORD}
    return {}


async def forget_refs_to(
    tx: Transaction, schema: Schema, c: Collection, record_id: str | None = None
) -> None:
    """Delete the system records that point at an auth record (``record_id``), or at any
    record of the auth collection ``c``: they go with what they point at, as in PocketBase."""
    if not c.is_auth:
        return
    where = {"collectionRef": c.id}
    if record_id is not None:
        where["recordRef"] = record_id
    for name in sorted(REF_COLLECTIONS):
        system = schema.get(name)
        if system is None or not system.system:
            continue
        for row in await tx.find_by_fields(system, where):
            await tx.delete_record(system, str(row["id"]))
