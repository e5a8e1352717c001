"""Record statements and row codecs, built per collection version and cached."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import sqlalchemy as sa

from backroom.core.collections.model import Collection
from backroom.core.fields.base import Field
from backroom.storage.sql.compiled import CompiledSQL, StatementCache

__all__ = ["RecordStatements", "decode_row", "encode_record"]

Decoder = Callable[[Any], Any]


def _table(c: Collection) -> sa.TableClause:
    return sa.table(c.name, *(sa.column(f.name) for f in c.fields))


def encode_record(c: Collection, record: dict[str, Any]) -> dict[str, Any]:
    return {f.name: f.to_db(record.get(f.name, f.zero())) for f in c.fields}


_decoders: dict[tuple[str, int], list[tuple[int, str, Decoder | None]]] = {}


def _decoder_plan(c: Collection) -> list[tuple[int, str, Decoder | None]]:
    key = (c.id, c.version)
    plan = _decoders.get(key)
    if plan is None:
        plan = []
        for i, f in enumerate(c.fields):
            identity = type(f).from_db is Field.from_db
            plan.append((i, f.name, None if identity else f.from_db))
        _decoders[key] = plan
    return plan


def decode_row(c: Collection, row: Sequence[Any]) -> dict[str, Any]:
    """A row selected with every field, in field order, as canonical values."""
    out: dict[str, Any] = {}
    for i, name, dec in _decoder_plan(c):
        out[name] = row[i] if dec is None else dec(row[i])
    return out


class RecordStatements:
    """The CRUD statements of one collection version."""

    def __init__(self, cache: StatementCache) -> None:
        self._cache = cache

    def _key(self, c: Collection, what: str, *extra: Any) -> tuple[Any, ...]:
        return (c.id, c.version, what, *extra)

    @staticmethod
    def select_columns(c: Collection, t: sa.TableClause) -> list[sa.ColumnClause[Any]]:
        return [t.c[f.name] for f in c.fields]

    def insert(self, c: Collection) -> CompiledSQL:
        def build() -> sa.Insert:
            t = _table(c)
            return sa.insert(t).values({f.name: sa.bindparam(f.name) for f in c.fields})

        return self._cache.get(self._key(c, "insert"), build)

    def update(self, c: Collection) -> CompiledSQL:
        def build() -> sa.Update:
            t = _table(c)
            values: dict[str, Any] = {
                f.name: sa.bindparam(f.name) for f in c.fields if f.name != "id"
            }
            values["id"] = sa.bindparam("new_id")
            return sa.update(t).where(t.c.id == sa.bindparam("old_id")).values(values)

        return self._cache.get(self._key(c, "update"), build)

    def delete(self, c: Collection) -> CompiledSQL:
        def build() -> sa.Delete:
            t = _table(c)
            return sa.delete(t).where(t.c.id == sa.bindparam("id"))

        return self._cache.get(self._key(c, "delete"), build)

    def by_id(self, c: Collection) -> CompiledSQL:
        def build() -> sa.Select[Any]:
            t = _table(c)
            return sa.select(*self.select_columns(c, t)).where(t.c.id == sa.bindparam("id"))

        return self._cache.get(self._key(c, "by_id"), build)

    def by_ids(self, c: Collection) -> CompiledSQL:
        def build() -> sa.Select[Any]:
            t = _table(c)
            ids: sa.Select[Any] = sa.select(sa.column("value")).select_from(
                sa.func.json_each(sa.bindparam("ids"))
            )
            return sa.select(*self.select_columns(c, t)).where(t.c.id.in_(ids.scalar_subquery()))

        return self._cache.get(self._key(c, "by_ids"), build)

    def by_field(self, c: Collection, name: str) -> CompiledSQL:
        def build() -> sa.Select[Any]:
            t = _table(c)
            return (
                sa.select(*self.select_columns(c, t))
                .where(t.c[name] == sa.bindparam("value"))
                .limit(1)
            )

        return self._cache.get(self._key(c, "by_field", name), build)

    def by_fields(self, c: Collection, names: tuple[str, ...]) -> CompiledSQL:
        """Every record whose fields ``names`` equal the parameters ``eq_0``, ``eq_1``, ..."""

        def build() -> sa.Select[Any]:
            t = _table(c)
            conds = [t.c[name] == sa.bindparam(f"eq_{i}") for i, name in enumerate(names)]
            return sa.select(*self.select_columns(c, t)).where(sa.and_(*conds))

        return self._cache.get(self._key(c, "by_fields", names), build)

    def referencing(self, c: Collection, f: Field) -> CompiledSQL:
        def build() -> sa.Select[Any]:
            t = _table(c)
            col = t.c[f.name]
            if f.is_multiple:
                item = sa.select(sa.literal(1)).select_from(sa.func.json_each(col))
                cond: sa.ColumnElement[bool] = sa.exists(
                    item.where(sa.column("value") == sa.bindparam("id"))
                )
            else:
                cond = col == sa.bindparam("id")
            return sa.select(*self.select_columns(c, t)).where(cond)

        return self._cache.get(self._key(c, "referencing", f.id), build)

    def count(self, c: Collection) -> CompiledSQL:
        def build() -> sa.Select[Any]:
            return sa.select(sa.func.count()).select_from(_table(c))

        return self._cache.get(self._key(c, "count"), build)
