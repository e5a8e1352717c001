"""Field values PocketBase accepts, converts or refuses, sent to both servers."""

from __future__ import annotations

from typing import Any

import pytest
from _targets import Target, both, unique

pytestmark = pytest.mark.compat

FIELDS = [
    {"name": "b", "type": "bool"},
    {"name": "u", "type": "url", "exceptDomains": ["bad.io"]},
    {"name": "e", "type": "email", "onlyDomains": ["ok.io"]},
    {"name": "n", "type": "number"},
    {"name": "t", "type": "text"},
    {"name": "j", "type": "json"},
    {"name": "d", "type": "date"},
    {"name": "pw", "type": "password", "min": 10, "max": 20, "pattern": "^[a-z0-9]+$"},
]

BODIES = [
    {"b": "1"},
    {"b": "t"},
    {"b": "TRUE"},
    {"b": "false"},
    {"b": 2},
    {"b": None},
    {"u": "ok.io"},
    {"u": "ok.io/path?q=1"},
    {"u": "https://ok.io:8080/a"},
    {"u": "http://bad.io"},
    {"u": "ftp://files.ok.io"},
    {"u": "http://"},
    {"u": "javascript:alert(1)"},
    {"u": "localhost"},
    {"e": "a@ok.io"},
    {"e": "a@other.io"},
    {"e": " a@ok.io"},
    {"e": "a b@ok.io"},
    {"n": "10"},
    {"n": True},
    {"n": None},
    {"t": 5},
    {"t": None},
    {"j": "ü"},
    {"j": None},
    {"d": "2024-01-01 10:00:00"},
    {"d": "2024-01-01T10:00:00+02:00"},
    {"d": "2024-01-01"},
    {"pw": "short"},
    {"pw": "UPPERCASE123"},
    {"pw": "a" * 30},
    {"pw": "goodpass123"},
]


@pytest.fixture(scope="module")
def values(targets: tuple[Target, Target]) -> str:
    name = unique("values")
    rules = {r: "" for r in ("listRule", "viewRule", "createRule", "updateRule")}
    both(targets, "POST", "/api/collections", json={"name": name, "fields": FIELDS, **rules})
    return name


@pytest.mark.parametrize("body", BODIES, ids=[repr(b) for b in BODIES])
def test_values_are_accepted_or_refused_alike(
    targets: tuple[Target, Target], values: str, body: dict[str, Any]
) -> None:
    both(targets, "POST", f"/api/collections/{values}/records", auth=False, json=body)


def test_a_password_field_outside_auth_collections_is_checked_on_update(
    targets: tuple[Target, Target], values: str
) -> None:
    path = f"/api/collections/{values}/records"
    both(targets, "POST", path, auth=False, json={"id": "pwupdate0000001", "pw": "goodpass123"})
    both(targets, "PATCH", f"{path}/pwupdate0000001", auth=False, json={"pw": "BAD"})
    both(targets, "PATCH", f"{path}/pwupdate0000001", auth=False, json={"pw": "another123"})
    both(targets, "GET", f"{path}/pwupdate0000001", auth=False)
