"""PocketBase's answers on auth: refresh, impersonation, password changes, auth ids shared
across auth collections, and the default ``users`` collection of a new install."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from _targets import Target, both, unique
from normalize import normalize

from conftest import server_pair

pytestmark = pytest.mark.compat

PASSWORD = "auth-compat-pw-1"


def _user(targets: tuple[Target, Target], record_id: str) -> dict[str, dict[str, str]]:
    """The same user (same id) on both servers; the Authorization header of each."""
    email = f"{record_id}@example.com"
    body = {"id": record_id, "email": email, "password": PASSWORD, "passwordConfirm": PASSWORD}
    both(targets, "POST", "/api/collections/users/records", json=body)
    headers = {}
    for t in targets:
        r = t.client.post(
            "/api/collections/users/auth-with-password",
            json={"identity": email, "password": PASSWORD},
        )
        assert r.status_code == 200, r.text
        headers[t.name] = {"Authorization": r.json()["token"]}
    return headers


def _each(
    targets: tuple[Target, Target],
    method: str,
    path: str,
    headers: dict[str, dict[str, str]],
    **kwargs: Any,
) -> tuple[Any, Any]:
    """One request to both, each with its own headers; same status and normalized JSON."""
    pb, br = (t.client.request(method, path, headers=headers[t.name], **kwargs) for t in targets)
    assert br.status_code == pb.status_code, (pb.text, br.text)
    if pb.content:
        assert normalize(br.json()) == normalize(pb.json()), (pb.text, br.text)
    return pb, br


def _rid() -> str:
    return unique("authcompat").ljust(15, "0")[:15]


def test_auth_refresh_answers_a_token_and_the_record(targets: tuple[Target, Target]) -> None:
    headers = _user(targets, _rid())
    _each(targets, "POST", "/api/collections/users/auth-refresh", headers)


def test_auth_refresh_failures(targets: tuple[Target, Target]) -> None:
    headers = _user(targets, _rid())
    both(targets, "POST", "/api/collections/users/auth-refresh", auth=False)
    both(
        targets,
        "POST",
        "/api/collections/users/auth-refresh",
        auth=False,
        headers={"Authorization": "not-a-token"},
    )
    _each(targets, "POST", "/api/collections/_superusers/auth-refresh", headers)
    both(targets, "POST", "/api/collections/users/auth-refresh")
    both(targets, "POST", "/api/collections/nope/auth-refresh")


def test_impersonation(targets: tuple[Target, Target]) -> None:
    rid = _rid()
    headers = _user(targets, rid)
    path = f"/api/collections/users/impersonate/{rid}"
    pb, br = both(targets, "POST", path, json={"duration": 60})
    tokens = {"pocketbase": pb.json()["token"], "backroom": br.json()["token"]}
    impersonated = {name: {"Authorization": token} for name, token in tokens.items()}
    _each(targets, "POST", "/api/collections/users/auth-refresh", impersonated)
    _each(targets, "GET", f"/api/collections/users/records/{rid}", impersonated)
    both(targets, "POST", path)
    both(targets, "POST", path, auth=False)
    _each(targets, "POST", path, headers)
    both(targets, "POST", "/api/collections/users/impersonate/nope00000000000")
    both(targets, "POST", f"/api/collections/nope/impersonate/{rid}")
    both(targets, "POST", f"/api/collections/_superusers/impersonate/{rid}")
    both(targets, "POST", path, json={"duration": -1})
    both(targets, "POST", path, json={"duration": "soon"})


CHANGES = [
    {"password": "n3w-compat-pw-2", "passwordConfirm": "n3w-compat-pw-2"},
    {"password": "n3w-compat-pw-2", "passwordConfirm": "n3w-compat-pw-2", "oldPassword": "x"},
    {"password": "n3w-compat-pw-2", "passwordConfirm": "other-compat-3", "oldPassword": PASSWORD},
    {"password": "short", "passwordConfirm": "short", "oldPassword": PASSWORD},
    {"oldPassword": PASSWORD},
]


@pytest.mark.parametrize(
    "body",
    CHANGES,
    ids=["no oldPassword", "a wrong oldPassword", "a mismatch", "too short", "only oldPassword"],
)
def test_password_change_errors(targets: tuple[Target, Target], body: dict[str, str]) -> None:
    rid = _rid()
    headers = _user(targets, rid)
    _each(targets, "PATCH", f"/api/collections/users/records/{rid}", headers, json=body)
    _each(targets, "POST", "/api/collections/users/auth-refresh", headers)


def test_a_password_change_signs_out(targets: tuple[Target, Target]) -> None:
    rid = _rid()
    headers = _user(targets, rid)
    body = {"password": "n3w-compat-pw-2", "passwordConfirm": "n3w-compat-pw-2"}
    _each(
        targets,
        "PATCH",
        f"/api/collections/users/records/{rid}",
        headers,
        json={**body, "oldPassword": PASSWORD},
    )
    _each(targets, "POST", "/api/collections/users/auth-refresh", headers)


def test_an_auth_id_is_unique_across_auth_collections(targets: tuple[Target, Target]) -> None:
    rid = _rid()
    _user(targets, rid)
    body = {
        "id": rid,
        "email": f"su-{rid}@example.com",
        "password": PASSWORD,
        "passwordConfirm": PASSWORD,
    }
    both(targets, "POST", "/api/collections/_superusers/records", json=body)
    other = unique("accounts")
    for t in targets:  # (answers differ only in mail template wording)
        r = t.client.post("/api/collections", headers=t.su(), json={"name": other, "type": "auth"})
        assert r.status_code == 200, r.text
    both(targets, "POST", f"/api/collections/{other}/records", json={**body, "email": "o@x.com"})


@pytest.fixture(scope="module")
def fresh(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Target, Target]]:
    with server_pair(Path(tmp_path_factory.mktemp("fresh"))) as pair:
        yield pair


_PLACEHOLDER = re.compile(r"\{[A-Z_]+\}")


def _templates_as_placeholders(value: Any) -> Any:
    """Mail templates are Backroom's own wording: compare their subjects and the
    placeholders their bodies use, not the prose."""
    if isinstance(value, dict):
        if set(value) == {"subject", "body"}:
            return {
                "subject": value["subject"],
                "body": sorted(_PLACEHOLDER.findall(value["body"])),
            }
        return {k: _templates_as_placeholders(v) for k, v in value.items()}
    return value


def test_the_default_users_collection_is_pocketbases(fresh: tuple[Target, Target]) -> None:
    pb, br = (t.client.get("/api/collections/users", headers=t.su()) for t in fresh)
    assert (pb.status_code, br.status_code) == (200, 200)
    pbj = _templates_as_placeholders(normalize(pb.json()))
    brj = _templates_as_placeholders(normalize(br.json()))
    assert set(brj) == set(pbj)
    for key in sorted(pbj):
        assert brj[key] == pbj[key], key
