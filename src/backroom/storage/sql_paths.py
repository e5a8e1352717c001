"""Paths out of the row under test: relations, back-relations, list items, other collections
and the caller's auth record, rendered two ways.

- ``JoinScope``: the LEFT JOINs one expression shares, as PocketBase joins them. Every
  reference to the same path is the same join, so ``@collection.members.user ?= @request.auth.id
  && @collection.members.group ?= group`` talks about one membership record. An empty set
  yields one row of NULLs.
- ``independent_set``: the values of one path on their own (inner joins), for "every item"
  checks and for sorting.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.sql.elements import ColumnElement

from backroom.core.collections.model import Collection
from backroom.core.rules.plan import ColumnRef, Hop, ParamRef

__all__ = [
    "Aliases",
    "JoinScope",
    "ValueSet",
    "guarded",
    "independent_set",
    "json_path",
    "table_of",
]


def table_of(c: Collection, alias: str) -> Any:
    return sa.table(c.name, *(sa.column(f.name) for f in c.fields)).alias(alias)


def json_path(keys: tuple[str, ...]) -> str:
    return "$" + "".join(f"[{k}]" if k.isdigit() else f".{k}" for k in keys)


def _items(value: ColumnElement[Any], alias: str) -> Any:
    return sa.func.json_each(value).table_valued("value").alias(alias)


def _back_condition(hop: Hop, source: Any, target: Any, alias: str) -> ColumnElement[bool]:
    """``target`` records whose relation field points at the ``source`` record."""
    ref: ColumnElement[Any] = target.c[hop.field.name]
    if not hop.field.is_multiple:
        same: ColumnElement[bool] = ref == source.c.id
        return same
    items = _items(ref, alias)
    return sa.exists(
        sa.select(sa.literal(1)).select_from(items).where(items.c.value == source.c.id)
    )


def guarded(ref: ColumnRef, table: Any, col: ColumnElement[Any]) -> ColumnElement[Any]:
    """An auth record's email as filters may see it: NULL unless its owner shows it (even
    the owner's own filter, as in PocketBase)."""
    if not ref.guard:
        return col
    return sa.case((table.c.emailVisibility == 1, col), else_=sa.null())


def _lengthen(ref: ColumnRef, col: ColumnElement[Any]) -> ColumnElement[Any]:
    if ref.modifier == "lower":
        return sa.func.lower(col)
    if ref.modifier == "length" and not ref.each:
        lists = ref.field.is_multiple or ref.field.type == "json"
        return sa.func.json_array_length(col) if lists else sa.func.length(col)
    return col


class ValueSet:
    """The values a multi-valued operand takes for one root row: ``SELECT value FROM ...``."""

    def __init__(
        self, root: Any, value: ColumnElement[Any], froms: list[Any], conds: list[Any]
    ) -> None:
        self.root = root
        self.value = value
        self.froms = froms
        self.conds = conds

    def exists(self, cond: ColumnElement[bool] | None = None) -> ColumnElement[bool]:
        conds = [*self.conds] if cond is None else [*self.conds, cond]
        select = sa.select(sa.literal(1)).select_from(*self.froms).where(*conds)
        return sa.exists(select.correlate(self.root))


class Aliases:
    def __init__(self, prefix: str) -> None:
        self.prefix = prefix
        self.n = 0

    def __call__(self, kind: str) -> str:
        self.n += 1
        return f"__{self.prefix}{kind}{self.n}"


