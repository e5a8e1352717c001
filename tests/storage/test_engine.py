"""The SQLite engine: the WAL stays checkpointable and short under steady writes, and reads
of unknown cost move off the event loop once they run long."""

from __future__ import annotations

import platform
import sqlite3
import sys
from pathlib import Path

from backroom.storage.sqlite.driver import sqlite3 as driver
from backroom.testing import running_app


async def test_after_reads_a_checkpoint_can_copy_the_whole_log(tmp_path: Path) -> None:
    data = tmp_path / "br_data"
    async with running_app(data) as app:
        await app.login()  # finds the superuser by email on a reader connection
        body = {"name": "notes", "listRule": "", "createRule": "", "fields": []}
        assert (await app.client.post("/api/collections", headers=app.su(), json=body)).is_success
        for _ in range(50):
            created = await app.client.post("/api/collections/notes/records", json={})
            assert created.is_success
        listed = await app.client.get("/api/collections/notes/records", params={"perPage": 1})
        assert listed.json()["totalItems"] == 50
        outside = sqlite3.connect(data / "data.db")
        try:
            busy, log, copied = outside.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()[0]
        finally:
            outside.close()
    assert busy == 0
    assert log > 0
    assert copied == log


async def test_the_log_starts_over_under_steady_writes(tmp_path: Path) -> None:
    """Without a pause between write transactions the background checkpoints never get to
    restart the log; the writer finishes one every 1,000 commits so the log stays short."""
    data = tmp_path / "br_data"
    async with running_app(data) as app:
        engine = app.backroom.raw_storage.engine
        engine._stop.set()  # no background checkpoints: only the writer's own
        engine._checkpointer.join()
        await app.login()
        body = {"name": "notes", "createRule": "", "fields": [{"name": "t", "type": "text"}]}
        assert (await app.client.post("/api/collections", headers=app.su(), json=body)).is_success
        for _ in range(2500):
            created = await app.client.post("/api/collections/notes/records", json={"t": "x"})
            assert created.is_success
        outside = sqlite3.connect(data / "data.db")
        try:
            _, frames, _ = outside.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()[0]
        finally:
            outside.close()
    # each commit appends two or three pages; 2,500 commits without a restart leave > 5,000
    assert 0 < frames < 3500


async def test_a_read_of_unknown_cost_falls_back_to_the_pool_once_it_runs_long(
    tmp_path: Path,
) -> None:
    from backroom.storage.sqlite.engine import SqliteEngine

    engine = SqliteEngine(tmp_path / "data.db")
    try:
        engine.run_sync(lambda c: c.execute("CREATE TABLE t (x INTEGER)"))

        def fill(c: sqlite3.Connection) -> None:
            c.execute("BEGIN IMMEDIATE")
            c.executemany("INSERT INTO t VALUES (?)", [(i,) for i in range(50_000)])
            c.execute("COMMIT")

        engine.run_sync(fill)
        cheap = "SELECT x FROM t WHERE rowid = 7"
        costly = "SELECT count(*) FROM t a WHERE x % 7 = 3"
        assert await engine.read_adaptive(lambda c: c.execute(cheap).fetchall(), cheap) == [(6,)]
        counted = await engine.read_adaptive(lambda c: c.execute(costly).fetchall(), costly)
        assert counted == [(7143,)]
        assert costly in engine._slow  # answered from the pool, and sent there from now on
        assert cheap not in engine._slow
    finally:
        engine.close()


def test_runs_on_the_bundled_sqlite_where_a_wheel_exists() -> None:
    """Linux on x86-64 installs pysqlite3-binary; the adapter must be using it there."""
    if sys.platform == "linux" and platform.machine() == "x86_64":
        assert driver.__name__ == "pysqlite3.dbapi2"
        assert driver.sqlite_version_info >= (3, 51)
    else:
        assert driver is sqlite3
