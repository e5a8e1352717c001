"""Rules and client filters compiled once per collection version and reused."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Hashable, Sequence
from typing import Any, TypeVar

from backroom.core.clock import SystemClock
from backroom.core.collections.model import Collection, Schema
from backroom.core.context import RequestContext
from backroom.core.ports import RecordQuery, Storage
from backroom.core.rules import FilterError, compile_filter, compile_sort

__all__ = ["Access", "record_matches"]

T = TypeVar("T")


class _LRU:
    def __init__(self, size: int) -> None:
        self._size = size
        self._items: OrderedDict[Hashable, Any] = OrderedDict()

    def get(self, key: Hashable, build: Callable[[], T]) -> T:
        if key in self._items:
            self._items.move_to_end(key)
            value: T = self._items[key]
            return value
        value = build()
        self._items[key] = value
        if len(self._items) > self._size:
            self._items.popitem(last=False)
        return value


class Access:
    """The one place rules and filters are compiled; every path to a record goes through it."""

    def __init__(self, schema: Schema, clock: SystemClock | None = None) -> None:
        self._schema = schema
        self._clock = clock or SystemClock()
        self._cache = _LRU(4096)

    def _auth(self, ctx: RequestContext) -> tuple[Collection | None, Any]:
        auth = None if ctx.auth is None else self._schema.get(ctx.auth.collection_id)
        return auth, None if auth is None else (auth.id, auth.version)

    def rule(self, c: Collection, expr: str, ctx: RequestContext) -> Any:
        """A rule, compiled for the caller's auth collection (its relation paths differ)."""
        auth, auth_key = self._auth(ctx)
        key = ("rule", c.id, c.version, expr, auth_key)
        return self._cache.get(
            key, lambda: compile_filter(expr, c, self._schema, superuser=True, auth=auth)
        )

    def filter(self, c: Collection, expr: str, ctx: RequestContext) -> Any:
        su = ctx.is_superuser
        auth, auth_key = self._auth(ctx)
        key = ("filter", c.id, c.version, expr, su, auth_key)
        return self._cache.get(
            key, lambda: compile_filter(expr, c, self._schema, superuser=su, auth=auth)
        )

    def sort(self, c: Collection, expr: str, ctx: RequestContext) -> Any:
        su = ctx.is_superuser
        key = ("sort", c.id, c.version, expr, su)
        return self._cache.get(key, lambda: compile_sort(expr, c, self._schema, superuser=su))

    def bind(self, plans: Sequence[Any], ctx: RequestContext) -> dict[str, Any]:
        values: dict[str, Any] = {}
        if not plans:
            return values
        now = self._clock.now_dt()
        for plan in plans:
            values.update(plan.bind_values(ctx, now))
        return values

    def check_rule(self, c: Collection, schema: Schema, expr: str) -> str | None:
        """For collection validation: the compile error of a rule, or None."""
        try:
            compile_filter(expr, c, schema, superuser=True)
        except FilterError as err:
            return err.detail
        return None


async def record_matches(
    storage: Storage, access: Access, c: Collection, rule: str, record_id: str, ctx: RequestContext
) -> bool:
    """Whether the stored record ``record_id`` of ``c`` satisfies ``rule`` for ``ctx``."""
    plan = access.rule(c, rule, ctx)
    query = RecordQuery(c, [plan], ids=[record_id], limit=1, bind=access.bind([plan], ctx))
    return bool((await storage.query(query)).items)
