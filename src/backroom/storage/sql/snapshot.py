"""Rules checked against a record as given, not as stored: for realtime events, whose record
may have changed again, or been deleted, by the time subscribers are checked.

The record becomes a one-row common table expression whose columns are cast to the column
types of the collection's table, so comparisons behave as they do on the stored row; the
rule renders against it exactly as a list query's WHERE does.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import sqlalchemy as sa

from backroom.core.collections.model import Collection
from backroom.storage.sql.compiled import CompiledSQL, StatementCache
from backroom.storage.sql.ddl import column_type
from backroom.storage.sql.records import encode_record
from backroom.storage.sql_filter import render_where

__all__ = ["SnapshotChecks"]


def _plan_key(plan: Any) -> Any:
    return getattr(plan, "cache_key", None) or id(plan)


class SnapshotChecks:
    def __init__(self, cache: StatementCache) -> None:
        self._cache = cache

    def statement(self, c: Collection, plans: Sequence[Any]) -> CompiledSQL:
        key = ("snapshot", c.id, c.version, tuple(_plan_key(p) for p in plans))

        def build() -> sa.Select[Any]:
            row = sa.select(
                *(
                    sa.cast(sa.bindparam(f"__snap_{i}"), column_type(f)).label(f.name)
                    for i, f in enumerate(c.fields)
                )
            ).cte("__snapshot")
            conds = [render_where(p, c, row) for p in plans]
            return sa.select(sa.literal(1)).select_from(row).where(*conds)

        return self._cache.get(key, build)

    @staticmethod
    def params(c: Collection, record: Mapping[str, Any], bind: Mapping[str, Any]) -> dict[str, Any]:
        values = dict(bind)
        encoded = encode_record(c, dict(record))
        for i, f in enumerate(c.fields):
            values[f"__snap_{i}"] = encoded[f.name]
        return values
