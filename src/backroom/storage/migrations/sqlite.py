"""Versioned migrations of Backroom's own tables on SQLite."""

from __future__ import annotations

from backroom.storage.sqlite.driver import sqlite3

__all__ = ["MIGRATIONS", "migrate"]

MIGRATIONS: list[tuple[int, str, list[str]]] = [
    (
        1,
        "system tables",
        [
            """CREATE TABLE _collections (
                id TEXT PRIMARY KEY NOT NULL,
                name TEXT NOT NULL,
                type TEXT NOT NULL DEFAULT 'base',
                system BOOLEAN NOT NULL DEFAULT FALSE,
                data JSON NOT NULL,
                created TEXT NOT NULL DEFAULT '',
                updated TEXT NOT NULL DEFAULT ''
            )""",
            "CREATE UNIQUE INDEX idx__collections_name ON _collections (name COLLATE NOCASE)",
            """CREATE TABLE _params (
                id TEXT PRIMARY KEY NOT NULL,
                value JSON,
                created TEXT NOT NULL DEFAULT '',
                updated TEXT NOT NULL DEFAULT ''
            )""",
        ],
    ),
]


def migrate(conn: sqlite3.Connection) -> list[int]:
    """Apply pending migrations, each in its own transaction; return the versions applied."""
    conn.execute(
        "CREATE TABLE IF NOT EXISTS _migrations ("
        "version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied TEXT NOT NULL)"
    )
    done = {row[0] for row in conn.execute("SELECT version FROM _migrations")}
    applied = []
    for version, name, statements in MIGRATIONS:
        if version in done:
            continue
        conn.execute("BEGIN IMMEDIATE")
        # checked inside the write lock: another process may be migrating the same file
        if conn.execute("SELECT 1 FROM _migrations WHERE version = ?", (version,)).fetchall():
            conn.execute("ROLLBACK")
            continue
        try:
            for sql in statements:
                conn.execute(sql)
            conn.execute(
                "INSERT INTO _migrations (version, name, applied) "
                "VALUES (?, ?, strftime('%Y-%m-%d %H:%M:%fZ', 'now'))",
                (version, name),
            )
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")
        applied.append(version)
    return applied
