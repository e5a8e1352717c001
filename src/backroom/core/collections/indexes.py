"""Index definitions: PocketBase stores them as SQL text; Backroom parses them strictly.

Only the plain form is accepted, so nothing a client writes reaches the database verbatim:

    CREATE [UNIQUE] INDEX [IF NOT EXISTS] name ON table (col [COLLATE x] [ASC|DESC], ...)
        [WHERE col != '']

Names may be bare or quoted with backticks, double quotes or brackets.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

__all__ = ["IndexColumn", "IndexDef", "has_unique_index", "parse_index", "rename_index_table"]

_IDENT = r"(?:`[^`]+`|\"[^\"]+\"|\[[^\]]+\]|[A-Za-z_][A-Za-z0-9_]*)"
_INDEX_RE = re.compile(
    rf"^\s*CREATE\s+(?P<unique>UNIQUE\s+)?INDEX\s+(?:IF\s+NOT\s+EXISTS\s+)?"
    rf"(?P<name>{_IDENT})\s+ON\s+(?P<table>{_IDENT})\s*\((?P<cols>[^()]*)\)"
    rf"(?:\s+WHERE\s+(?P<where_col>{_IDENT})\s*!=\s*(?:''|\"\"))?\s*;?\s*$",
    re.IGNORECASE,
)
_COLUMN_RE = re.compile(
    rf"^\s*(?P<name>{_IDENT})(?:\s+COLLATE\s+(?P<collate>[A-Za-z_]+))?"
    rf"(?:\s+(?P<order>ASC|DESC))?\s*$",
    re.IGNORECASE,
)
_NAME_RE = re.compile(r"^[A-Za-z0-9_]+$")
_COLLATIONS = {"nocase", "binary", "rtrim"}


@dataclass(frozen=True, slots=True)
class IndexColumn:
    name: str
    collate: str = ""
    order: str = ""


@dataclass(frozen=True, slots=True)
class IndexDef:
    name: str
    table: str
    unique: bool
    columns: tuple[IndexColumn, ...]
    where_not_empty: str = ""  # the one partial form accepted: WHERE col != ''


def _unquote(ident: str) -> str:
    if ident[:1] in '`"[' and len(ident) >= 2:
        return ident[1:-1]
    return ident


def parse_index(sql: str) -> IndexDef | None:
    """The parsed index, or None when the text is not a plain index definition."""
    if len(sql) > 2000:
        return None
    m = _INDEX_RE.match(sql)
    if m is None:
        return None
    name, table = _unquote(m["name"]), _unquote(m["table"])
    if not _NAME_RE.match(name) or not _NAME_RE.match(table):
        return None
    columns: list[IndexColumn] = []
    for part in m["cols"].split(","):
        cm = _COLUMN_RE.match(part)
        if cm is None:
            return None
        col = _unquote(cm["name"])
        collate = (cm["collate"] or "").lower()
        if not _NAME_RE.match(col) or (collate and collate not in _COLLATIONS):
            return None
        columns.append(IndexColumn(col, collate, (cm["order"] or "").upper()))
    where = _unquote(m["where_col"]) if m["where_col"] else ""
    if where and not _NAME_RE.match(where):
        return None
    return IndexDef(name, table, bool(m["unique"]), tuple(columns), where)


def has_unique_index(indexes: Iterable[str], column: str) -> bool:
    """Whether one of ``indexes`` is UNIQUE on ``column`` alone."""
    for raw in indexes:
        idx = parse_index(raw)
        if idx is not None and idx.unique and [col.name for col in idx.columns] == [column]:
            return True
    return False


def rename_index_table(sql: str, old: str, new: str) -> str:
    """The index definition pointed at a renamed table."""
    idx = parse_index(sql)
    if idx is None or idx.table != old:
        return sql
    for quoted in (f"`{old}`", f'"{old}"', f"[{old}]"):
        if f"ON {quoted}" in sql:
            return sql.replace(f"ON {quoted}", f"ON `{new}`", 1)
    return re.sub(rf"\bON\s+{re.escape(old)}\b", f"ON `{new}`", sql, count=1, flags=re.IGNORECASE)
