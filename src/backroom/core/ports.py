"""The Protocols the domain core needs from the outside world."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from backroom.core.collections.model import Collection
from backroom.core.fields.base import Field

__all__ = [
    "Broker",
    "BrokerHandler",
    "Clock",
    "FileStore",
    "FileTooLarge",
    "Hasher",
    "MailError",
    "MailMessage",
    "Mailer",
    "Page",
    "ParamStore",
    "Peers",
    "RecordQuery",
    "Storage",
    "StoredFile",
    "Transaction",
    "UniqueViolation",
]

Record = dict[str, Any]


class UniqueViolation(Exception):
    """A write broke a unique index; ``fields`` names the fields the index covers."""

    def __init__(self, fields: Sequence[str]) -> None:
        super().__init__(", ".join(fields))
        self.fields = list(fields)


@dataclass(slots=True)
class RecordQuery:
    """A list/view query: rule and filter plans (ANDed), sort, paging; compiled by storage."""

    collection: Collection
    filters: list[Any] = field(default_factory=list)
    sort: Any = None
    limit: int | None = None
    offset: int = 0
    with_total: bool = False
    bind: Mapping[str, Any] = field(default_factory=dict)
    ids: Sequence[str] | None = None
    cache_key: tuple[Any, ...] | None = None
    # records whose relation field (its value, or any item of a list) is one of these ids
    referencing: tuple[str, Sequence[str]] | None = None


@dataclass(slots=True)
class Page:
    items: list[Record]
    total: int  # -1 when not counted


class Transaction(Protocol):
    """One unit of work; everything in it commits or nothing does."""

    async def get_record(self, collection: Collection, record_id: str) -> Record | None: ...

    async def existing_ids(self, collection: Collection, ids: Sequence[str]) -> set[str]: ...

    async def record_ids(self, collection: Collection) -> list[str]: ...

    async def count(self, query: RecordQuery) -> int:
        """How many records match ``query``, seeing this transaction's own writes."""
        ...

    async def insert_record(self, collection: Collection, record: Record) -> None: ...

    async def update_record(
        self, collection: Collection, record_id: str, record: Record
    ) -> None: ...

    async def delete_record(self, collection: Collection, record_id: str) -> None: ...

    async def find_by_fields(
        self, collection: Collection, values: Mapping[str, Any]
    ) -> list[Record]:
        """Every record whose fields equal ``values`` exactly, seeing this transaction's own
        writes; the fields should lead one of the collection's indexes."""
        ...

    async def referencing(
        self, collection: Collection, field: Field, record_id: str
    ) -> list[Record]:
        """Records of ``collection`` whose relation ``field`` holds ``record_id``."""
        ...

    async def save_collection(self, old: Collection | None, new: Collection) -> None: ...

    async def delete_collection(self, collection: Collection) -> None: ...

    async def truncate_collection(self, collection: Collection) -> None: ...


class Storage(Protocol):
    def transaction(self) -> AbstractAsyncContextManager[Transaction]: ...

    async def load_collections(self) -> list[Collection]: ...

    async def query(self, query: RecordQuery) -> Page: ...

    async def get_records(self, collection: Collection, ids: Sequence[str]) -> list[Record]: ...

    async def count_records(self, collection: Collection) -> int: ...

    async def find_by_field(self, collection: Collection, field: str, value: Any) -> Record | None:
        """The first record whose ``field`` equals ``value`` exactly."""
        ...

    async def snapshot_matches(
        self,
        collection: Collection,
        record: Mapping[str, Any],
        checks: Sequence[tuple[Sequence[Any], Mapping[str, Any]]],
    ) -> list[bool]:
        """For each check (filter plans ANDed, their bind values): whether ``record``, with
        the values given rather than the stored ones (it may be deleted by now), passes.
        Relations and other collections are read as they are stored."""
        ...

    async def close(self) -> None: ...


