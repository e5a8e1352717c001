"""A compiled filter: every name resolved to a row source and a column, ready to render as SQL.

Row sources form a tree rooted at the record being filtered. A source that can yield several
rows per record (a ``json_each`` over a multi-valued field, a whole other collection, a
back-relation, or anything below one) is *multi*: as in PocketBase, every reference to the
same source in one filter (and in a rule combined with it) sees the same joined row, and a
plain operator on a multi operand also requires every item to match.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum
from typing import Any

from backroom.core.collections.model import Collection
from backroom.core.context import RequestContext

__all__ = [
    "AllOf",
    "AnyOf",
    "Check",
    "Column",
    "Condition",
    "Const",
    "FilterPlan",
    "Operand",
    "Param",
    "ParamSource",
    "SortItem",
    "SortPlan",
    "Source",
    "SourceKind",
]

ParamSource = Callable[[RequestContext, datetime], Any]


class SourceKind(Enum):
    ROOT = "root"  # the record itself
    RELATION = "relation"  # the record a relation id points to
    EACH = "each"  # one item of a multi-valued field (or of a list parameter)
    COLLECTION = "collection"  # any record of another collection (@collection.name)
    AUTH = "auth"  # the authenticated record (@request.auth.<relation>...)
    BACK = "back"  # a record whose relation points back here (comments_via_post)


@dataclass(frozen=True, slots=True, eq=False)
class Source:
    """A row source; ``key`` is structural, so equal paths in two plans share one join."""

    key: str
    kind: SourceKind
    parent: Source | None = None
    collection: Collection | None = None  # the rows' collection; None for EACH
    column: str = ""  # RELATION/EACH: the parent's column; BACK: the child's relation column
    multiple: bool = False  # BACK: whether the child's relation column holds a list
    param: str = ""  # EACH over a list parameter, or AUTH: the bind name of the value / id

    @property
    def multi(self) -> bool:
        if self.kind in (SourceKind.EACH, SourceKind.COLLECTION, SourceKind.BACK):
            return True
        return self.parent is not None and self.parent.multi

    def chain(self) -> list[Source]:
        """The sources from the top (root, auth or collection) down to this one."""
        out: list[Source] = []
        node: Source | None = self
        while node is not None:
            out.append(node)
            node = node.parent
        return out[::-1]


@dataclass(frozen=True, slots=True)
class Column:
    """A value read from a row source: a column, a json path in it, or a json_each item."""

    source: Source
    name: str | None  # None: the item of an EACH source
    json_path: tuple[str, ...] | None = None  # set for json fields: keys inside the value
    modifier: str = ""  # "" | "lower" | "length"
    guard: str = ""  # a boolean column of the same row that must be true (emailVisibility)
    nullable: bool = True

    @property
    def multi(self) -> bool:
        return self.source.multi

    @property
    def no_coalesce(self) -> bool:
        """Compared with IS / IS NOT, as PocketBase does for json values."""
        return self.json_path is not None


@dataclass(frozen=True, slots=True)
class Param:
    """A value known only per request (``@request.*``, ``@now``), bound by name."""

    name: str
    lower: bool = False


@dataclass(frozen=True, slots=True)
class Const:
    value: Any  # str | float | int | None


Operand = Column | Param | Const


@dataclass(frozen=True, slots=True)
class Check:
    op: str  # = != > >= < <= ~ !~
    any_of: bool  # the ?-form: one matching item is enough
    left: Operand
    right: Operand


@dataclass(frozen=True, slots=True)
class AllOf:
    items: tuple[Condition, ...]


@dataclass(frozen=True, slots=True)
class AnyOf:
    items: tuple[Condition, ...]


Condition = Check | AllOf | AnyOf


@dataclass
class FilterPlan:
    """A compiled filter or rule for one collection.

    ``cache_key`` identifies the rendered SQL (same key, same SQL text); ``bind_values``
    gives the per-request values of its named bind parameters.
    """

    condition: Condition
    collection: Collection
    source: str
    cache_key: tuple[Any, ...]
    params: dict[str, ParamSource] = field(default_factory=dict)

    def bind_values(self, ctx: RequestContext, now: datetime) -> dict[str, Any]:
        return {name: get(ctx, now) for name, get in self.params.items()}


@dataclass(frozen=True, slots=True)
class SortItem:
    column: Column | None  # None for @random and @rowid
    special: str = ""  # random | rowid
    descending: bool = False


@dataclass
class SortPlan:
    items: list[SortItem]
    collection: Collection
    source: str
    cache_key: tuple[Any, ...]
