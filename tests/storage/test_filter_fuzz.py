"""Random filters: SQL results must equal a pure-Python evaluation of the same expression,
and injection strings must match only rows that literally hold them."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
import sqlalchemy as sa
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy.dialects import sqlite as sqlite_dialect

from backroom.core.collections.model import Collection, Schema
from backroom.core.context import RequestContext
from backroom.core.fields.registry import field_from_json
from backroom.core.rules import compile_filter
from backroom.storage.sql import ddl
from backroom.storage.sql.compiled import compile_sql
from backroom.storage.sql_filter import render_where
from backroom.storage.sqlite.driver import sqlite3

DIALECT = sqlite_dialect.dialect()
TITLES = ["apple", "Apple pie", "banana", "", "x' OR 1=1--", 'a") || 1=1 || ("', "kiwi"]
POSTS = Collection(
    id="pbc_1",
    name="posts",
    fields=[
        field_from_json(d)
        for d in (
            {"name": "id", "type": "text", "primaryKey": True},
            {"name": "title", "type": "text"},
            {"name": "views", "type": "number"},
            {"name": "published", "type": "bool"},
        )
    ],
)
SCHEMA = Schema([POSTS])
ROWS = [
    {
        "id": f"r{i:014d}",
        "title": TITLES[i % len(TITLES)],
        "views": (i * 37) % 50 - 10,
        "published": i % 3 == 0,
    }
    for i in range(40)
]


@pytest.fixture(scope="module")
def db() -> Iterator[sqlite3.Connection]:
    conn = sqlite3.connect(":memory:")
    for stmt in ddl.create_statements(DIALECT, POSTS):
        conn.execute(stmt)
    for row in ROWS:
        values = [f.to_db(row[f.name]) for f in POSTS.fields]
        conn.execute("INSERT INTO posts VALUES (?, ?, ?, ?)", values)
    yield conn
    conn.close()


def _sql_ids(conn: sqlite3.Connection, source: str) -> set[str]:
    plan = compile_filter(source, POSTS, SCHEMA, superuser=False)
    table = sa.table("posts", *(sa.column(f.name) for f in POSTS.fields))
    compiled = compile_sql(sa.select(table.c.id).where(render_where(plan, POSTS, table)), DIALECT)
    params = compiled.params(plan.bind_values(RequestContext(), datetime.now(UTC)))
    return {r[0] for r in conn.execute(compiled.sql, params)}


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


@st.composite
def comparison(draw: Any) -> tuple[str, Any]:
    kind = draw(st.sampled_from(["text", "number", "bool"]))
    if kind == "text":
        op = draw(st.sampled_from(["=", "!=", "~", "!~"]))
        value = draw(st.sampled_from([*TITLES, "app", "an", "PIE"]))
        if op in ("~", "!~") and not value.replace(" ", "").isalnum():
            op = "="
        return f"title {op} {_quote(value)}", ("title", op, value)
    if kind == "number":
        op = draw(st.sampled_from(["=", "!=", ">", ">=", "<", "<="]))
        value = draw(st.integers(-15, 45))
        return f"views {op} {value}", ("views", op, value)
    op = draw(st.sampled_from(["=", "!="]))
    value = draw(st.booleans())
    return f"published {op} {str(value).lower()}", ("published", op, value)


def _expr(depth: int) -> Any:
    if depth == 0:
        return comparison()
    sub = _expr(depth - 1)
    return st.one_of(
        comparison(),
        st.tuples(sub, st.sampled_from(["&&", "||"]), sub).map(
            lambda t: (f"({t[0][0]} {t[1]} {t[2][0]})", (t[1], t[0][1], t[2][1]))
        ),
    )


def _eval(node: Any, row: dict[str, Any]) -> bool:
    if node[0] in ("&&", "||"):
        left, right = _eval(node[1], row), _eval(node[2], row)
        return (left and right) if node[0] == "&&" else (left or right)
    name, op, value = node
    have = row[name]
    if op == "~":
        return str(value).lower() in str(have).lower()
    if op == "!~":
        return str(value).lower() not in str(have).lower()
    return {
        "=": have == value,
        "!=": have != value,
        ">": have > value,
        ">=": have >= value,
        "<": have < value,
        "<=": have <= value,
    }[op]


@settings(max_examples=300, deadline=None, derandomize=True)
@given(_expr(3))
def test_sql_and_python_agree_on_random_filters(db: sqlite3.Connection, case: Any) -> None:
    source, tree = case
    expected = {r["id"] for r in ROWS if _eval(tree, r)}
    assert _sql_ids(db, source) == expected, source


@pytest.mark.parametrize("title", TITLES[4:6], ids=["quote injection", "paren injection"])
def test_an_injection_string_matches_only_its_own_rows(db: sqlite3.Connection, title: str) -> None:
    expected = {r["id"] for r in ROWS if r["title"] == title}
    assert _sql_ids(db, f"title = {_quote(title)}") == expected
    assert expected
    assert len(expected) < len(ROWS)
