"""Compile filter, rule and sort expressions for a collection."""

from __future__ import annotations

from backroom.core.collections.model import Collection, Schema
from backroom.core.rules.ast import And, Compare, Expr, Identifier, Operand, Or
from backroom.core.rules.errors import FilterError
from backroom.core.rules.parser import parse
from backroom.core.rules.plan import (
    FilterPlan,
    Resolved,
    ResolvedCompare,
    ResolvedExpr,
    SortItem,
    SortPlan,
)
from backroom.core.rules.resolver import Resolver

__all__ = ["MAX_SORT_EXPRESSIONS", "compile_filter", "compile_sort"]

MAX_SORT_EXPRESSIONS = 8
_SORT_LIMIT = 1000


def _operand(resolver: Resolver, op: Operand) -> Resolved:
    return resolver.resolve(op)


def _resolve(resolver: Resolver, expr: Expr) -> ResolvedCompare | ResolvedExpr:
    if isinstance(expr, Compare):
        return ResolvedCompare(
            expr.op, _operand(resolver, expr.left), _operand(resolver, expr.right)
        )
    kind = "and" if isinstance(expr, And) else "or"
    assert isinstance(expr, And | Or)
    return ResolvedExpr(kind, tuple(_resolve(resolver, e) for e in expr.items))


def compile_filter(
    source: str,
    collection: Collection,
    schema: Schema,
    *,
    superuser: bool,
    auth: Collection | None = None,
) -> FilterPlan:
    """Parse and resolve ``source``; raises FilterError (a 400) when it is invalid.
    ``auth`` is the caller's auth collection, for paths such as ``@request.auth.team.name``."""
    resolver = Resolver(collection, schema, superuser, source, auth)
    expr = _resolve(resolver, parse(source))
    key = source if auth is None else f"{source}\x00{auth.id}:{auth.version}"
    return FilterPlan(expr, key, resolver.params)


def compile_sort(
    source: str, collection: Collection, schema: Schema, *, superuser: bool
) -> SortPlan:
    if len(source) > _SORT_LIMIT:
        raise FilterError("the sort expression is too long")
    resolver = Resolver(collection, schema, superuser, source)
    items: list[SortItem] = []
    parts = [p.strip() for p in source.split(",") if p.strip()]
    if len(parts) > MAX_SORT_EXPRESSIONS:
        raise FilterError(f"more than {MAX_SORT_EXPRESSIONS} sort expressions")
    for part in parts:
        descending = part.startswith("-")
        name = part.lstrip("+-")
        if name in ("@random", "@rowid"):
            items.append(SortItem(None, name[1:], descending))
            continue
        ident = parse_identifier(name)
        ref = resolver.field_path(ident.path, ident.modifier)
        if ref.through_many:
            raise FilterError(f"cannot sort by the multiple relation path {name!r}")
        items.append(SortItem(ref, "", descending))
    return SortPlan(items, source)


def parse_identifier(name: str) -> Identifier:
    expr = parse(f"{name} = 0")
    if not isinstance(expr, Compare) or not isinstance(expr.left, Identifier):
        raise FilterError(f"invalid sort field {name!r}")
    if expr.left.path[0].startswith("@"):
        raise FilterError(f"invalid sort field {name!r}")
    return expr.left