def independent_set(root: Any, ref: ColumnRef | ParamRef, alias: Aliases) -> ValueSet:
    """The values of ``ref`` through inner joins of its own."""
    if isinstance(ref, ParamRef):
        items = _items(sa.bindparam(ref.name), alias("b"))
        return ValueSet(root, items.c.value, [items], [])
    froms: list[Any] = []
    conds: list[Any] = []
    current: Any = root
    if ref.origin.kind != "row":
        assert ref.origin.collection is not None
        current = table_of(ref.origin.collection, alias("o"))
        froms.append(current)
        if ref.origin.kind == "auth":
            conds.append(current.c.id == sa.bindparam(ref.origin.param))
    for hop in ref.hops:
        target = table_of(hop.target, alias("r"))
        if hop.back:
            conds.append(_back_condition(hop, current, target, alias("v")))
        elif hop.field.is_multiple:
            items = _items(current.c[hop.field.name], alias("j"))
            froms.append(items)
            conds.append(target.c.id == items.c.value)
        else:
            conds.append(target.c.id == current.c[hop.field.name])
        froms.append(target)
        current = target
    col: ColumnElement[Any] = guarded(ref, current, current.c[ref.field.name])
    if ref.json_path:
        col = sa.func.json_extract(col, json_path(ref.json_path))
    if ref.each:
        items = _items(col, alias("e"))
        froms.append(items)
        col = items.c.value
    return ValueSet(root, _lengthen(ref, col), froms, conds)


class JoinScope:
    """LEFT JOINs from a one-row base, shared by every reference to the same path."""

    def __init__(self, root: Any, alias: Aliases) -> None:
        self.root = root
        self._alias = alias
        self.joined: Any = sa.select(sa.literal(1).label("one")).subquery(alias("one"))
        self._tables: dict[tuple[Any, ...], Any] = {}

    def _join(self, key: tuple[Any, ...], make: Any, inner: bool = False) -> Any:
        found = self._tables.get(key)
        if found is None:
            found, on = make()
            join = self.joined.join if inner else self.joined.outerjoin
            self.joined = join(found, on)
            self._tables[key] = found
        return found

    def param_items(self, ref: ParamRef) -> ColumnElement[Any]:
        def make() -> tuple[Any, Any]:
            return _items(sa.bindparam(ref.name), self._alias("b")), sa.true()

        return self._join(("body", ref.name), make).c.value  # type: ignore[no-any-return]

    def column(self, ref: ColumnRef) -> ColumnElement[Any]:
        key: tuple[Any, ...] = ref.origin.key
        current: Any = self.root
        if ref.origin.kind != "row":
            origin = ref.origin
            assert origin.collection is not None

            def make_origin() -> tuple[Any, Any]:
                t = table_of(origin.collection, self._alias("o"))  # type: ignore[arg-type]
                on = t.c.id == sa.bindparam(origin.param) if origin.kind == "auth" else sa.true()
                return t, on

            # another collection's records are joined as they are: an empty collection
            # matches nothing, and an index on the compared column can serve the join
            current = self._join(key, make_origin, inner=origin.kind == "collection")
        for hop in ref.hops:
            key = (*key, hop.field.name, hop.target.id, hop.back)
            current = self._hop(key, hop, current)
        col: ColumnElement[Any] = guarded(ref, current, current.c[ref.field.name])
        if ref.json_path:
            col = sa.func.json_extract(col, json_path(ref.json_path))
        if ref.each:
            items_key = (*key, ref.field.name, ref.json_path, "each")
            source = col

            def make_items() -> tuple[Any, Any]:
                return _items(source, self._alias("e")), sa.true()

            col = self._join(items_key, make_items).c.value
        return _lengthen(ref, col)

    def _hop(self, key: tuple[Any, ...], hop: Hop, current: Any) -> Any:
        if hop.back:

            def make_back() -> tuple[Any, Any]:
                t = table_of(hop.target, self._alias("r"))
                return t, _back_condition(hop, current, t, self._alias("v"))

            return self._join(key, make_back)
        if hop.field.is_multiple:

            def make_items() -> tuple[Any, Any]:
                return _items(current.c[hop.field.name], self._alias("j")), sa.true()

            items = self._join((*key, "items"), make_items)

            def make_target() -> tuple[Any, Any]:
                t = table_of(hop.target, self._alias("r"))
                return t, t.c.id == items.c.value

            return self._join(key, make_target)

        def make_single() -> tuple[Any, Any]:
            t = table_of(hop.target, self._alias("r"))
            return t, t.c.id == current.c[hop.field.name]

        return self._join(key, make_single)

    def exists(self, cond: ColumnElement[bool]) -> ColumnElement[bool]:
        select = sa.select(sa.literal(1)).select_from(self.joined).where(cond)
        return sa.exists(select.correlate(self.root))
