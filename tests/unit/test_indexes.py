from __future__ import annotations

import pytest

from backroom.core.collections.indexes import IndexColumn, parse_index


@pytest.mark.parametrize(
    ("sql", "unique", "columns", "where"),
    [
        ("CREATE INDEX idx_a ON posts (title)", False, [IndexColumn("title")], ""),
        (
            "CREATE UNIQUE INDEX `idx_b` ON `posts` (`title` COLLATE NOCASE DESC, views)",
            True,
            [IndexColumn("title", "nocase", "DESC"), IndexColumn("views")],
            "",
        ),
        (
            "create unique index if not exists \"i\" on [users] (email) where `email` != ''",
            True,
            [IndexColumn("email")],
            "email",
        ),
    ],
    ids=["a plain index", "a unique index with collation and order", "a partial unique index"],
)
def test_a_plain_index_definition_parses(
    sql: str, unique: bool, columns: list[IndexColumn], where: str
) -> None:
    idx = parse_index(sql)
    assert idx is not None
    assert idx.unique is unique
    assert list(idx.columns) == columns
    assert idx.where_not_empty == where


@pytest.mark.parametrize(
    "sql",
    [
        "CREATE INDEX idx ON posts (title); DROP TABLE _superusers",
        "CREATE INDEX idx ON posts (lower(title))",
        "CREATE INDEX idx ON posts (title) WHERE 1=1",
        'CREATE INDEX "x"" ; DROP" ON posts (title)',
        "CREATE INDEX idx ON posts (title COLLATE evil)",
        "DROP TABLE posts",
        "CREATE INDEX idx ON posts ()",
        "CREATE INDEX idx ON posts (a)" + " " * 3000,
    ],
    ids=[
        "a second statement is refused",
        "an expression column is refused",
        "an arbitrary WHERE clause is refused",
        "a name with quotes and SQL in it is refused",
        "an unknown collation is refused",
        "something that is not an index is refused",
        "an index without columns is refused",
        "an overlong definition is refused",
    ],
)
def test_anything_but_a_plain_index_is_refused(sql: str) -> None:
    assert parse_index(sql) is None
