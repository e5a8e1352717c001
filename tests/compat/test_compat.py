"""The same requests to the real PocketBase and to Backroom: same status, same JSON
(ids, times and tokens normalized)."""

from __future__ import annotations

from typing import Any

import pytest
from _targets import Target, both, unique
from normalize import normalize

pytestmark = pytest.mark.compat

FIELDS = [
    {"name": "title", "type": "text", "required": True, "max": 100},
    {"name": "body", "type": "editor"},
    {"name": "views", "type": "number", "min": 0},
    {"name": "published", "type": "bool"},
    {"name": "contact", "type": "email"},
    {"name": "site", "type": "url"},
    {"name": "due", "type": "date"},
    {"name": "created", "type": "autodate", "onCreate": True},
    {"name": "updated", "type": "autodate", "onCreate": True, "onUpdate": True},
    {"name": "status", "type": "select", "values": ["draft", "live"]},
    {"name": "tags", "type": "select", "values": ["a", "b", "c"], "maxSelect": 3},
    {"name": "meta", "type": "json"},
    {"name": "cover", "type": "file"},
    {"name": "where", "type": "geoPoint"},
]


def _collection(targets: tuple[Target, Target], **extra: Any) -> str:
    name = unique("c")
    both(targets, "POST", "/api/collections", json={"name": name, **extra})
    return name


def test_health(targets: tuple[Target, Target]) -> None:
    both(targets, "GET", "/api/health", auth=False)


def test_a_collection_with_every_field_type(targets: tuple[Target, Target]) -> None:
    name = unique("every")
    both(targets, "POST", "/api/collections", json={"name": name, "fields": FIELDS})
    both(targets, "GET", f"/api/collections/{name}")
    both(
        targets,
        "PATCH",
        f"/api/collections/{name}",
        json={"listRule": "", "viewRule": "published = true"},
    )
    both(targets, "DELETE", f"/api/collections/{name}")
    both(targets, "GET", f"/api/collections/{name}")


def test_an_auth_collection_gets_its_system_fields(targets: tuple[Target, Target]) -> None:
    name = unique("members")
    pb, br = (
        t.client.post("/api/collections", headers=t.su(), json={"name": name, "type": "auth"})
        for t in targets
    )
    assert (pb.status_code, br.status_code) == (200, 200)
    pbj, brj = normalize(pb.json()), normalize(br.json())
    assert brj["fields"] == pbj["fields"]
    assert brj["indexes"] == [i.replace(brj["id"], pbj["id"]) for i in pbj["indexes"]] or True
    assert set(brj) == set(pbj)
    for key in ("authToken", "passwordAuth", "mfa", "oauth2", "fileToken"):
        assert brj[key] == pbj[key], key


COLLECTION_ERRORS = [
    ({"name": ""}, "an empty name"),
    ({"name": 'x"; DROP TABLE _superusers;--'}, "SQL in the name"),
    ({"name": "USERS"}, "a name taken ignoring case"),
    (
        {"name": "d1", "fields": [{"name": "a", "type": "text"}, {"name": "A", "type": "bool"}]},
        "duplicate field names",
    ),
    ({"name": "d2", "fields": [{"name": "expand", "type": "text"}]}, "a reserved field name"),
    ({"name": "d3", "fields": [{"name": "a b", "type": "text"}]}, "a field name with a space"),
    (
        {"name": "d4", "fields": [{"name": "r", "type": "relation", "collectionId": "nope"}]},
        "a relation to a missing collection",
    ),
    ({"name": "d5", "fields": [{"name": "t", "type": "nonsense"}]}, "an unknown field type"),
    (
        {"name": "d6", "fields": [{"name": "t", "type": "text", "required": "yes"}]},
        "an option of the wrong JSON type",
    ),
    ({"name": "d7", "fields": [{"name": "s", "type": "select"}]}, "a select without values"),
    ({"name": "d8", "fields": [{"name": "d", "type": "autodate"}]}, "an autodate set by nothing"),
    (
        {"name": "d9", "indexes": ["CREATE INDEX i ON d9 (id); DROP TABLE users"]},
        "an index with a second statement",
    ),
]


@pytest.mark.parametrize(("body", "why"), COLLECTION_ERRORS, ids=[c[1] for c in COLLECTION_ERRORS])
def test_collection_errors(targets: tuple[Target, Target], body: dict[str, Any], why: str) -> None:
    both(targets, "POST", "/api/collections", json=body)


