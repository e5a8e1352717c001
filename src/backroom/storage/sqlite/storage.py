"""SqliteStorage: Backroom's embedded store, implementing ``core.ports.Storage``."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy.dialects import sqlite as sqlite_dialect

from backroom.core.collections.codec import collection_from_json, collection_to_json
from backroom.core.collections.model import Collection
from backroom.core.fields.base import Field
from backroom.core.ports import Page, RecordQuery, UniqueViolation
from backroom.storage.migrations.sqlite import migrate
from backroom.storage.sql import ddl
from backroom.storage.sql.compiled import CompiledSQL, StatementCache
from backroom.storage.sql.records import RecordStatements, decode_row, encode_record
from backroom.storage.sql.select import SelectBuilder
from backroom.storage.sql.snapshot import SnapshotChecks
from backroom.storage.sqlite.driver import sqlite3
from backroom.storage.sqlite.engine import SqliteEngine

__all__ = ["SqliteStorage"]

T = TypeVar("T")

_INLINE_IDS = 100  # a query bounded by this many primary keys runs on the event loop
_UNIQUE_RE = re.compile(r"UNIQUE constraint failed: (.+)$")


def _unique_fields(err: sqlite3.IntegrityError) -> list[str] | None:
    m = _UNIQUE_RE.search(str(err))
    if m is None:
        return None
    return [part.strip().rsplit(".", 1)[-1] for part in m.group(1).split(",")]


def _first(cursor: sqlite3.Cursor) -> Any:
    """The first row, reading the statement to its end: a statement left unfinished keeps
    its connection's read snapshot open, and that snapshot stops every WAL checkpoint from
    letting the log start over, so the log would grow without bound."""
    rows = cursor.fetchall()
    return rows[0] if rows else None


def _commit(conn: sqlite3.Connection) -> None:
    conn.execute("COMMIT")


def _checkpoint(conn: sqlite3.Connection) -> None:
    conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()


def _rollback(conn: sqlite3.Connection) -> None:
    conn.execute("ROLLBACK")


def _run(conn: sqlite3.Connection, stmt: CompiledSQL, values: dict[str, Any]) -> sqlite3.Cursor:
    try:
        return conn.execute(stmt.sql, stmt.params(values))
    except sqlite3.IntegrityError as err:
        fields = _unique_fields(err)
        if fields is not None:
            raise UniqueViolation(fields) from None
        raise


class SqliteTransaction:
    """A write transaction on the single writer connection.

    Record statements (bounded by a primary key or an index) run on the event loop; schema
    changes, truncation and collection deletion, which can touch every row, run on the writer
    thread. ``BEGIN IMMEDIATE`` comes with the first statement, so an empty transaction
    costs nothing.
    """

    def __init__(self, storage: SqliteStorage) -> None:
        self._s = storage
        self.begun = False
        self.used_thread = False

    async def _on(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        if not self.begun:
            await self._s.engine.begin()
            self.begun = True
        return self._s.engine.write_inline(fn)

    async def _on_thread(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        if not self.begun:
            await self._s.engine.begin()
            self.begun = True
        self.used_thread = True
        return await self._s.engine.on_writer(fn)

    async def get_record(self, collection: Collection, record_id: str) -> dict[str, Any] | None:
        stmt = self._s.statements.by_id(collection)
        row = await self._on(lambda c: _first(c.execute(stmt.sql, stmt.params({"id": record_id}))))
        return None if row is None else decode_row(collection, row)

    async def existing_ids(self, collection: Collection, ids: Sequence[str]) -> set[str]:
        stmt = self._s.statements.by_ids(collection)
        rows = await self._on(
            lambda c: c.execute(stmt.sql, stmt.params({"ids": json.dumps(list(ids))})).fetchall()
        )
        idx = [f.name for f in collection.fields].index("id")
        return {r[idx] for r in rows}

    async def record_ids(self, collection: Collection) -> list[str]:
        table = self._s.dialect.identifier_preparer.quote_identifier(collection.name)
        rows = await self._on_thread(lambda c: c.execute(f"SELECT id FROM {table}").fetchall())
        return [r[0] for r in rows]

    async def count(self, query: RecordQuery) -> int:
        _, count_sql = self._s.selects.build(
            RecordQuery(query.collection, query.filters, ids=query.ids, with_total=True)
        )
        assert count_sql is not None
        params = count_sql.params(self._s.selects.params(query))
        row = await self._on(lambda c: _first(c.execute(count_sql.sql, params)))
        return int(row[0])

    async def insert_record(self, collection: Collection, record: dict[str, Any]) -> None:
        stmt = self._s.statements.insert(collection)
        values = encode_record(collection, record)
        await self._on(lambda c: _run(c, stmt, values))

    async def update_record(
        self, collection: Collection, record_id: str, record: dict[str, Any]
    ) -> None:
        stmt = self._s.statements.update(collection)
        values = encode_record(collection, record)
        values["old_id"] = record_id
        values["new_id"] = record.get("id", record_id)
        await self._on(lambda c: _run(c, stmt, values))

    async def delete_record(self, collection: Collection, record_id: str) -> None:
        stmt = self._s.statements.delete(collection)
        await self._on(lambda c: _run(c, stmt, {"id": record_id}))

    async def find_by_fields(
        self, collection: Collection, values: Mapping[str, Any]
    ) -> list[dict[str, Any]]:
        names = tuple(values)
        stmt = self._s.statements.by_fields(collection, names)
        params = stmt.params({f"eq_{i}": values[n] for i, n in enumerate(names)})
        rows = await self._on(lambda c: c.execute(stmt.sql, params).fetchall())
        return [decode_row(collection, r) for r in rows]

    async def referencing(
        self, collection: Collection, field: Field, record_id: str
    ) -> list[dict[str, Any]]:
        stmt = self._s.statements.referencing(collection, field)
        rows = await self._on(
            lambda c: c.execute(stmt.sql, stmt.params({"id": record_id})).fetchall()
        )
        return [decode_row(collection, r) for r in rows]

    async def save_collection(self, old: Collection | None, new: Collection) -> None:
        dialect = self._s.dialect
        if old is None:
            stmts = ddl.create_statements(dialect, new)
        else:
            stmts = ddl.schema_change_statements(dialect, old, new)
        data = json.dumps(collection_to_json(new))

        def run(c: sqlite3.Connection) -> None:
            for sql in stmts:
                c.execute(sql)
            c.execute(
                "INSERT INTO _collections (id, name, type, system, data, created, updated) "
                "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET "
                "name = excluded.name, type = excluded.type, system = excluded.system, "
                "data = excluded.data, updated = excluded.updated",
                (new.id, new.name, new.type, new.system, data, new.created, new.updated),
            )

        try:
            await self._on_thread(run)
        except sqlite3.IntegrityError as err:
            fields = _unique_fields(err)
            if fields is not None:
                raise UniqueViolation(fields) from None
            raise

    async def delete_collection(self, collection: Collection) -> None:
        stmts = ddl.drop_statements(self._s.dialect, collection)

        def run(c: sqlite3.Connection) -> None:
            for sql in stmts:
                c.execute(sql)
            c.execute("DELETE FROM _collections WHERE id = ?", (collection.id,))

        await self._on_thread(run)

    async def save_param(self, key: str, data: str, now: str) -> None:
        await self._on(
            lambda c: c.execute(
                "INSERT INTO _params (id, value, created, updated) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (id) DO UPDATE SET value = excluded.value, updated = excluded.updated",
                (key, data, now, now),
            )
        )

    async def truncate_collection(self, collection: Collection) -> None:
        table = self._s.dialect.identifier_preparer.quote_identifier(collection.name)
        await self._on_thread(lambda c: c.execute(f"DELETE FROM {table}"))


class SqliteStorage:
    def __init__(
        self,
        data_dir: Path,
        *,
        durability: str = "normal",
        readers: int = 2,
        query_timeout: float = 5.0,
    ) -> None:
        data_dir.mkdir(parents=True, exist_ok=True)
        self.engine = SqliteEngine(
            data_dir / "data.db",
            durability=durability,
            readers=readers,
            query_timeout=query_timeout,
        )
        self.dialect = sqlite_dialect.dialect()
        self.cache = StatementCache(self.dialect)
        self.statements = RecordStatements(self.cache)
        self.selects = SelectBuilder(self.cache)
        self.snapshots = SnapshotChecks(self.cache)
        self.engine.run_sync(migrate)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[SqliteTransaction]:
        async with self.engine.write_lock:
            tx = SqliteTransaction(self)
            try:
                yield tx
            except BaseException:
                if tx.begun:
                    if tx.used_thread:
                        # queued behind any statement still running there (cancellation)
                        await asyncio.shield(self.engine.on_writer(_rollback))
                    else:
                        self.engine.write_inline(_rollback)
                raise
            if tx.begun:
                if self.engine.fast_commit:
                    self.engine.write_inline(_commit)
                else:
                    await self.engine.on_writer(_commit)
                if self.engine.log_needs_restart():
                    await self.engine.on_writer(_checkpoint)

    async def load_collections(self) -> list[Collection]:
        rows = await self.engine.read(
            lambda c: c.execute("SELECT data FROM _collections ORDER BY rowid").fetchall()
        )
        return [collection_from_json(json.loads(r[0])) for r in rows]

    async def query(self, query: RecordQuery) -> Page:
        items_sql, count_sql = self.selects.build(query)
        coll = query.collection
        params = self.selects.params(query)

        def run(c: sqlite3.Connection) -> tuple[list[Any], int]:
            rows = c.execute(items_sql.sql, items_sql.params(params)).fetchall()
            total = -1
            if count_sql is not None:
                total = _first(c.execute(count_sql.sql, count_sql.params(params)))[0]
            return rows, total

        if query.ids is not None and len(query.ids) <= _INLINE_IDS:
            rows, total = self.engine.read_inline(run)
        else:
            rows, total = await self.engine.read_adaptive(run, items_sql.sql)
        return Page([decode_row(coll, r) for r in rows], total)

    async def get_records(self, collection: Collection, ids: Sequence[str]) -> list[dict[str, Any]]:
        if len(ids) == 1:  # a token's owner, a relation: the plain key lookup is cheapest
            stmt = self.statements.by_id(collection)
            params = stmt.params({"id": ids[0]})
        else:
            stmt = self.statements.by_ids(collection)
            params = stmt.params({"ids": json.dumps(list(ids))})

        def run(c: sqlite3.Connection) -> list[Any]:
            return c.execute(stmt.sql, params).fetchall()

        rows = (
            self.engine.read_inline(run) if len(ids) <= _INLINE_IDS else await self.engine.read(run)
        )
        return [decode_row(collection, r) for r in rows]

    async def count_records(self, collection: Collection) -> int:
        stmt = self.statements.count(collection)
        row = await self.engine.read(lambda c: _first(c.execute(stmt.sql)))
        return int(row[0])

    async def find_by_field(
        self, collection: Collection, field: str, value: Any
    ) -> dict[str, Any] | None:
        stmt = self.statements.by_field(collection, field)
        params = stmt.params({"value": value})
        row = await self.engine.read(lambda c: _first(c.execute(stmt.sql, params)))
        return None if row is None else decode_row(collection, row)

    async def snapshot_matches(
        self,
        collection: Collection,
        record: Mapping[str, Any],
        checks: Sequence[tuple[Sequence[Any], Mapping[str, Any]]],
    ) -> list[bool]:
        work = [
            (
                self.snapshots.statement(collection, plans),
                self.snapshots.params(collection, record, bind),
            )
            for plans, bind in checks
        ]

        def run(c: sqlite3.Connection) -> list[bool]:
            return [_first(c.execute(stmt.sql, stmt.params(p))) is not None for stmt, p in work]

        if not work:
            return []
        # one row in, joins along relations: usually cheaper than a hop to a reader thread
        return await self.engine.read_adaptive(run, work[0][0].sql)

    async def load_param(self, key: str) -> Any:
        row = await self.engine.read(
            lambda c: _first(c.execute("SELECT value FROM _params WHERE id = ?", (key,)))
        )
        return None if row is None or row[0] is None else json.loads(row[0])

    async def save_param(self, key: str, value: Any, now: str) -> None:
        data = json.dumps(value)
        async with self.transaction() as tx:
            await tx.save_param(key, data, now)

    async def close(self) -> None:
        self.engine.close()
