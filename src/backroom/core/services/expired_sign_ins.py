"""Deleting sign-ins in progress that can no longer complete: ``_mfas`` first factors older
than their collection's ``mfa.duration`` and ``_otps`` codes older than ``otp.duration``.
The app runs ``purge`` every ``PURGE_INTERVAL`` seconds (PocketBase does it hourly); an
expired row is refused when used anyway, so this only keeps the tables small."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta

from backroom.core.clock import format_datetime
from backroom.core.collections.model import Collection, Schema
from backroom.core.context import RequestContext
from backroom.core.ports import Clock, RecordQuery, Storage
from backroom.core.services.access import Access

__all__ = ["PURGE_INTERVAL", "ExpiredSignIns"]

PURGE_INTERVAL = 3600
# no sign-in step lives longer than a day: older rows of a deleted collection go too
_LONGEST = 86400
_BATCH = 500
_OF_COLLECTION = "collectionRef = @request.body.collectionRef && created < @request.body.before"
_ANY = "created < @request.body.before"
# (table, the auth collection option that sets how long its rows live, its default)
_TABLES = (("_mfas", "mfa", 600), ("_otps", "otp", 180))


def _lifetime(c: Collection, option: str, default: int) -> int:
    value = c.options.get(option)
    duration = value.get("duration") if isinstance(value, Mapping) else None
    if isinstance(duration, int) and not isinstance(duration, bool) and duration > 0:
        return min(duration, _LONGEST)
    return default


class ExpiredSignIns:
    def __init__(self, schema: Schema, storage: Storage, access: Access, clock: Clock) -> None:
        self._schema = schema
        self._storage = storage
        self._access = access
        self._clock = clock

    def _before(self, seconds: int) -> str:
        return format_datetime(self._clock.now_dt() - timedelta(seconds=seconds))

    async def purge(self) -> int:
        """Delete every expired row now; answer how many went."""
        deleted = 0
        for table, option, default in _TABLES:
            rows = self._schema.get(table)
            if rows is None:
                continue
            for c in self._schema:
                if c.is_auth:
                    before = self._before(_lifetime(c, option, default))
                    values = {"collectionRef": c.id, "before": before}
                    deleted += await self._delete(rows, _OF_COLLECTION, values)
            deleted += await self._delete(rows, _ANY, {"before": self._before(_LONGEST)})
        return deleted

    async def _delete(self, rows: Collection, expr: str, values: Mapping[str, str]) -> int:
        ctx = RequestContext(body=values)
        plan = self._access.rule(rows, expr, ctx)
        deleted = 0
        while True:
            query = RecordQuery(rows, [plan], limit=_BATCH, bind=self._access.bind([plan], ctx))
            found = (await self._storage.query(query)).items
            async with self._storage.transaction() as tx:
                for row in found:
                    await tx.delete_record(rows, str(row["id"]))
            deleted += len(found)
            if len(found) < _BATCH:
                return deleted
