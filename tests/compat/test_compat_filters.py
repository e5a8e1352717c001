"""A corpus of filter expressions run against the real PocketBase and Backroom on the same
records; the returned ids must be the same, or both must refuse the expression."""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from _targets import Target, both, unique

pytestmark = pytest.mark.compat

POSTS = [
    {
        "id": "post00000000001",
        "title": "Hello_world",
        "views": 10,
        "published": True,
        "tags": ["a"],
        "author": "author000000001",
        "authors": ["author000000001", "author000000002"],
        "meta": {"a": "Ann", "n": 1, "l": [1, 2]},
    },
    {"id": "post00000000002", "title": "", "views": 5, "meta": {"city": "Zürich"}},
    {
        "id": "post00000000003",
        "title": "100% Bob",
        "views": 0,
        "published": True,
        "tags": ["a", "b"],
        "author": "author000000002",
        "authors": ["author000000002"],
        "meta": {"a": "", "n": "1", "l": []},
    },
    {
        "id": "post00000000004",
        "title": "ann",
        "views": -2.5,
        "tags": ["b"],
        "authors": ["author000000001"],
        "meta": [1, "x"],
    },
]

LEFTS = [
    "title",
    "views",
    "published",
    "tags",
    "tags:each",
    "tags:length",
    "author",
    "author.name",
    "authors",
    "authors.name",
    "authors:each",
    "authors:length",
    "meta",
    "meta.a",
    "meta.n",
    "meta.l.0",
    "title:lower",
    "author.name:lower",
]
OPS = ["=", "!=", ">", ">=", "<", "<=", "~", "!~"]
RIGHTS = ['"Ann"', '""', "null", "1", '"a"', "true", "title", '"%o%"', '"_"']

SPECIAL = [
    'title = "Hello_world" && views > 1',
    'title = "" || views < 1',
    '(title ~ "o" || title ~ "a") && published = false',
    "created <= @now && created > @yesterday",
    "created >= @todayStart",
    "@now > created",
    "views >= -2.5",
    'author.name = "Ann" || authors.name ?= "Ann"',
    "tags:length >= 1 && authors:length < 2",
    'title ~ "100%"',
    'title ~ "100\\%"',
    "title ~ 'Hello_'",
    "views = '10'",
    "views != '10.0'",
    "published = 'true'",
    "published = 1",
    "id ?= author",
    "author = authors",
    "author.id = author",
    "title = null || author = null",
    "1 = 1",
    "'a' = 'a'",
    "null = null",
    "title = ((",
    "nope = 1",
    "author.nope = 1",
    "title:nope = 1",
    'title ~ ""',
    'meta ~ "ü"',
    'authors.name ?= "Bob" && authors.name ?= "Ann"',
    'authors.name ?= "Bob" || authors.name ?= "Ann"',
    'authors.name ?= "Bob" && author.name ?= "Bob"',
    'authors.name ?= "Ann" && authors.id ?= author',
    'authors.name = "Bob" && authors.name ?= "Bob"',
    'tags:each ?= "a" && tags:each ?= "b"',
    'tags:each ?= "a" && authors.name ?= "Ann" && views > 1',
    'meta.city = "Zürich"',
]

DIVERGENT_LEFTS = ("meta:length", "meta.a:lower")  # see docs/compatibility.md


def corpus() -> list[str]:
    out = [
        f"{left} {q}{op} {right}"
        for left, op, q, right in itertools.product(LEFTS, OPS, ("", "?"), RIGHTS)
    ]
    return [e for e in out if not e.startswith(DIVERGENT_LEFTS)] + SPECIAL


@pytest.fixture(scope="module")
def posts(targets: tuple[Target, Target]) -> str:
    authors = unique("fauthors")
    rules = {"listRule": "", "viewRule": ""}
    body = {"name": authors, "fields": [{"name": "name", "type": "text"}], **rules}
    both(targets, "POST", "/api/collections", json=body)
    name = unique("fposts")
    for t in targets:
        aid = t.client.get(f"/api/collections/{authors}", headers=t.su()).json()["id"]
        fields: list[dict[str, Any]] = [
            {"name": "title", "type": "text"},
            {"name": "views", "type": "number"},
            {"name": "published", "type": "bool"},
            {"name": "tags", "type": "select", "values": ["a", "b"], "maxSelect": 2},
            {"name": "author", "type": "relation", "collectionId": aid, "maxSelect": 1},
            {"name": "authors", "type": "relation", "collectionId": aid, "maxSelect": 5},
            {"name": "meta", "type": "json"},
            {"name": "created", "type": "autodate", "onCreate": True},
        ]
        resp = t.client.post(
            "/api/collections", headers=t.su(), json={"name": name, "fields": fields, **rules}
        )
        assert resp.status_code == 200, resp.text
        for rid, who in (("author000000001", "Ann"), ("author000000002", "Bob")):
            body = {"id": rid, "name": who}
            resp = t.client.post(f"/api/collections/{authors}/records", headers=t.su(), json=body)
            assert resp.status_code == 200, resp.text
        for post in POSTS:
            resp = t.client.post(f"/api/collections/{name}/records", headers=t.su(), json=post)
            assert resp.status_code == 200, resp.text
    return name


def _answer(t: Target, path: str, expr: str) -> tuple[int, list[str]]:
    resp = t.client.get(path, params={"filter": expr, "fields": "id", "sort": "id"})
    if resp.status_code != 200:
        return resp.status_code, []
    return 200, [item["id"] for item in resp.json()["items"]]


def test_the_corpus_matches_the_same_records(targets: tuple[Target, Target], posts: str) -> None:
    path = f"/api/collections/{posts}/records"
    expressions = corpus()
    assert len(expressions) >= 200
    differences = []
    for expr in expressions:
        pb, br = (_answer(t, path, expr) for t in targets)
        if pb != br:
            differences.append(f"{expr!r}: pocketbase {pb}, backroom {br}")
    assert not differences, "\n".join(differences)
