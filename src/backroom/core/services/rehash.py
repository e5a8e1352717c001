"""Replacing an outdated password hash (bcrypt from PocketBase, or older argon2 parameters)
after a successful sign-in, while the plain password is at hand."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from backroom.core.collections.model import Collection
from backroom.core.ports import Hasher, Storage

__all__ = ["upgrade_hash"]


async def upgrade_hash(
    storage: Storage, hasher: Hasher, c: Collection, record: Mapping[str, Any], password: str
) -> None:
    """Store a new hash of ``password`` for ``record``, hashed before the write lock is taken.
    Nothing else changes: not the token key (the password is the same), not ``updated``.
    If the password changed meanwhile, the newer one stays."""
    fresh = await hasher.hash(password)
    async with storage.transaction() as tx:
        current = await tx.get_record(c, str(record["id"]))
        if current is None or current.get("password") != record.get("password"):
            return
        current["password"] = fresh
        await tx.update_record(c, str(record["id"]), current)