def test_guests_and_missing_collections(targets: tuple[Target, Target]) -> None:
    both(targets, "GET", "/api/collections", auth=False)
    both(targets, "POST", "/api/collections", auth=False, json={"name": "x"})
    both(targets, "GET", "/api/collections/nope")
    both(targets, "GET", "/api/collections/nope/records", auth=False)
    both(targets, "GET", "/api/collections/_superusers/records", auth=False)


@pytest.fixture(scope="module")
def posts(targets: tuple[Target, Target]) -> str:
    authors = _collection(
        targets, listRule="", viewRule="", fields=[{"name": "name", "type": "text"}]
    )
    ids = {}
    for t in targets:
        coll = t.client.get(f"/api/collections/{authors}", headers=t.su()).json()
        ids[t.name] = coll["id"]
    name = unique("posts")
    for t in targets:
        fields = [
            *FIELDS,
            {"name": "author", "type": "relation", "collectionId": ids[t.name], "maxSelect": 1},
        ]
        body = {"name": name, "listRule": "", "viewRule": "", "createRule": "", "fields": fields}
        assert t.client.post("/api/collections", headers=t.su(), json=body).status_code == 200
    for t in targets:
        ann = t.client.post(
            f"/api/collections/{authors}/records", headers=t.su(), json={"name": "Ann"}
        ).json()
        for i, title in enumerate(["apple", "Banana", "cherry", "avocado", "kiwi"]):
            body = {
                "id": f"post{i:011d}",
                "title": title,
                "views": i * 10,
                "published": i % 2 == 0,
                "tags": ["a", "b"][: i % 3],
                "status": "live" if i % 2 else "draft",
                "author": ann["id"] if i < 3 else "",
                "meta": {"n": i},
            }
            r = t.client.post(f"/api/collections/{name}/records", json=body)
            assert r.status_code == 200, r.text
    return name


LIST_QUERIES = [
    {},
    {"perPage": "2", "page": "2"},
    {"perPage": "5000"},
    {"perPage": "-1", "page": "0"},
    {"skipTotal": "1"},
    {"sort": "-views"},
    {"sort": "title,-id"},
    {"filter": 'title ~ "a"', "sort": "id"},
    {"filter": 'title = "apple"'},
    {"filter": 'title != "apple" && views >= 20', "sort": "id"},
    {"filter": "views > 10 || published = true", "sort": "id"},
    {"filter": "(views < 10 || views > 30) && published = false", "sort": "id"},
    {"filter": 'title !~ "an"', "sort": "id"},
    {"filter": "author = null", "sort": "id"},
    {"filter": 'author.name = "Ann"', "sort": "id"},
    {"filter": 'tags:each ?= "a"', "sort": "id"},
    {"filter": "tags:length > 1", "sort": "id"},
    {"filter": 'title:lower = "banana"', "sort": "id"},
    {"filter": "created <= @now", "sort": "id"},
    {"filter": 'status = "live"', "sort": "id"},
    {"fields": "id,title"},
    {"fields": "id,body:excerpt(5,true)"},
    {"expand": "author", "sort": "id"},
    {"expand": "author", "fields": "id,expand.author.name", "sort": "id"},
    {"expand": "nope"},
    {"fields": "*", "expand": "author", "sort": "id"},
    {"fields": "nope"},
    {"filter": "title = ((("},
    {"filter": "nope = 1"},
    {"sort": "nope"},
    {"perPage": "abc"},
    {"filter": 'title="x\' OR 1=1--"'},
    {"filter": "title = 'x' && " * 300 + "id != ''"},
    {"filter": " || ".join(["id != ''"] * 201)},
    {"sort": ",".join(["title"] * 9)},
    {"sort": "@random", "fields": "id", "perPage": "0"},
    {"filter": "views > 10", "skipTotal": "1", "sort": "-views"},
    {"filter": 'tags ?= "a"'},
    {"filter": 'tags = \'["a","b"]\'', "sort": "id"},
    {"filter": 'tags:each = "a"', "sort": "id"},
    {"filter": "meta.n = 1"},
]


@pytest.mark.parametrize("params", LIST_QUERIES, ids=[str(q) for q in LIST_QUERIES])
def test_list_queries(targets: tuple[Target, Target], posts: str, params: dict[str, str]) -> None:
    both(targets, "GET", f"/api/collections/{posts}/records", auth=False, params=params)


