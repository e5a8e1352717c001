"""PocketBase's answers outside records and fields: system collections, routing, CORS,
superuser-only filter identifiers and listing collections."""

from __future__ import annotations

from typing import Any

import pytest
from _targets import Target, both, unique

pytestmark = pytest.mark.compat

SYSTEM_CHANGES = [
    {"listRule": ""},
    {"viewRule": "id != ''"},
    {"authRule": "id != ''"},
    {"manageRule": "id != ''"},
    {"name": "admins"},
    {"fields": []},
]


@pytest.mark.parametrize("body", SYSTEM_CHANGES, ids=[next(iter(b)) for b in SYSTEM_CHANGES])
def test_the_superusers_collection_cannot_be_opened(
    targets: tuple[Target, Target], body: dict[str, Any]
) -> None:
    both(targets, "PATCH", "/api/collections/_superusers", json=body)
    both(targets, "GET", "/api/collections/_superusers/records", auth=False)


def test_a_system_field_cannot_be_renamed(targets: tuple[Target, Target]) -> None:
    pb = targets[0].client.get("/api/collections/users", headers=targets[0].su()).json()
    renamed = [dict(f, name="mail") if f["name"] == "email" else f for f in pb["fields"]]
    both(targets, "PATCH", "/api/collections/users", json={"fields": renamed})


@pytest.mark.parametrize(
    "params",
    [
        {"filter": "@request.auth.id != ''"},
        {"filter": "@collection.users.id != ''"},
        {"filter": "id = '@request.'"},
        {"sort": "@request.auth.id"},
        {"filter": "@now > created"},
    ],
    ids=["@request", "@collection", "@request inside a string", "sort by @request", "@now"],
)
def test_guests_cannot_filter_by_request_data(
    targets: tuple[Target, Target], params: dict[str, str]
) -> None:
    both(targets, "GET", "/api/collections/users/records", auth=False, params=params)


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/api/nothing"),
        ("GET", "/nothing"),
        ("POST", "/api/nothing"),
        ("DELETE", "/api/health"),
        ("PUT", "/api/collections"),
    ],
)
def test_unknown_routes_and_methods(targets: tuple[Target, Target], method: str, path: str) -> None:
    both(targets, method, path, auth=False)


_CORS_HEADERS = (
    "access-control-allow-origin",
    "access-control-allow-methods",
    "access-control-allow-headers",
    "x-content-type-options",
    "x-frame-options",
    "cross-origin-opener-policy",
)


@pytest.mark.parametrize(
    ("method", "headers"),
    [
        (
            "OPTIONS",
            {
                "Origin": "https://app.example.com",
                "Access-Control-Request-Method": "PATCH",
                "Access-Control-Request-Headers": "authorization,content-type",
            },
        ),
        ("OPTIONS", {}),
        ("GET", {"Origin": "https://app.example.com"}),
        ("GET", {}),
    ],
    ids=["preflight", "bare OPTIONS", "GET with Origin", "GET without Origin"],
)
def test_cors_and_security_headers(
    targets: tuple[Target, Target], method: str, headers: dict[str, str]
) -> None:
    pb, br = (t.client.request(method, "/api/health", headers=headers) for t in targets)
    assert br.status_code == pb.status_code
    for name in _CORS_HEADERS:
        assert br.headers.get(name) == pb.headers.get(name), name
    assert sorted(br.headers.get_list("vary")) == sorted(pb.headers.get_list("vary"))


@pytest.fixture(scope="module")
def listed(targets: tuple[Target, Target]) -> str:
    prefix = unique("listed")
    for suffix in ("b", "a", "c"):
        both(targets, "POST", "/api/collections", json={"name": f"{prefix}{suffix}"})
    return prefix


def _collection_queries(prefix: str) -> list[dict[str, str]]:
    mine = f"name ~ '{prefix}%'"
    return [
        {"filter": mine, "fields": "name,type,system"},
        {"filter": mine, "sort": "-name", "fields": "name"},
        {"filter": f"{mine} && name != '{prefix}a'", "fields": "name", "skipTotal": "1"},
        {"filter": mine, "perPage": "1", "page": "2", "fields": "name"},
        {"filter": "name = 'users'", "fields": "id,name,listRule"},
        {"filter": "system = false && type = 'auth'", "fields": "name"},
        {"filter": "nope = 1"},
        {"sort": "nope"},
        {"filter": "listRule = ''"},
    ]


def test_listing_collections_takes_search_parameters(
    targets: tuple[Target, Target], listed: str
) -> None:
    for params in _collection_queries(listed):
        both(targets, "GET", "/api/collections", params=params)


def test_records_are_listed_in_insertion_order_without_a_sort(
    targets: tuple[Target, Target],
) -> None:
    name = unique("order")
    both(targets, "POST", "/api/collections", json={"name": name, "listRule": ""})
    for rid in ("zzzzzzzzzzzzzzz", "aaaaaaaaaaaaaaa", "mmmmmmmmmmmmmmm"):
        both(targets, "POST", f"/api/collections/{name}/records", json={"id": rid})
    both(targets, "GET", f"/api/collections/{name}/records", auth=False)
    both(targets, "GET", f"/api/collections/{name}/records", auth=False, params={"perPage": 2})


def test_an_import_merges_into_existing_collections(targets: tuple[Target, Target]) -> None:
    name = unique("imported")
    path = "/api/collections/import"
    first = {"name": name, "fields": [{"name": "a", "type": "text"}]}
    both(targets, "PUT", path, json={"collections": [first]})
    second = {"name": name, "fields": [{"name": "b", "type": "number"}]}
    both(targets, "PUT", path, json={"collections": [second]})
    both(targets, "GET", f"/api/collections/{name}")
    both(targets, "PUT", path, json={"collections": [{"name": name, "listRule": ""}]})
    both(targets, "GET", f"/api/collections/{name}")


