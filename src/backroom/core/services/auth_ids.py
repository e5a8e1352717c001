"""Auth record ids are unique across every auth collection, as in PocketBase: a token names
a record by its id, and the id alone must never be able to stand for two accounts."""

from __future__ import annotations

from backroom.core.collections.model import Collection, Schema
from backroom.core.ports import Transaction
from backroom.errors import ErrorDetail

__all__ = ["AUTH_ID_TAKEN", "auth_id_taken"]

AUTH_ID_TAKEN = ErrorDetail("validation_invalid_auth_id", "Invalid or duplicated auth record id.")


async def auth_id_taken(tx: Transaction, schema: Schema, c: Collection, record_id: str) -> bool:
    """Whether another auth collection already holds a record with this id (checked inside
    the write transaction, so two concurrent creates cannot both pass)."""
    for other in schema:
        if other.is_auth and other.id != c.id and await tx.existing_ids(other, [record_id]):
            return True
    return False