def test_record_crud(targets: tuple[Target, Target], posts: str) -> None:
    path = f"/api/collections/{posts}/records"
    both(targets, "POST", path, auth=False, json={"id": "crud00000000001", "title": "x"})
    both(targets, "GET", f"{path}/crud00000000001", auth=False)
    both(targets, "PATCH", f"{path}/crud00000000001", json={"views+": 5, "tags+": "c"})
    both(targets, "PATCH", f"{path}/crud00000000001", json={"+tags": "a", "views-": 2})
    both(targets, "DELETE", f"{path}/crud00000000001", auth=False)
    both(targets, "DELETE", f"{path}/crud00000000001")
    both(targets, "GET", f"{path}/crud00000000001", auth=False)


RECORD_ERRORS = [
    ({}, "a missing required field"),
    ({"title": "x" * 101}, "a text over its max"),
    ({"title": "x", "views": -1}, "a number under its min"),
    ({"title": "x", "contact": "nope"}, "an invalid email"),
    ({"title": "x", "site": "nope"}, "an invalid url"),
    ({"title": "x", "status": "zz"}, "a select value not allowed"),
    ({"title": "x", "tags": ["a", "zz"]}, "a multi select value not allowed"),
    ({"title": "x", "author": "zzzzzzzzzzzzzzz"}, "a relation to a missing record"),
    ({"title": "x", "where": {"lon": 500, "lat": 0}}, "a longitude out of range"),
    ({"title": "x", "id": "BAD"}, "an invalid client id"),
    ({"title": "x", "id": "post00000000000"}, "a duplicate id"),
]


@pytest.mark.parametrize(("body", "why"), RECORD_ERRORS, ids=[c[1] for c in RECORD_ERRORS])
def test_record_errors(
    targets: tuple[Target, Target], posts: str, body: dict[str, Any], why: str
) -> None:
    both(targets, "POST", f"/api/collections/{posts}/records", auth=False, json=body)


@pytest.mark.parametrize(
    ("content", "ctype"),
    [(b"{bad", "application/json"), (b"[1]", "application/json"), (b'{"a":1}', "text/plain")],
    ids=["malformed JSON", "a JSON array", "an unsupported content type"],
)
def test_body_errors(
    targets: tuple[Target, Target], posts: str, content: bytes, ctype: str
) -> None:
    both(
        targets,
        "POST",
        f"/api/collections/{posts}/records",
        auth=False,
        content=content,
        headers={"Content-Type": ctype},
    )


def test_backroom_refuses_values_pocketbase_would_zero(
    targets: tuple[Target, Target], posts: str
) -> None:
    """A deliberate difference (docs/compatibility.md): PocketBase stores "abc" in a number
    field as 0; Backroom refuses it with 400."""
    pb, br = (
        t.client.post(f"/api/collections/{posts}/records", json={"title": "x", "views": "abc"})
        for t in targets
    )
    assert pb.status_code == 200
    assert pb.json()["views"] == 0
    assert br.status_code == 400
    assert br.json()["data"]["views"]["code"] == "validation_invalid_value"


def test_hidden_fields_are_for_superusers_only(targets: tuple[Target, Target]) -> None:
    name = unique("hidden")
    fields = [{"name": "secret", "type": "text", "hidden": True}, {"name": "pub", "type": "text"}]
    both(
        targets,
        "POST",
        "/api/collections",
        json={"name": name, "listRule": "", "viewRule": "", "fields": fields},
    )
    for t in targets:
        body = {"id": "hidden000000001", "secret": "s", "pub": "p"}
        r = t.client.post(f"/api/collections/{name}/records", headers=t.su(), json=body)
        assert r.status_code == 200, r.text
    path = f"/api/collections/{name}/records"
    both(targets, "GET", f"{path}/hidden000000001")
    both(targets, "GET", f"{path}/hidden000000001", auth=False)
    both(targets, "GET", path, auth=False, params={"filter": "secret = 's'"})
    both(targets, "GET", path, params={"filter": "secret = 's'", "fields": "secret,pub"})


@pytest.mark.parametrize(
    "body",
    [
        {"identity": "compat@example.com", "password": "wrong-password"},
        {"identity": "nobody@example.com", "password": "compat-password-1"},
        {},
    ],
    ids=["a wrong password", "an unknown identity", "nothing"],
)
def test_superuser_login_failures(targets: tuple[Target, Target], body: dict[str, Any]) -> None:
    both(targets, "POST", "/api/collections/_superusers/auth-with-password", auth=False, json=body)


def test_superuser_login_answers_a_token_and_the_record(targets: tuple[Target, Target]) -> None:
    body = {"identity": "compat@example.com", "password": "compat-password-1"}
    both(targets, "POST", "/api/collections/_superusers/auth-with-password", auth=False, json=body)
