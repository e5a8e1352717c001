"""Render compiled filters, rules and sorts as SQLAlchemy Core clauses.

Every value is a bind parameter and every identifier is quoted by SQLAlchemy, so no part of a
client's expression becomes SQL text. Multi-valued operands (``:each``, paths through multiple
relations) become EXISTS subqueries: ``?op`` means any item matches, a plain ``op`` means every
item matches (and there is at least one). An empty set compares as a single missing value.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.sql.elements import BindParameter, ColumnElement

from backroom.core.collections.model import Collection
from backroom.core.rules.errors import FilterError
from backroom.core.rules.plan import (
    ColumnRef,
    FilterPlan,
    ParamRef,
    Resolved,
    ResolvedCompare,
    ResolvedExpr,
    SortPlan,
    Value,
)

__all__ = ["render_order_by", "render_where"]

_MIRROR = {"=": "=", "!=": "!=", ">": "<", ">=": "<=", "<": ">", "<=": ">=", "~": "~", "!~": "!~"}


def _table(c: Collection, alias: str) -> Any:
    return sa.table(c.name, *(sa.column(f.name) for f in c.fields)).alias(alias)


class _Set:
    """The values a multi-valued operand takes for one root row: ``SELECT value FROM ...``."""

    def __init__(self, value: ColumnElement[Any], froms: list[Any], conds: list[Any]) -> None:
        self.value = value
        self.froms = froms
        self.conds = conds

    def exists(self, cond: ColumnElement[bool] | None = None) -> ColumnElement[bool]:
        conds = [*self.conds] if cond is None else [*self.conds, cond]
        return sa.exists(sa.select(sa.literal(1)).select_from(*self.froms).where(*conds))


class _Renderer:
    def __init__(self, root: Any) -> None:
        self.root = root
        self.n = 0

    def _alias(self, prefix: str) -> str:
        self.n += 1
        return f"__{prefix}{self.n}"

    def _walk(self, ref: ColumnRef) -> tuple[ColumnElement[Any], list[Any], list[Any]]:
        current: Any = self.root
        col: ColumnElement[Any] = (
            self.root.c[ref.hops[0].field.name] if ref.hops else self.root.c[ref.field.name]
        )
        froms: list[Any] = []
        conds: list[Any] = []
        for i, hop in enumerate(ref.hops):
            target = _table(hop.target, self._alias("r"))
            if hop.field.is_multiple:
                items = sa.func.json_each(col).table_valued("value").alias(self._alias("j"))
                froms.append(items)
                conds.append(target.c.id == items.c.value)
            else:
                conds.append(target.c.id == col)
            froms.append(target)
            current = target
            nxt = ref.hops[i + 1].field.name if i + 1 < len(ref.hops) else ref.field.name
            col = current.c[nxt]
        if ref.json_path:
            col = sa.func.json_extract(col, _json_path(ref.json_path))
        return col, froms, conds

    def operand(self, op: Resolved) -> ColumnElement[Any] | _Set | None:
        if isinstance(op, Value):
            return None if op.value is None else sa.literal(op.value)
        if isinstance(op, ParamRef):
            param: ColumnElement[Any] = sa.bindparam(op.name)
            return sa.func.lower(param) if op.modifier == "lower" else param
        col, froms, conds = self._walk(op)
        if op.each:
            items = sa.func.json_each(col).table_valued("value").alias(self._alias("e"))
            return _Set(self._modify(items.c.value, op.modifier), [*froms, items], conds)
        if op.modifier == "length":
            lists = op.field.is_multiple or op.field.type == "json"
            col = sa.func.json_array_length(col) if lists else sa.func.length(col)
        if op.through_many:
            return _Set(self._modify(col, op.modifier), froms, conds)
        if op.hops:
            sub = sa.select(self._modify(col, op.modifier)).select_from(*froms).where(*conds)
            # tied to the outer row even inside an EXISTS over another path's items
            return sub.limit(1).scalar_subquery().correlate_except(*froms)
        return self._modify(col, op.modifier)

    @staticmethod
    def _modify(col: ColumnElement[Any], modifier: str) -> ColumnElement[Any]:
        return sa.func.lower(col) if modifier == "lower" else col

    def compare(self, node: ResolvedCompare) -> ColumnElement[bool]:
        any_of = node.op.startswith("?")
        op = node.op.lstrip("?")
        exact = _is_json(node.left) or _is_json(node.right)
        left, right = self.operand(node.left), self.operand(node.right)
        if isinstance(right, _Set) and not isinstance(left, _Set):
            left, right, op = right, left, _MIRROR[op]
        if isinstance(right, _Set):
            raise FilterError("comparing two multi-valued operands is not supported")
        if isinstance(left, _Set):
            # An empty set counts as one missing value, as PocketBase's LEFT JOINs make it:
            # "= ''" and "!= 'x'" hold for it, any other comparison does not.
            cond = _condition(left.value, op, right, exact)
            when_empty = _condition(sa.null(), op, right, exact) if op in ("=", "!=") else None
            if any_of:
                if when_empty is None:
                    return left.exists(cond)
                return sa.or_(left.exists(cond), sa.and_(when_empty, sa.not_(left.exists())))
            every = sa.not_(left.exists(sa.not_(sa.func.coalesce(cond, 0) == 1)))
            if when_empty is None:
                return sa.and_(left.exists(), every)
            return sa.and_(every, sa.or_(left.exists(), when_empty))
        if left is None:
            if right is None:
                return sa.true() if op in ("=", "~") else sa.false()
            left, right, op = right, None, _MIRROR[op]
        if op in ("=", "!=") and _never_null(node.left) and _never_null(node.right):
            # A plain comparison keeps SQLite's column affinity (views = '10' matches 10,
            # as in PocketBase) and lets an index on the column serve it.
            return left == right if op == "=" else left != right
        return _condition(left, op, right, exact)

    def expr(self, node: ResolvedCompare | ResolvedExpr) -> ColumnElement[bool]:
        if isinstance(node, ResolvedCompare):
            return self.compare(node)
        parts = [self.expr(item) for item in node.items]
        return sa.and_(*parts) if node.kind == "and" else sa.or_(*parts)


def _json_path(keys: tuple[str, ...]) -> str:
    return "$" + "".join(f"[{k}]" if k.isdigit() else f".{k}" for k in keys)


def _like_pattern(right: ColumnElement[Any]) -> ColumnElement[Any]:
    value = getattr(right, "value", None)
    if isinstance(value, str):
        if "%" in value:
            return sa.literal(value)
        escaped = value.replace("\\", "\\\\").replace("_", "\\_")
        return sa.literal(f"%{escaped}%")
    text = sa.cast(right, sa.Text)
    if isinstance(right, BindParameter):
        # a request value, known only when bound: the same rule as for a literal, in SQL
        quoted = sa.func.replace(sa.func.replace(text, "\\", "\\\\"), "_", "\\_")
        wrapped = sa.literal("%") + quoted + sa.literal("%")
        return sa.case((sa.func.instr(text, "%") > 0, text), else_=wrapped)
    return sa.literal("%") + text + sa.literal("%")


def _never_null(op: Resolved) -> bool:
    """Whether an operand's SQL value can never be NULL: literals, bound request values and
    the root row's own NOT NULL columns."""
    if isinstance(op, Value):
        return op.value is not None
    if isinstance(op, ParamRef):
        return True  # request values bind "" when missing, never NULL
    return (
        not op.hops
        and not op.json_path
        and op.modifier in ("", "lower")
        and op.field.type != "json"
        and not op.each
        and op.field.column.default is not None
    )


