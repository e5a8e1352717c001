"""Backroom's own tables are migrated once, in order, and a reopened folder keeps its data."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from backroom.storage.migrations.sqlite import MIGRATIONS, migrate
from backroom.storage.sqlite.storage import SqliteStorage


def test_migrations_apply_once_and_are_recorded(tmp_path: Path) -> None:
    conn = sqlite3.connect(tmp_path / "data.db", isolation_level=None)
    try:
        assert migrate(conn) == [v for v, _, _ in MIGRATIONS]
        assert migrate(conn) == []
        versions = [r[0] for r in conn.execute("SELECT version FROM _migrations ORDER BY version")]
        assert versions == [v for v, _, _ in MIGRATIONS]
    finally:
        conn.close()


async def test_a_reopened_data_folder_keeps_wal_mode_and_collections(tmp_path: Path) -> None:
    from backroom.core.collections.system import users_collection

    storage = SqliteStorage(tmp_path)
    c = users_collection("2026-01-01 00:00:00.000Z")
    async with storage.transaction() as tx:
        await tx.save_collection(None, c)
    await storage.close()
    reopened = SqliteStorage(tmp_path)
    try:
        names = [x.name for x in await reopened.load_collections()]
        assert names == ["users"]
    finally:
        await reopened.close()
    conn = sqlite3.connect(tmp_path / "data.db")
    try:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    finally:
        conn.close()


async def test_a_failed_transaction_leaves_nothing_behind(tmp_path: Path) -> None:
    from backroom.core.collections.system import users_collection

    storage = SqliteStorage(tmp_path)
    try:
        c = users_collection("2026-01-01 00:00:00.000Z")
        try:
            async with storage.transaction() as tx:
                await tx.save_collection(None, c)
                raise RuntimeError("boom")
        except RuntimeError:
            pass
        assert await storage.load_collections() == []
        async with storage.transaction() as tx:
            await tx.save_collection(None, c)
        assert [x.name for x in await storage.load_collections()] == ["users"]
    finally:
        await storage.close()
