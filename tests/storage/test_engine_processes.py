"""Another process writing the same SQLite file: a transaction waits for it without stalling
the event loop, gives up with a clear 503 error past the busy timeout, and a cancelled wait
leaves the writer clean."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from backroom.errors import UnavailableError
from backroom.storage.sqlite import engine as engine_module
from backroom.storage.sqlite.storage import SqliteStorage

_HOLDER = """
import sqlite3, sys
conn = sqlite3.connect(sys.argv[1], isolation_level=None)
conn.execute("BEGIN IMMEDIATE")
conn.execute("INSERT INTO _params (id, value) VALUES ('other', '[1]')")
print("locked", flush=True)
sys.stdin.read()
conn.execute("COMMIT")
"""


@contextmanager
def another_process_writing(db: Path) -> Iterator[subprocess.Popen[str]]:
    """A separate process holding the write lock until the context ends."""
    proc = subprocess.Popen(
        [sys.executable, "-c", _HOLDER, str(db)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    assert proc.stdin is not None
    try:
        assert proc.stdout.readline().strip() == "locked"
        yield proc
    finally:
        proc.stdin.close()
        proc.wait(10)
        proc.stdout.close()


@pytest.fixture
async def storage(tmp_path: Path) -> AsyncIterator[SqliteStorage]:
    s = SqliteStorage(tmp_path / "data")
    try:
        yield s
    finally:
        await s.close()


async def _ticks_while(coro: asyncio.Future[None] | asyncio.Task[None]) -> int:
    ticks = 0
    while not coro.done():
        await asyncio.sleep(0.01)
        ticks += 1
    return ticks


async def test_a_write_waits_for_another_process_and_the_loop_keeps_running(
    storage: SqliteStorage, tmp_path: Path
) -> None:
    with another_process_writing(tmp_path / "data" / "data.db") as holder:
        write = asyncio.ensure_future(storage.save_param("mine", {"a": 1}, "now"))
        ticker = asyncio.ensure_future(_ticks_while(write))
        await asyncio.sleep(0.3)
        assert not write.done()
        assert holder.stdin is not None
        holder.stdin.close()  # the other process commits
        await asyncio.wait_for(write, 10)
        assert await ticker >= 20  # the event loop ran all along
    assert await storage.load_param("mine") == {"a": 1}
    assert await storage.load_param("other") == [1]


async def test_past_the_busy_timeout_the_write_fails_as_unavailable(
    storage: SqliteStorage, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(engine_module, "_BUSY_MS", 200)
    with another_process_writing(tmp_path / "data" / "data.db"), pytest.raises(UnavailableError):
        await storage.save_param("mine", {"a": 1}, "now")
    assert await storage.load_param("mine") is None
    await storage.save_param("mine", {"a": 2}, "now")  # the writer is usable again
    assert await storage.load_param("mine") == {"a": 2}


async def test_a_write_cancelled_while_waiting_leaves_the_writer_clean(
    storage: SqliteStorage, tmp_path: Path
) -> None:
    with another_process_writing(tmp_path / "data" / "data.db") as holder:
        write = asyncio.ensure_future(storage.save_param("mine", {"a": 1}, "now"))
        await asyncio.sleep(0.2)
        write.cancel()
        assert holder.stdin is not None
        holder.stdin.close()
        with pytest.raises(asyncio.CancelledError):
            await write
    assert await storage.load_param("mine") is None
    await storage.save_param("mine", {"a": 3}, "now")
    assert await storage.load_param("mine") == {"a": 3}
