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
    "ROW",
    "ChangedRef",
    "ColumnRef",
    "FilterPlan",
    "FuncRef",
    "Hop",
    "Origin",
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
    """One step along a relation: from ``collection`` through its relation ``field`` to
    ``target``; a ``back`` hop goes the other way, to the ``target`` records whose relation
    ``field`` points at the current one (``comments_via_post``)."""

    collection: Collection
    field: Field
    target: Collection
    back: bool = False

    @property
    def multiple(self) -> bool:
        return self.back or self.field.is_multiple


@dataclass(frozen=True, slots=True)
class Origin:
    """Where a path starts: the record under test (``row``), every record of another
    collection (``collection``, ``@collection.name:alias``) or the caller's auth record
    (``auth``, whose id is bound as ``param``)."""

    kind: str
    collection: Collection | None = None
    alias: str = ""
    param: str = ""

    @property
    def key(self) -> tuple[str, ...]:
        name = self.collection.id if self.collection is not None else ""
        return (self.kind, name, self.alias)


ROW = Origin("row")


@dataclass(frozen=True, slots=True)
class ColumnRef:
    """A field of the root collection, or of a related one reached through ``hops``."""

    hops: tuple[Hop, ...]
    collection: Collection
    field: Field
    modifier: str = ""
    json_path: tuple[str, ...] = ()  # keys inside a json field: ``meta.a.b``
    origin: Origin = ROW
    guard: bool = False  # an email that takes part in comparisons only where it is shown

    @property
    def through_many(self) -> bool:
        return self.origin.kind == "collection" or any(h.multiple for h in self.hops)

    @property
    def joined(self) -> bool:
        """Whether the value lives outside the row under test (or in its list items)."""
        return bool(self.hops) or self.each or self.origin.kind != "row"

    @property
    def each(self) -> bool:
        return self.modifier == "each" and self.field.is_multiple


@dataclass(frozen=True, slots=True)
class ParamRef:
    """A value known only per request (``@request.*``, ``@now``), bound by name."""

    name: str
    modifier: str = ""
    nullable: bool = False  # a body key the request may leave out binds NULL


@dataclass(frozen=True, slots=True)
class Value:
    value: Any


@dataclass(frozen=True, slots=True)
class ChangedRef:
    """``@request.body.field:changed``: the body sets the field to another value than the
    stored one."""

    isset: ParamRef
    value: ParamRef
    column: ColumnRef


@dataclass(frozen=True, slots=True)
class FuncRef:
    name: str  # geoDistance | strftime
    args: tuple[ColumnRef | ParamRef | Value, ...]


Resolved = ColumnRef | ParamRef | Value | ChangedRef | FuncRef


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
