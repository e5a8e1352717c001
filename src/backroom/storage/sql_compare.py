"""One comparison between two rendered operands, with PocketBase's rules for empty values,
``~`` patterns and json values."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.sql.elements import BindParameter, ColumnElement

from backroom.core.rules.plan import ColumnRef, ParamRef, Resolved, Value

__all__ = ["MIRROR", "condition", "is_json", "never_null"]

MIRROR = {"=": "=", "!=": "!=", ">": "<", ">=": "<=", "<": ">", "<=": ">=", "~": "~", "!~": "!~"}


def never_null(op: Resolved) -> bool:
    """Whether an operand's SQL value can never be NULL: literals, bound request values and
    the NOT NULL columns of the row itself or of an inner-joined ``@collection`` record."""
    if isinstance(op, Value):
        return op.value is not None
    if isinstance(op, ParamRef):
        return op.modifier != "each" and not op.nullable  # missing query values bind ""
    if not isinstance(op, ColumnRef):
        return False
    other_collection = op.origin.kind == "collection" and not op.hops and not op.each
    return (
        (not op.joined or other_collection)
        and not op.guard
        and not op.json_path
        and op.modifier in ("", "lower")
        and op.field.type != "json"
        and op.field.column.default is not None
    )


def is_json(op: Resolved) -> bool:
    return isinstance(op, ColumnRef) and op.field.type == "json" and not op.modifier


def like_pattern(right: ColumnElement[Any]) -> ColumnElement[Any]:
    """``%value%`` with ``_`` and ``\\`` escaped, or the value as given when it has a ``%``."""
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


def condition(
    left: ColumnElement[Any],
    op: str,
    right: ColumnElement[Any] | None,
    exact: bool = False,
    right_never_null: bool = False,
) -> ColumnElement[bool]:
    """``left op right``, ``right`` None for the null literal.

    ``exact`` (a json operand) compares with IS, so a missing key is null and not the empty
    string, as PocketBase compares json values. Otherwise a missing value equals ``""``;
    when the right side can never be NULL, equality is written so an index on ``left`` can
    serve it."""
    if exact and op in ("=", "!="):
        other: Any = sa.null() if right is None else right
        return left.is_(other) if op == "=" else left.is_not(other)
    if right is None:
        # null is the empty string, as in PocketBase; an empty list ("[]") is not null.
        if op in ("=", "!="):
            empty = sa.func.coalesce(left, "") == ""
            return empty if op == "=" else sa.not_(empty)
        return sa.false()
    if op == "=" and right_never_null:
        return sa.or_(left == right, sa.and_(left.is_(None), right == ""))
    if op in ("=", "!="):
        eq = sa.func.coalesce(left, "") == sa.func.coalesce(right, "")
        return eq if op == "=" else sa.not_(eq)
    if op == "~":
        return left.like(like_pattern(right), escape="\\")
    if op == "!~":
        # a missing value (an empty relation) matches neither ~ nor !~, as in PocketBase
        return sa.not_(left.like(like_pattern(right), escape="\\"))
    return {
        ">": left > right,
        ">=": left >= right,
        "<": left < right,
        "<=": left <= right,
    }[op]
