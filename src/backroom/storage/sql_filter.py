"""Render compiled filters, rules and sorts as SQLAlchemy Core clauses.

Every value is a bind parameter and every identifier is quoted by SQLAlchemy, so no part of a
client's expression becomes SQL text.

Conditions on the row's own columns are rendered directly, so an index on the column can serve
them. The parts of a top-level ``&&`` that leave the row (relations, back-relations, list items,
``@collection``, the auth record's relations, body lists) go together into one EXISTS over
shared LEFT JOINs (see ``sql_paths``): a ``?`` comparison holds for some joined row, a plain
comparison on a multi-valued path must also hold for every value.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.sql.elements import ColumnElement

from backroom.core.collections.model import Collection
from backroom.core.rules.errors import FilterError
from backroom.core.rules.plan import (
    ChangedRef,
    ColumnRef,
    FilterPlan,
    FuncRef,
    ParamRef,
    Resolved,
    ResolvedCompare,
    ResolvedExpr,
    SortPlan,
    Value,
)
from backroom.storage.sql_compare import MIRROR, condition, is_json, never_null
from backroom.storage.sql_paths import (
    Aliases,
    JoinScope,
    ValueSet,
    guarded,
    independent_set,
    json_path,
)

__all__ = ["render_order_by", "render_where"]

Node = ResolvedCompare | ResolvedExpr


def _multi(op: Resolved) -> bool:
    if isinstance(op, ParamRef):
        return op.modifier == "each"
    return isinstance(op, ColumnRef) and (op.through_many or op.each)


def _joined(op: Resolved) -> bool:
    if isinstance(op, FuncRef):
        return any(_joined(a) for a in op.args)
    return _multi(op) or (isinstance(op, ColumnRef) and op.joined)


def _needs_scope(node: Node) -> bool:
    if isinstance(node, ResolvedCompare):
        return _joined(node.left) or _joined(node.right)
    return any(_needs_scope(item) for item in node.items)


class _Renderer:
    def __init__(self, root: Any) -> None:
        self.root = root
        self.alias = Aliases("f")
        self.scope: JoinScope | None = None

    def operand(self, op: Resolved) -> ColumnElement[Any] | None:
        if isinstance(op, Value):
            return None if op.value is None else sa.literal(op.value)
        if isinstance(op, ParamRef):
            if op.modifier == "each":
                assert self.scope is not None
                return self.scope.param_items(op)
            param: ColumnElement[Any] = sa.bindparam(op.name)
            return sa.func.lower(param) if op.modifier == "lower" else param
        if isinstance(op, ChangedRef):
            column = self.root.c[op.column.field.name]
            differs = sa.func.coalesce(column, "") != sa.func.coalesce(
                sa.bindparam(op.value.name), ""
            )
            return sa.case((sa.and_(sa.bindparam(op.isset.name), differs), 1), else_=0)
        if isinstance(op, FuncRef):
            args = [self.operand(a) for a in op.args]
            values = [sa.null() if a is None else a for a in args]
            if op.name == "geoDistance":
                return sa.func.geo_distance(*values)
            return sa.func.strftime(*values)
        if op.joined:
            assert self.scope is not None
            return self.scope.column(op)
        col: ColumnElement[Any] = guarded(op, self.root, self.root.c[op.field.name])
        if op.json_path:
            col = sa.func.json_extract(col, json_path(op.json_path))
        if op.modifier == "lower":
            return sa.func.lower(col)
        if op.modifier == "length":
            lists = op.field.is_multiple or op.field.type == "json"
            return sa.func.json_array_length(col) if lists else sa.func.length(col)
        return col

    def compare(self, node: ResolvedCompare) -> ColumnElement[bool]:
        cond = self._compare(node)
        # a hidden email takes part in no comparison at all, as in PocketBase
        for ref in (node.left, node.right):
            if isinstance(ref, ColumnRef) and ref.guard:
                shown = self.operand(ref)
                assert shown is not None
                cond = sa.and_(cond, shown.is_not(None))
        return cond

    def _compare(self, node: ResolvedCompare) -> ColumnElement[bool]:
        any_of = node.op.startswith("?")
        op = node.op.lstrip("?")
        lref, rref = node.left, node.right
        if isinstance(lref, Value) and lref.value is None and not isinstance(rref, Value):
            lref, rref, op = rref, lref, MIRROR[op]
        exact = is_json(lref) or is_json(rref)
        left, right = self.operand(lref), self.operand(rref)
        if left is None:  # null against null or a literal: null is the empty text
            other = rref.value if isinstance(rref, Value) else None
            empty = other is None or other == ""
            if op in ("=", "!="):
                return sa.true() if empty == (op == "=") else sa.false()
            return sa.true() if op == "~" and right is None else sa.false()
        if op in ("=", "!=") and never_null(lref) and never_null(rref):
            # A plain comparison keeps SQLite's column affinity (views = '10' matches 10,
            # as in PocketBase) and lets an index on the column serve it.
            assert right is not None
            cond = left == right if op == "=" else left != right
        else:
            cond = condition(left, op, right, exact, never_null(rref))
        multi = [ref for ref in (lref, rref) if _multi(ref)]
        if any_of or not multi:
            return cond
        if len(multi) == 2:
            raise FilterError("a plain operator cannot compare two multi-valued operands")
        # every value must satisfy it: no value of that path, on its own, may fail it
        ref = multi[0]
        assert isinstance(ref, ColumnRef | ParamRef)
        values = independent_set(self.root, ref, self.alias)
        other = right if ref is lref else left
        if ref is lref:
            each = condition(values.value, op, other, exact, never_null(rref))
        else:
            each = condition(other, MIRROR[op], values.value, exact, False)  # type: ignore[arg-type]
        return sa.and_(cond, sa.not_(values.exists(sa.not_(sa.func.coalesce(each, 0) == 1))))

    def expr(self, node: Node) -> ColumnElement[bool]:
        if isinstance(node, ResolvedCompare):
            return self.compare(node)
        parts = [self.expr(item) for item in node.items]
        return sa.and_(*parts) if node.kind == "and" else sa.or_(*parts)

    def where(self, node: Node) -> ColumnElement[bool]:
        """The row's own conditions directly; the rest in one EXISTS over shared joins."""
        items = (
            list(node.items) if isinstance(node, ResolvedExpr) and node.kind == "and" else [node]
        )
        direct = [self.expr(item) for item in items if not _needs_scope(item)]
        joined = [item for item in items if _needs_scope(item)]
        if joined:
            self.scope = JoinScope(self.root, self.alias)
            inner = sa.and_(*(self.expr(item) for item in joined))
            direct.append(self.scope.exists(inner))
            self.scope = None
        return direct[0] if len(direct) == 1 else sa.and_(*direct)


def render_where(plan: FilterPlan, collection: Collection, table: Any) -> ColumnElement[bool]:
    return _Renderer(table).where(plan.expr)


def render_order_by(plan: SortPlan, collection: Collection, table: Any) -> list[Any]:
    renderer = _Renderer(table)
    out: list[Any] = []
    for item in plan.items:
        if item.special == "random":
            out.append(sa.func.random())
            continue
        if item.special == "rowid":
            col: Any = sa.literal_column("_rowid_")
        else:
            assert item.ref is not None
            col = _sort_column(renderer, item.ref)
        out.append(col.desc() if item.descending else col.asc())
    return out


def _sort_column(renderer: _Renderer, ref: ColumnRef) -> ColumnElement[Any]:
    if not ref.joined:
        col = renderer.operand(ref)
        assert col is not None
        return col
    if _multi(ref):
        raise FilterError("cannot sort by a multi-valued path")
    values: ValueSet = independent_set(renderer.root, ref, renderer.alias)
    sub = sa.select(values.value).select_from(*values.froms).where(*values.conds)
    return sub.correlate(renderer.root).limit(1).scalar_subquery()