@pytest.mark.parametrize(
    "body",
    [
        {"collections": "x"},
        {},
        {"collections": []},
        {"collections": [1]},
    ],
    ids=["not a list", "missing", "empty", "not objects"],
)
def test_import_errors(targets: tuple[Target, Target], body: dict[str, Any]) -> None:
    both(targets, "PUT", "/api/collections/import", json=body)


def test_an_invalid_imported_collection_fails_the_whole_import(
    targets: tuple[Target, Target],
) -> None:
    name = unique("importok")
    body = {"collections": [{"name": name}, {"name": "bad name"}]}
    pb, br = (t.client.put("/api/collections/import", headers=t.su(), json=body) for t in targets)
    assert pb.status_code == br.status_code == 400
    code = "validation_collections_import_failure"
    assert pb.json()["data"]["collections"]["code"] == br.json()["data"]["collections"]["code"]
    assert br.json()["data"]["collections"]["code"] == code
    both(targets, "GET", f"/api/collections/{name}")


@pytest.mark.parametrize(
    "body",
    [
        {"identity": 5, "password": "x"},
        {"identity": "compat@example.com", "password": 5},
        {"identity": ["compat@example.com"], "password": "compat-password-1"},
    ],
    ids=["a number identity", "a number password", "a list identity"],
)
def test_login_with_values_of_the_wrong_type(
    targets: tuple[Target, Target], body: dict[str, Any]
) -> None:
    both(targets, "POST", "/api/collections/_superusers/auth-with-password", auth=False, json=body)


@pytest.mark.parametrize(
    "content", [b"null", b'"text"', b"[1]"], ids=["null", "a string", "an array"]
)
def test_collection_bodies_that_are_not_objects(
    targets: tuple[Target, Target], content: bytes
) -> None:
    headers = {"Content-Type": "application/json"}
    both(targets, "POST", "/api/collections", content=content, headers=headers)


@pytest.mark.parametrize(
    "fields",
    [
        "x",
        {"a": 1},
        [{"name": "id", "type": "number"}],
        [{"name": "id", "type": "text", "primaryKey": False}],
        [{"name": "id", "type": "text", "pattern": "^[0-9]+$", "min": 3, "max": 5}],
        [{"name": "t", "type": "text", "primaryKey": True}],
    ],
    ids=[
        "fields as text",
        "fields as an object",
        "a number id",
        "an id that is not the primary key",
        "an id with its own pattern and length",
        "a second primary key",
    ],
)
def test_the_id_field_and_field_lists(targets: tuple[Target, Target], fields: Any) -> None:
    both(targets, "POST", "/api/collections", json={"name": unique("ids"), "fields": fields})


def test_records_get_ids_from_the_id_fields_pattern(targets: tuple[Target, Target]) -> None:
    name = unique("numericids")
    id_field = {"name": "id", "type": "text", "pattern": "^[0-9]+$", "min": 4, "max": 4}
    fields = [{**id_field, "autogeneratePattern": "[0-9]{4}"}]
    both(targets, "POST", "/api/collections", json={"name": name, "fields": fields})
    pb, br = (
        t.client.post(f"/api/collections/{name}/records", headers=t.su(), json={}) for t in targets
    )
    assert pb.status_code == br.status_code == 200
    assert len(br.json()["id"]) == 4
    assert br.json()["id"].isdigit()
    both(targets, "POST", f"/api/collections/{name}/records", json={"id": "12"})


def test_a_field_sent_with_a_new_type_and_no_id_replaces_the_old(
    targets: tuple[Target, Target],
) -> None:
    name = unique("retyped")
    rules = {"listRule": "", "createRule": ""}
    fields = [{"name": "t", "type": "text"}]
    both(targets, "POST", "/api/collections", json={"name": name, "fields": fields, **rules})
    both(targets, "POST", f"/api/collections/{name}/records", json={"id": "retyped00000001"})
    retyped = [{"name": "t", "type": "number"}]
    both(targets, "PATCH", f"/api/collections/{name}", json={"fields": retyped})
    both(targets, "GET", f"/api/collections/{name}/records")


@pytest.mark.parametrize(
    "index",
    [
        "CREATE UNIQUE INDEX idx_dup_a ON {name} (a)",
        "CREATE UNIQUE INDEX idx_dup_ab ON {name} (a, b)",
        "CREATE UNIQUE INDEX idx_dup_nocase ON {name} (a COLLATE NOCASE)",
    ],
    ids=["one column", "two columns", "ignoring case"],
)
def test_a_unique_index_over_duplicates_is_refused(
    targets: tuple[Target, Target], index: str
) -> None:
    name = unique("dups")
    fields = [{"name": "a", "type": "text"}, {"name": "b", "type": "number"}]
    both(targets, "POST", "/api/collections", json={"name": name, "fields": fields})
    for a in ("x", "X", "x"):
        both(targets, "POST", f"/api/collections/{name}/records", json={"a": a, "b": 1})
    indexes = [index.format(name=name)]
    both(targets, "PATCH", f"/api/collections/{name}", json={"indexes": indexes})
    both(targets, "GET", f"/api/collections/{name}/records", params={"fields": "a,b"})


@pytest.mark.parametrize("fields", ["name,type", "id,fields", "nothing", "name,nothing"])
def test_one_collection_takes_fields(targets: tuple[Target, Target], fields: str) -> None:
    both(targets, "GET", "/api/collections/users", params={"fields": fields})
    name = unique("picked")
    both(
        targets,
        "POST",
        "/api/collections",
        params={"fields": "name,type"},
        json={"name": name, "type": "base"},
    )
    both(targets, "PATCH", f"/api/collections/{name}", params={"fields": fields}, json={})
