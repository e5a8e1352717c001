"""Password work done before a record update takes the write lock.

A hash costs tens of milliseconds; done inside the single writer's transaction it would hold
every other write for that long. So the update hashes the new password and checks the old
one first, against a snapshot of the record, and the transaction then finds the answers
ready. Should the stored hash change in between, the transaction computes the answer itself
(correct, only slower).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from backroom.core.collections.model import Collection
from backroom.core.fields.base import FieldContext
from backroom.core.ports import Hasher

__all__ = ["Prehashed", "prehash", "wants_password_work"]


class Prehashed:
    """A Hasher that answers from work done ahead and falls back to the real one."""

    def __init__(self, hasher: Hasher) -> None:
        self._hasher = hasher
        self._hashes: dict[str, str] = {}
        self._checks: dict[tuple[str, str], bool] = {}

    async def hash_ahead(self, password: str) -> None:
        self._hashes[password] = await self._hasher.hash(password)

    async def verify_ahead(self, password: str, hashed: str) -> None:
        self._checks[(password, hashed)] = await self._hasher.verify(password, hashed)

    def checked(self, password: str, hashed: str) -> bool:
        return self._checks.get((password, hashed), False)

    async def hash(self, password: str) -> str:
        done = self._hashes.pop(password, None)
        return done if done is not None else await self._hasher.hash(password)

    async def verify(self, password: str, hashed: str) -> bool:
        done = self._checks.pop((password, hashed), None)
        return done if done is not None else await self._hasher.verify(password, hashed)

    def needs_rehash(self, hashed: str) -> bool:
        return self._hasher.needs_rehash(hashed)


def _plain(body: Mapping[str, Any], name: str) -> str | None:
    value = body.get(name)
    return value if isinstance(value, str) and value else None


def wants_password_work(c: Collection, body: Mapping[str, Any]) -> bool:
    return any(f.type == "password" and _plain(body, f.name) for f in c.fields)


async def prehash(
    c: Collection,
    body: Mapping[str, Any],
    old: Mapping[str, Any],
    hasher: Hasher,
    may_manage: bool,
) -> Prehashed:
    """Check ``oldPassword`` against ``old`` and hash each valid new password in ``body``.
    Nothing is hashed that the update refuses anyway: an invalid password, or any password
    when the caller cannot manage the record and the old password is missing or wrong."""
    out = Prehashed(hasher)
    old_password = _plain(body, "oldPassword")
    old_ok = False
    if c.is_auth and old_password is not None:
        await out.verify_ahead(old_password, str(old.get("password", "")))
        old_ok = out.checked(old_password, str(old.get("password", "")))
    fctx = FieldContext(is_new=False)
    for f in c.fields:
        plain = _plain(body, f.name)
        if f.type != "password" or plain is None or f.validate(plain, fctx) is not None:
            continue
        own = c.is_auth and f.name == "password"
        if own and (body.get("passwordConfirm") != plain or not (may_manage or old_ok)):
            continue
        await out.hash_ahead(plain)
    return out
