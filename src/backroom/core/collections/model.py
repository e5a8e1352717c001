"""The collection: a named, typed table of records with its API rules."""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from backroom.core.fields.base import Field

__all__ = ["RULE_NAMES", "Collection", "Schema"]

RULE_NAMES = ("listRule", "viewRule", "createRule", "updateRule", "deleteRule")
AUTH_RULE_NAMES = ("authRule", "manageRule")


@dataclass
class Collection:
    id: str
    name: str
    type: str = "base"  # base | auth | view
    system: bool = False
    fields: list[Field] = field(default_factory=list)
    indexes: list[str] = field(default_factory=list)
    rules: dict[str, str | None] = field(default_factory=dict)
    options: dict[str, Any] = field(default_factory=dict)  # auth and view options, as JSON
    created: str = ""
    updated: str = ""
    version: int = 0  # bumped on every change; keys compiled-statement caches

    def field(self, name: str) -> Field | None:
        for f in self.fields:
            if f.name == name:
                return f
        return None

    def field_by_id(self, field_id: str) -> Field | None:
        for f in self.fields:
            if f.id == field_id:
                return f
        return None

    def rule(self, name: str) -> str | None:
        return self.rules.get(name)

    @property
    def is_auth(self) -> bool:
        return self.type == "auth"

    @property
    def is_view(self) -> bool:
        return self.type == "view"


_versions = itertools.count(1)


class Schema:
    """Every collection, looked up by id or by name (names ignore case)."""

    def __init__(self, collections: Iterable[Collection] = ()) -> None:
        self._by_id: dict[str, Collection] = {}
        self._by_name: dict[str, Collection] = {}
        self.generation = 0  # counts every change, so a caller can tell the schema moved
        for c in collections:
            self.put(c)

    def put(self, collection: Collection) -> None:
        """Store (or replace) a collection; each stored object gets a fresh ``version``."""
        self.remove(collection.id)
        self.generation += 1
        collection.version = next(_versions)
        self._by_id[collection.id] = collection
        self._by_name[collection.name.lower()] = collection

    def remove(self, collection_id: str) -> None:
        old = self._by_id.pop(collection_id, None)
        if old is not None:
            self.generation += 1
            self._by_name.pop(old.name.lower(), None)

    def get(self, id_or_name: str) -> Collection | None:
        return self._by_id.get(id_or_name) or self._by_name.get(id_or_name.lower())

    def __iter__(self) -> Iterator[Collection]:
        return iter(list(self._by_id.values()))

    def __len__(self) -> int:
        return len(self._by_id)
