"""The SQLite library Backroom runs on.

A recent SQLite, bundled by the ``pysqlite3-binary`` wheel where one exists (Linux on x86-64),
and otherwise the one Python was built with. The module API is the same; the bundled library
is markedly faster on the lookups that rule-filtered lists are made of (see
docs/benchmarks.md) and carries current fixes. Every module of the SQLite adapter imports
``sqlite3`` from here, so exceptions and connections all come from the same library.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import sqlite3
else:
    try:
        from pysqlite3 import dbapi2 as sqlite3
    except ImportError:  # no wheel for this platform: Python's own SQLite
        import sqlite3

__all__ = ["sqlite3"]
