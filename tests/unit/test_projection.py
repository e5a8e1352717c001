from __future__ import annotations

from typing import Any

import pytest

from backroom.core.records.expand import parse_expand
from backroom.core.records.projection import parse_fields, project
from backroom.errors import BadRequestError

RECORD: dict[str, Any] = {
    "collectionId": "c1",
    "collectionName": "posts",
    "id": "abc",
    "title": "<p>Hello   <b>brave</b> new world</p>",
    "expand": {"author": {"id": "u1", "name": "Ann", "email": "a@x.io"}},
}


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ("id", {"id": "abc"}),
        ("id,title:excerpt(9,true)", {"id": "abc", "title": "Hello bra..."}),
        ("title:excerpt(100)", {"title": "Hello brave new world"}),
        ("expand.author.name", {"expand": {"author": {"name": "Ann"}}}),
        ("*", RECORD),
        (
            "*,expand.author.name",
            {**RECORD, "expand": {"author": {"name": "Ann"}}},
        ),
        ("nope", {}),
    ],
    ids=[
        "a single key keeps only that key",
        "an excerpt drops tags and adds an ellipsis when cut",
        "an excerpt without ellipsis keeps short text whole",
        "a nested key reaches into expand",
        "a star keeps every top-level key, expand included, as in PocketBase",
        "a star with an expand path narrows only the expand",
        "an unknown key yields an empty object",
    ],
)
def test_fields_projection(fields: str, expected: dict[str, Any]) -> None:
    assert project(RECORD, parse_fields(fields)) == expected


@pytest.mark.parametrize(
    "fields",
    ["a)b", "title:excerpt(x)", "a..b", "title:excerpt(1,2,3)", ",".join(["a"] * 201)],
    ids=[
        "a parenthesis is refused",
        "a non-numeric excerpt length is refused",
        "an empty path segment is refused",
        "too many excerpt arguments are refused",
        "more than 200 parts are refused",
    ],
)
def test_invalid_fields_are_a_bad_request(fields: str) -> None:
    with pytest.raises(BadRequestError):
        parse_fields(fields)


def test_expand_paths_build_a_tree() -> None:
    assert parse_expand("author, author.team,tags") == {"author": {"team": {}}, "tags": {}}


@pytest.mark.parametrize(
    "expand",
    ["a.b.c.d.e.f.g", "a;DROP TABLE x", "a..b"],
    ids=["seven levels are refused", "SQL in a path is refused", "an empty segment is refused"],
)
def test_invalid_expand_is_a_bad_request(expand: str) -> None:
    with pytest.raises(BadRequestError):
        parse_expand(expand)
