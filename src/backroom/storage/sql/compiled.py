"""Compile SQLAlchemy statements once and keep the SQL text for the hot path."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy.engine.interfaces import Dialect
from sqlalchemy.sql import ClauseElement

__all__ = ["CompiledSQL", "StatementCache", "compile_sql"]


@dataclass(frozen=True, slots=True)
class CompiledSQL:
    """SQL text with positional placeholders and the bind names in placeholder order."""

    sql: str
    names: tuple[str, ...]
    defaults: Mapping[str, Any]

    def params(self, values: Mapping[str, Any] | None = None) -> tuple[Any, ...]:
        if not values:
            return tuple(self.defaults[n] for n in self.names)
        return tuple(values[n] if n in values else self.defaults[n] for n in self.names)


def compile_sql(stmt: ClauseElement, dialect: Dialect) -> CompiledSQL:
    compiled = stmt.compile(dialect=dialect)
    names = tuple(getattr(compiled, "positiontup", None) or ())
    defaults = {k: v for k, v in compiled.params.items()}
    return CompiledSQL(str(compiled), names, defaults)


class StatementCache:
    """A bounded LRU of compiled statements keyed by anything hashable."""

    def __init__(self, dialect: Dialect, size: int = 2048) -> None:
        self.dialect = dialect
        self._size = size
        self._items: OrderedDict[Hashable, CompiledSQL] = OrderedDict()

    def get(self, key: Hashable, build: Callable[[], ClauseElement]) -> CompiledSQL:
        found = self._items.get(key)
        if found is not None:
            self._items.move_to_end(key)
            return found
        compiled = compile_sql(build(), self.dialect)
        self._items[key] = compiled
        if len(self._items) > self._size:
            self._items.popitem(last=False)
        return compiled

    def clear(self) -> None:
        self._items.clear()
