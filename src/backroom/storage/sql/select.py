"""List and view queries: rule and filter plans, sort and paging, compiled once and cached."""

from __future__ import annotations

import json
from typing import Any

import sqlalchemy as sa

from backroom.core.ports import RecordQuery
from backroom.storage.sql.compiled import CompiledSQL, StatementCache
from backroom.storage.sql_filter import render_order_by, render_where

__all__ = ["SelectBuilder"]


def _plan_key(plan: Any) -> Any:
    return getattr(plan, "cache_key", None) or id(plan)


def _order(q: RecordQuery, c: Any, table: Any) -> list[Any]:
    """The requested order; without one, insertion order, as PocketBase answers."""
    if q.sort is None:
        return [sa.literal_column(f'"{table.name}"._rowid_')]
    return render_order_by(q.sort, c, table)


def _ids_kind(q: RecordQuery) -> str | None:
    return None if q.ids is None else ("one" if len(q.ids) == 1 else "many")


class SelectBuilder:
    def __init__(self, cache: StatementCache) -> None:
        self._cache = cache

    def _key(self, q: RecordQuery) -> tuple[Any, ...]:
        return (
            "select",
            q.collection.id,
            q.collection.version,
            tuple(_plan_key(p) for p in q.filters),
            None if q.sort is None else _plan_key(q.sort),
            _ids_kind(q),
            q.limit,
            None if q.referencing is None else q.referencing[0],
        )

    def _where(self, q: RecordQuery, table: Any) -> list[sa.ColumnElement[bool]]:
        conds: list[sa.ColumnElement[bool]] = []
        if q.ids is not None:
            if len(q.ids) == 1:
                conds.append(table.c.id == sa.bindparam("__id"))
            else:
                ids: sa.Select[Any] = sa.select(sa.column("value")).select_from(
                    sa.func.json_each(sa.bindparam("__ids"))
                )
                conds.append(table.c.id.in_(ids.scalar_subquery()))
        if q.referencing is not None:
            conds.append(self._referencing(q, table))
        for plan in q.filters:
            conds.append(render_where(plan, q.collection, table))
        return conds

    @staticmethod
    def _referencing(q: RecordQuery, table: Any) -> sa.ColumnElement[bool]:
        assert q.referencing is not None
        name = q.referencing[0]
        field = q.collection.field(name)
        wanted: sa.Select[Any] = sa.select(sa.column("value")).select_from(
            sa.func.json_each(sa.bindparam("__refs"))
        )
        if field is None or not field.is_multiple:
            direct: sa.ColumnElement[bool] = table.c[name].in_(wanted.scalar_subquery())
            return direct
        items = sa.func.json_each(table.c[name]).table_valued("value").alias("__ref_items")
        hit = sa.select(sa.literal(1)).select_from(items)
        return sa.exists(hit.where(items.c.value.in_(wanted.scalar_subquery())))

    def build(self, q: RecordQuery) -> tuple[CompiledSQL, CompiledSQL | None]:
        c = q.collection
        key = self._key(q)
        single = _ids_kind(q) == "one"

        def items() -> sa.Select[Any]:
            table = sa.table(c.name, *(sa.column(f.name) for f in c.fields))
            columns = [table.c[f.name] for f in c.fields]
            order = _order(q, c, table)
            if single:  # one id: at most one row, nothing to order or page
                return sa.select(*columns).where(*self._where(q, table))
            if q.limit is None:
                return sa.select(*columns).where(*self._where(q, table)).order_by(*order)
            # The limit is written into the SQL: SQLite plans with a bound limit's value and
            # so prepares the statement again on every execution. Limits are few (perPage).
            limit: sa.ColumnElement[Any] = sa.literal_column(str(int(q.limit)))
            # Late row lookup: sort and page over ids only, then read the page's full rows,
            # so the sorter never carries whole records.
            inner = sa.table(c.name, *(sa.column(f.name) for f in c.fields)).alias("__page")
            page = (
                sa.select(inner.c.id)
                .where(*self._where(q, inner))
                .order_by(*_order(q, c, inner))
                .limit(limit)
                .offset(sa.bindparam("__offset"))
            )
            return (
                sa.select(*columns).where(table.c.id.in_(page.scalar_subquery())).order_by(*order)
            )

        def count() -> sa.Select[Any]:
            table = sa.table(c.name, *(sa.column(f.name) for f in c.fields))
            return sa.select(sa.func.count()).select_from(table).where(*self._where(q, table))

        items_sql = self._cache.get(key, items)
        count_sql = self._cache.get((*key, "count"), count) if q.with_total else None
        return items_sql, count_sql

    def params(self, q: RecordQuery) -> dict[str, Any]:
        values: dict[str, Any] = dict(q.bind)
        if q.ids is not None:
            if len(q.ids) == 1:
                values["__id"] = q.ids[0]
            else:
                values["__ids"] = json.dumps(list(q.ids))
        if q.referencing is not None:
            values["__refs"] = json.dumps(list(q.referencing[1]))
        if q.limit is not None and _ids_kind(q) != "one":
            values["__offset"] = q.offset
        return values
