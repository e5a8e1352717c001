"""Record changes as the rest of the app hears of them: after the commit, in commit order.

``ObservedStorage`` wraps a ``Storage``: every transaction remembers the records it
inserts, updates and deletes, and once it has committed, the listeners hear the whole list
before anything else can run on the event loop. A rolled-back transaction is never heard of.
Every write path (the records API, the auth flows, cascades) goes through a transaction, so
none can be missed.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any, Literal, Protocol

from backroom.core.collections.model import Collection
from backroom.core.fields.base import Field
from backroom.core.ports import Page, RecordQuery, Storage, Transaction

__all__ = ["ObservedStorage", "RecordChange", "RecordChangeListener"]

Action = Literal["create", "update", "delete"]


@dataclass(frozen=True, slots=True)
class RecordChange:
    """One committed change. ``record`` holds the stored values, hidden fields included:
    after the change for create and update, as it was for delete."""

    action: Action
    collection: Collection
    record: Mapping[str, Any]


class RecordChangeListener(Protocol):
    def records_committed(self, changes: Sequence[RecordChange]) -> None:
        """Called right after a commit, before the event loop runs anything else, so calls
        arrive in commit order. It must not block: hand the work to a queue."""
        ...


class _ObservedTransaction:
    def __init__(self, inner: Transaction) -> None:
        self._tx = inner
        self.changes: list[RecordChange] = []

    async def get_record(self, collection: Collection, record_id: str) -> dict[str, Any] | None:
        return await self._tx.get_record(collection, record_id)

    async def existing_ids(self, collection: Collection, ids: Sequence[str]) -> set[str]:
        return await self._tx.existing_ids(collection, ids)

    async def record_ids(self, collection: Collection) -> list[str]:
        return await self._tx.record_ids(collection)

    async def count(self, query: RecordQuery) -> int:
        return await self._tx.count(query)

    async def insert_record(self, collection: Collection, record: dict[str, Any]) -> None:
        await self._tx.insert_record(collection, record)
        self.changes.append(RecordChange("create", collection, dict(record)))

    async def update_record(
        self, collection: Collection, record_id: str, record: dict[str, Any]
    ) -> None:
        await self._tx.update_record(collection, record_id, record)
        self.changes.append(RecordChange("update", collection, dict(record)))

    async def delete_record(self, collection: Collection, record_id: str) -> None:
        old = await self._tx.get_record(collection, record_id)
        await self._tx.delete_record(collection, record_id)
        if old is not None:
            self.changes.append(RecordChange("delete", collection, old))

    async def referencing(
        self, collection: Collection, field: Field, record_id: str
    ) -> list[dict[str, Any]]:
        return await self._tx.referencing(collection, field, record_id)

    async def find_by_fields(
        self, collection: Collection, values: Mapping[str, Any]
    ) -> list[dict[str, Any]]:
        return await self._tx.find_by_fields(collection, values)

    async def save_collection(self, old: Collection | None, new: Collection) -> None:
        await self._tx.save_collection(old, new)

    async def delete_collection(self, collection: Collection) -> None:
        await self._tx.delete_collection(collection)

    async def truncate_collection(self, collection: Collection) -> None:
        await self._tx.truncate_collection(collection)


class ObservedStorage:
    """A ``Storage`` whose committed record changes reach its listeners."""

    def __init__(self, inner: Storage) -> None:
        self.inner = inner
        self._listeners: list[RecordChangeListener] = []

    def listen(self, listener: RecordChangeListener) -> None:
        self._listeners.append(listener)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Transaction]:
        async with self.inner.transaction() as tx:
            observed = _ObservedTransaction(tx)
            yield observed
        # committed: nothing between the commit and here gave the event loop a turn
        if observed.changes:
            for listener in self._listeners:
                listener.records_committed(observed.changes)

    async def load_collections(self) -> list[Collection]:
        return await self.inner.load_collections()

    async def query(self, query: RecordQuery) -> Page:
        return await self.inner.query(query)

    async def get_records(self, collection: Collection, ids: Sequence[str]) -> list[dict[str, Any]]:
        return await self.inner.get_records(collection, ids)

    async def count_records(self, collection: Collection) -> int:
        return await self.inner.count_records(collection)

    async def find_by_field(self, collection: Collection, field: str, value: Any) -> Any:
        return await self.inner.find_by_field(collection, field, value)

    async def snapshot_matches(
        self,
        collection: Collection,
        record: Mapping[str, Any],
        checks: Sequence[tuple[Sequence[Any], Mapping[str, Any]]],
    ) -> list[bool]:
        return await self.inner.snapshot_matches(collection, record, checks)

    async def close(self) -> None:
        await self.inner.close()
