"""The ``_authOrigins`` system collection: where each auth record signed in from.

As in PocketBase, a completed sign-in (password, OTP, OAuth2; not a refresh nor an
impersonation) of a collection with ``authAlert.enabled`` refreshes its origin, or records
a new one and then mails the login alert, unless it is the record's first origin. A record
keeps its five newest origins. A password change forgets them all (the next sign-in is a
first one again), and they go with their record and with their collection.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from backroom.core.collections.model import Collection, Schema
from backroom.core.context import RequestContext
from backroom.core.ids import new_id
from backroom.core.ports import Clock, Storage, Transaction, UniqueViolation
from backroom.core.services.login_alerts import LoginAlerts, alerts_enabled, origin_of

__all__ = [
    "AUTH_ORIGINS",
    "MAX_ORIGINS",
    "AuthOrigins",
    "forget_origins",
]

AUTH_ORIGINS = "_authOrigins"
MAX_ORIGINS = 5


def _oldest_first(origin: Mapping[str, Any]) -> tuple[str, str]:
    return str(origin.get("created", "")), str(origin.get("id", ""))


async def _forget(tx: Transaction, schema: Schema, where: Mapping[str, str]) -> None:
    origins = schema.get(AUTH_ORIGINS)
    if origins is None:
        return
    for origin in await tx.find_by_fields(origins, where):
        await tx.delete_record(origins, str(origin["id"]))


async def forget_origins(tx: Transaction, schema: Schema, c: Collection, record_id: str) -> None:
    """Forget where an auth record signed in from (its password changed, or it is deleted)."""
    if c.is_auth:
        await _forget(tx, schema, {"collectionRef": c.id, "recordRef": record_id})


class AuthOrigins:
    def __init__(self, schema: Schema, storage: Storage, clock: Clock, alerts: LoginAlerts) -> None:
        self._schema = schema
        self._storage = storage
        self._clock = clock
        self._alerts = alerts

    def _collection(self) -> Collection:
        c = self._schema.get(AUTH_ORIGINS)
        assert c is not None, "the _authOrigins system collection is created at start"
        return c

    async def signed_in(
        self, ctx: RequestContext, c: Collection, record: Mapping[str, Any]
    ) -> None:
        """Note where a completed sign-in of ``record`` came from; alert its owner when that
        is a new place for a record that signed in before."""
        if not alerts_enabled(c):
            return
        origins = self._collection()
        origin = origin_of(ctx)
        fingerprint = origin.fingerprint
        rid = str(record["id"])
        now = self._clock.now()
        try:
            # one write transaction: two sign-ins from one new place alert once
            async with self._storage.transaction() as tx:
                known = await tx.find_by_fields(origins, {"collectionRef": c.id, "recordRef": rid})
                current = next((o for o in known if o.get("fingerprint") == fingerprint), None)
                if current is not None:
                    await tx.update_record(origins, str(current["id"]), {**current, "updated": now})
                    return
                new = {
                    "id": new_id(),
                    "collectionRef": c.id,
                    "recordRef": rid,
                    "fingerprint": fingerprint,
                    "created": now,
                    "updated": now,
                }
                await tx.insert_record(origins, new)
                surplus = len(known) + 1 - MAX_ORIGINS
                for old in sorted(known, key=_oldest_first)[: max(0, surplus)]:
                    await tx.delete_record(origins, str(old["id"]))
        except UniqueViolation:
            return  # another request recorded this origin first, and alerted if needed
        if known:
            self._alerts.new_location(c, record, origin)
