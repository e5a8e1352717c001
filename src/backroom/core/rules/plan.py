"""A compiled filter: the expression with every identifier resolved, ready to render as SQL."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from backroom.core.collections.model import Collection
from backroom.core.context import RequestContext
from backroom.core.fields.base import Field

__all__ = [
    "ColumnRef",
    "FilterPlan",
    "Hop",
    "ParamRef",
    "Resolved",
    "ResolvedCompare",
    "ResolvedExpr",
    "SortItem",
    "SortPlan",
    "Value",
]

ParamSource = Callable[[RequestContext, datetime], Any]


@dataclass(frozen=True, slots=True)
class Hop:
    """One step along a relation: from ``collection`` through its relation ``field``."""

    collection: Collection
    field: Field
    target: Collection


@dataclass(frozen=True, slots=True)
class ColumnRef:
    """A field of the root collection, or of a related one reached through ``hops``."""

    hops: tuple[Hop, ...]
    collection: Collection
    field: Field
    modifier: str = ""
    json_path: tuple[str, ...] = ()  # keys inside a json field: ``meta.a.b``

    @property
    def through_many(self) -> bool:
        return any(h.field.is_multiple for h in self.hops)

    @property
    def each(self) -> bool:
        return self.modifier == "each" and self.field.is_multiple


@dataclass(frozen=True, slots=True)
class ParamRef:
    """A value known only per request (``@request.*``, ``@now``), bound by name."""

    name: str
    modifier: str = ""


@dataclass(frozen=True, slots=True)
class Value:
    value: Any


Resolved = ColumnRef | ParamRef | Value


@dataclass(frozen=True, slots=True)
class ResolvedCompare:
    op: str
    left: Resolved
    right: Resolved


@dataclass(frozen=True, slots=True)
class ResolvedExpr:
    kind: str  # and | or
    items: tuple[ResolvedCompare | ResolvedExpr, ...]


@dataclass
class FilterPlan:
    expr: ResolvedCompare | ResolvedExpr
    cache_key: str
    params: dict[str, ParamSource] = field(default_factory=dict)

    def bind_values(self, ctx: RequestContext, now: datetime) -> dict[str, Any]:
        return {name: source(ctx, now) for name, source in self.params.items()}


@dataclass(frozen=True, slots=True)
class SortItem:
    ref: ColumnRef | None  # None for @random / @rowid
    special: str = ""  # random | rowid
    descending: bool = False


@dataclass
class SortPlan:
    items: list[SortItem]
    cache_key: str