class Hasher(Protocol):
    async def hash(self, password: str) -> str: ...

    async def verify(self, password: str, hashed: str) -> bool: ...

    def needs_rehash(self, hashed: str) -> bool:
        """Whether a hash that just verified is of an older kind or older parameters."""
        ...


class Clock(Protocol):
    def now(self) -> str:
        """The current UTC time as ``YYYY-MM-DD HH:MM:SS.mmmZ``."""
        ...

    def now_dt(self) -> datetime:
        """The current time as an aware UTC datetime."""
        ...


class ParamStore(Protocol):
    """Named JSON documents of the app itself (the settings), kept in ``_params``."""

    async def load_param(self, key: str) -> Any:
        """The stored value, or None when there is none."""
        ...

    async def save_param(self, key: str, value: Any, now: str) -> None: ...


@dataclass(frozen=True, slots=True)
class MailMessage:
    """One mail; ``sender`` is (name, address)."""

    sender: tuple[str, str]
    to: tuple[str, ...]
    subject: str
    html: str
    text: str = ""


class Mailer(Protocol):
    async def send(self, message: MailMessage) -> None:
        """Deliver ``message`` or raise ``MailError``."""
        ...


class MailError(Exception):
    """A mail could not be handed to the mail server."""


BrokerHandler = Callable[[bytes], None]


class Broker(Protocol):
    """Carries small messages between the processes and nodes of one deployment: realtime
    events, and word that collections or settings changed. At-most-once, in publish order per
    channel and publisher; never the source of truth (the database is)."""

    async def start(self) -> None:
        """Connect; handlers registered before or after receive what is published after."""
        ...

    async def publish(self, channel: str, payload: bytes) -> None:
        """Send ``payload`` to every process listening on ``channel``, this one included."""
        ...

    async def publish_counted(self, channel: str, payload: bytes) -> int:
        """``publish``, then return how many processes it reached, this one included; 0 when
        the broker is not connected. Waits for the broker's answer, so keep it for rare
        messages that need it."""
        ...

    def listen(self, channel: str, handler: BrokerHandler) -> None:
        """Call ``handler`` on the event loop with each payload published on ``channel``.
        It must not block: hand the work to a task or queue."""
        ...

    def on_reconnect(self, handler: Callable[[], None]) -> None:
        """Call ``handler`` on the event loop each time the broker is connected again after
        losing its connection: messages published in between, to this process or by it, were
        lost."""
        ...

    async def close(self) -> None: ...


class Peers(Protocol):
    """The other processes serving the same data, each holding the collections and the
    settings in memory."""

    async def changed(self, what: str) -> None:
        """``what`` ("collections" or "settings") changed and the change is committed: return
        once every other connected process has reloaded it, or after a time limit."""
        ...


class FileTooLarge(Exception):
    """An upload went past the limit it was saved with; nothing was kept."""


@dataclass(frozen=True, slots=True)
class StoredFile:
    size: int
    modified: datetime


class FileStore(Protocol):
    """Where uploaded files and their thumbnails live. Keys are ``/``-separated relative paths
    built by Backroom (``<collectionId>/<recordId>/<name>``), never from raw client input."""

    async def save(self, key: str, chunks: AsyncIterator[bytes], max_size: int) -> int:
        """Stream ``chunks`` to ``key`` and return the size; past ``max_size`` bytes raise
        ``FileTooLarge`` and keep nothing. A reader never sees a half-written file."""
        ...

    async def stat(self, key: str) -> StoredFile | None: ...

    def read(self, key: str, start: int = 0, end: int | None = None) -> AsyncIterator[bytes]:
        """The bytes ``start`` to ``end`` (exclusive; None = to the end), in chunks."""
        ...

    async def delete(self, key: str) -> None:
        """Delete ``key``; a missing key is not an error."""
        ...

    async def delete_prefix(self, prefix: str) -> None:
        """Delete every key under ``prefix`` (a record's or a collection's folder)."""
        ...

    async def close(self) -> None:
        """Release connections; called once, when the store is no longer used."""
        ...
