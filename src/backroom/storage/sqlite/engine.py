"""The SQLite engine: one serialized writer connection, a pool of concurrent readers.

SQLite in WAL mode lets readers run beside one writer. Backroom keeps exactly one writer
connection and hands it out under an asyncio lock, so concurrent requests queue for it
instead of ever seeing "database is locked"; reads run on a small thread pool, each
thread with its own connection.

Other processes (the workers of ``serve --workers N``, nodes sharing the data directory) may
write to the same file. A transaction starts on the event loop without waiting when the file
is free; when another process is writing, it waits for it on the writer thread (SQLite's busy
timeout), so this process's event loop runs on meanwhile.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

from backroom.errors import QueryTimeoutError, UnavailableError
from backroom.storage.sqlite.driver import sqlite3
from backroom.storage.sqlite.functions import register

__all__ = ["SqliteEngine"]

_PROGRESS_STEPS = 10_000  # SQLite virtual machine steps between deadline checks
_COMMITS_PER_CHECKPOINT = 1000
_INLINE_STEP = 1000  # SQLite steps between checks of the inline budget
_INLINE_BUDGET = 200  # checks: about 200,000 steps, a millisecond or two
_UNLIMITED = 1 << 62
_MAX_SLOW = 4096  # statements remembered as too slow to run on the event loop
_BUSY_MS = 10_000  # how long to wait for another process's write transaction

_SQLITE_BUSY = 5


def _busy(err: sqlite3.OperationalError) -> bool:
    code = getattr(err, "sqlite_errorcode", None)
    return (code & 0xFF) == _SQLITE_BUSY if code is not None else "locked" in str(err)


def _begin(conn: sqlite3.Connection) -> None:
    conn.execute("BEGIN IMMEDIATE")


def _waiting_on_busy(fn: Callable[[sqlite3.Connection], T], conn: sqlite3.Connection) -> T:
    """Run ``fn`` on the writer with the busy timeout on: off the event loop only."""
    conn.execute(f"PRAGMA busy_timeout = {_BUSY_MS}")
    try:
        return fn(conn)
    finally:
        conn.execute("PRAGMA busy_timeout = 0")


T = TypeVar("T")


def _connect(path: Path, *, synchronous: str) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    conn.execute(f"PRAGMA busy_timeout = {_BUSY_MS}")
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute(f"PRAGMA synchronous = {synchronous}")
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute("PRAGMA cache_size = -16000")
    conn.execute("PRAGMA temp_store = MEMORY")
    # after a checkpoint lets the log start over, cut the file back to this size
    conn.execute("PRAGMA journal_size_limit = 67108864")
    register(conn)
    return conn


class SqliteEngine:
    def __init__(
        self,
        path: Path,
        *,
        readers: int = 2,
        durability: str = "normal",
        query_timeout: float = 5.0,
    ) -> None:
        self.path = path
        self.query_timeout = query_timeout
        self._synchronous = "FULL" if durability == "full" else "NORMAL"
        self.fast_commit = self._synchronous == "NORMAL"
        self._writer_conn = _connect(path, synchronous=self._synchronous)
        # Checkpoints run on their own thread, never inside a commit on the event loop.
        self._writer_conn.execute("PRAGMA wal_autocheckpoint = 0")
        # on the event loop the writer never waits: see ``begin``
        self._writer_conn.execute("PRAGMA busy_timeout = 0")
        self._stop = threading.Event()
        self._checkpointer = threading.Thread(
            target=self._checkpoint_loop, name="br-sqlite-checkpoint", daemon=True
        )
        self._checkpointer.start()
        self._writer_pool = ThreadPoolExecutor(1, thread_name_prefix="br-sqlite-writer")
        self._reader_pool = ThreadPoolExecutor(readers, thread_name_prefix="br-sqlite-reader")
        self._local = threading.local()
        self._readers: list[sqlite3.Connection] = []
        self._readers_lock = threading.Lock()
        self.write_lock = asyncio.Lock()
        self._inline: sqlite3.Connection | None = None
        self._commits = 0
        self._slow: set[str] = set()
        self._inline_budget = _UNLIMITED

    def _reader(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = _connect(self.path, synchronous=self._synchronous)
            conn.execute("PRAGMA query_only = ON")
            conn.set_progress_handler(self._past_deadline, _PROGRESS_STEPS)
            self._local.conn = conn
            with self._readers_lock:
                self._readers.append(conn)
        return conn

    def read_inline(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        """Run a read on the calling (event loop) thread.

        Only for reads bounded by a primary-key lookup: a hop to the reader pool costs far
        more than such a query, and a bounded query cannot stall the loop.
        """
        conn = self._inline
        if conn is None:
            conn = self._inline = _connect(self.path, synchronous=self._synchronous)
            conn.execute("PRAGMA query_only = ON")
            conn.set_progress_handler(self._inline_step, _INLINE_STEP)
        return fn(conn)

    def _inline_step(self) -> int:
        self._inline_budget -= 1
        return 1 if self._inline_budget < 0 else 0

    async def read_adaptive(self, fn: Callable[[sqlite3.Connection], T], key: str) -> T:
        """Run a read of unknown cost: first on the event loop with a small budget of SQLite
        steps (about a millisecond), and if it runs out, on the reader pool from then on.

        A list bounded by an index (a user's own records) costs less than the hop to a
        thread and back; a scan runs out of budget once and is remembered as slow."""
        if key in self._slow:
            return await self.read(fn)
        self._inline_budget = _INLINE_BUDGET
        try:
            return self.read_inline(fn)
        except sqlite3.OperationalError as err:
            if "interrupted" not in str(err):
                raise
        finally:
            self._inline_budget = _UNLIMITED
        if len(self._slow) >= _MAX_SLOW:
            self._slow.clear()
        self._slow.add(key)
        return await self.read(fn)

    def _past_deadline(self) -> int:
        deadline: float | None = getattr(self._local, "deadline", None)
        return 1 if deadline is not None and time.monotonic() > deadline else 0

    def _timed(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        conn = self._reader()
        self._local.deadline = time.monotonic() + self.query_timeout
        try:
            return fn(conn)
        except sqlite3.OperationalError as err:
            if "interrupted" in str(err):
                raise QueryTimeoutError() from None
            raise
        finally:
            self._local.deadline = None

    async def read(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        """Run a read on the reader pool, stopped after ``query_timeout`` seconds."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._reader_pool, self._timed, fn)

    async def begin(self) -> None:
        """Start the write transaction (``BEGIN IMMEDIATE``); the caller holds ``write_lock``.

        On the event loop when no other process is writing, which costs microseconds; else
        on the writer thread, waiting up to the busy timeout, past which the request is
        answered 503 rather than left hanging."""
        conn = self._writer_conn
        try:
            conn.execute("BEGIN IMMEDIATE")
            return
        except sqlite3.OperationalError as err:
            if not _busy(err):
                raise
        loop = asyncio.get_running_loop()
        waiting = loop.run_in_executor(self._writer_pool, _waiting_on_busy, _begin, conn)
        try:
            await asyncio.shield(waiting)
        except asyncio.CancelledError:
            # the thread finishes BEGIN regardless; undo it before the lock is let go
            with contextlib.suppress(sqlite3.OperationalError):
                await waiting
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        except sqlite3.OperationalError as err:
            if _busy(err):
                raise UnavailableError("The database is busy; try again.") from None
            raise

    async def on_writer(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        """Run ``fn`` on the writer connection; the caller must hold ``write_lock``."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._writer_pool, fn, self._writer_conn)

    def write_inline(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        """Run ``fn`` on the writer connection on the calling thread; hold ``write_lock``.

        For statements bounded by a primary key or an index: a record's insert, update or
        delete costs tens of microseconds, far less than a hop to the writer thread.
        """
        return fn(self._writer_conn)

    def log_needs_restart(self) -> bool:
        """Count a commit; true every ``_COMMITS_PER_CHECKPOINT`` commits.

        The checkpoint thread copies the log into the database in the background, but the
        log only starts over when a checkpoint finishes between two write transactions; under
        steady writes that gap rarely comes and the log would grow without bound. So every so
        many commits the writer itself, still holding the write lock, finishes the copy (little
        is left by then), and the next transaction starts the log over."""
        self._commits += 1
        if self._commits < _COMMITS_PER_CHECKPOINT:
            return False
        self._commits = 0
        return True

    def _checkpoint_loop(self) -> None:
        conn = _connect(self.path, synchronous=self._synchronous)
        try:
            while not self._stop.wait(1.0):
                conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
        finally:
            conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
            conn.close()

    def run_sync(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        """Run on the writer connection from synchronous code (start-up, CLI)."""
        return self._writer_pool.submit(_waiting_on_busy, fn, self._writer_conn).result()

    def close(self) -> None:
        self._stop.set()
        self._checkpointer.join()
        self._reader_pool.shutdown(wait=True)
        self._writer_pool.shutdown(wait=True)
        with self._readers_lock:
            for conn in self._readers:
                conn.close()
            self._readers.clear()
        self._writer_conn.close()
        if self._inline is not None:
            self._inline.close()


def rows_as_dicts(cursor: sqlite3.Cursor) -> list[dict[str, Any]]:
    names = [d[0] for d in cursor.description or ()]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