def _is_json(op: Resolved) -> bool:
    return isinstance(op, ColumnRef) and op.field.type == "json" and not op.modifier


def _condition(
    left: ColumnElement[Any], op: str, right: ColumnElement[Any] | None, exact: bool = False
) -> ColumnElement[bool]:
    """``left op right``. ``exact`` (a json operand) compares with IS, so a missing key is
    null and not the empty string, as PocketBase compares json values."""
    if exact and op in ("=", "!="):
        other: Any = sa.null() if right is None else right
        return left.is_(other) if op == "=" else left.is_not(other)
    if right is None:
        # null is the empty string, as in PocketBase; an empty list ("[]") is not null.
        if op in ("=", "!="):
            empty = sa.func.coalesce(left, "") == ""
            return empty if op == "=" else sa.not_(empty)
        return sa.false()
    if op in ("=", "!="):
        eq = sa.func.coalesce(left, "") == sa.func.coalesce(right, "")
        return eq if op == "=" else sa.not_(eq)
    if op == "~":
        return left.like(_like_pattern(right), escape="\\")
    if op == "!~":
        # a missing value (an empty relation) matches neither ~ nor !~, as in PocketBase
        return sa.not_(left.like(_like_pattern(right), escape="\\"))
    return {
        ">": left > right,
        ">=": left >= right,
        "<": left < right,
        "<=": left <= right,
    }[op]


def render_where(plan: FilterPlan, collection: Collection, table: Any) -> ColumnElement[bool]:
    return _Renderer(table).expr(plan.expr)


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
            rendered = renderer.operand(item.ref)
            if isinstance(rendered, _Set) or rendered is None:
                raise FilterError("cannot sort by a multi-valued path")
            col = rendered
        out.append(col.desc() if item.descending else col.asc())
    return out
