"""Sign-ins in progress end when what they were started with changes, as in PocketBase:
a deleted record or a new password ends its first factors (``_mfas``) and its mailed codes
(``_otps``); a new email ends its codes, which went to the old address. (Deleting a record
or its collection is ``system_refs.forget_refs_to``'s.)"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from backroom.core.collections.model import Collection, Schema
from backroom.core.ports import Transaction

__all__ = ["end_pending_sign_ins", "end_stale_sign_ins"]

_MFAS = "_mfas"
_OTPS = "_otps"


async def _end(
    tx: Transaction,
    schema: Schema,
    tables: tuple[str, ...],
    by: str,
    value: str,
    collection_id: str,
) -> None:
    for name in tables:
        rows = schema.get(name)
        ref = rows.field(by) if rows is not None else None
        if rows is None or ref is None:
            continue
        for row in await tx.referencing(rows, ref, value):
            if row.get("collectionRef") == collection_id:
                await tx.delete_record(rows, str(row["id"]))


async def end_pending_sign_ins(
    tx: Transaction, schema: Schema, c: Collection, record_id: str, *, mfas: bool = True
) -> None:
    """Delete the record's pending codes, and its first factors unless ``mfas`` is False."""
    if c.is_auth:
        await _end(tx, schema, (_MFAS, _OTPS) if mfas else (_OTPS,), "recordRef", record_id, c.id)


async def end_stale_sign_ins(
    tx: Transaction,
    schema: Schema,
    c: Collection,
    old: Mapping[str, Any],
    new: Mapping[str, Any],
) -> None:
    """After an update of an auth record from ``old`` to ``new``."""
    if old.get("password") != new.get("password"):
        await end_pending_sign_ins(tx, schema, c, str(old["id"]))
    elif old.get("email") != new.get("email"):
        await end_pending_sign_ins(tx, schema, c, str(old["id"]), mfas=False)
