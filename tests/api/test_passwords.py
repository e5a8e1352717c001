"""Passwords over HTTP: the policy (row A11), changing your own password (A12, M2), bcrypt
hashes from PocketBase re-hashed at login, and no hashing under the write lock."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import bcrypt
import pytest

from backroom.testing import TestApp

USERS = "/api/collections/users/records"
LOGIN = "/api/collections/users/auth-with-password"
GOOD = "s3cret-pw-1"


async def _create(app: TestApp, email: str, password: str) -> Any:
    body = {"email": email, "password": password, "passwordConfirm": password}
    return await app.client.post(USERS, json=body)


async def _login(app: TestApp, email: str, password: str) -> Any:
    return await app.client.post(LOGIN, json={"identity": email, "password": password})


async def _stored(app: TestApp, record_id: str) -> dict[str, Any]:
    users = app.backroom.schema.get("users")
    assert users is not None
    found = await app.backroom.storage.get_records(users, [record_id])
    return found[0]


async def _store_hash(app: TestApp, record_id: str, hashed: str) -> None:
    users = app.backroom.schema.get("users")
    assert users is not None
    async with app.backroom.storage.transaction() as tx:
        record = await tx.get_record(users, record_id)
        assert record is not None
        record["password"] = hashed
        await tx.update_record(users, record_id, record)


A11 = [
    ("", 400, "validation_required"),
    ("seven77", 400, "validation_min_text_constraint"),
    ("baseball", 400, "validation_password_too_common"),
    ("Sunshine1", 400, "validation_password_too_common"),
    ("m" * 64, 200, None),
    ("🔐 emoji 🗝️ pass", 200, None),
    ("a" * 100, 200, None),
    ("b" * 1025, 400, "validation_max_text_constraint"),
    ("c" * (1 << 20), 400, "validation_max_text_constraint"),
]


@pytest.mark.parametrize(
    ("password", "status", "code"),
    A11,
    ids=[
        "empty",
        "7 chars",
        "top list",
        "top list, capitalized",
        "64",
        "emoji",
        "100",
        "1025",
        "1 MB",
    ],
)
async def test_password_policy_on_sign_up(
    app: TestApp, password: str, status: int, code: str | None
) -> None:
    r = await _create(app, "p@example.com", password)
    assert r.status_code == status, r.text
    if code is not None:
        assert r.json()["data"]["password"]["code"] == code
        assert (await app.client.get(USERS, headers=app.su())).json()["totalItems"] == 0
    else:
        assert (await _login(app, "p@example.com", password)).status_code == 200


async def test_a_refused_password_is_never_hashed(
    app: TestApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    hashed: list[int] = []
    real = app.backroom.hasher.hash

    async def counting(password: str) -> str:
        hashed.append(len(password))
        return await real(password)

    monkeypatch.setattr(app.backroom.hasher, "hash", counting)
    assert (await _create(app, "p@example.com", "c" * (1 << 20))).status_code == 400
    assert (await _create(app, "p@example.com", "password1")).status_code == 400
    assert hashed == []


async def test_a_password_sharing_the_first_72_bytes_is_another_password(app: TestApp) -> None:
    """Row A11: 100 characters whose first 72 bytes equal a password are not that password."""
    short, long = "k" * 72, "k" * 72 + "z" * 28
    assert (await _create(app, "short@example.com", short)).status_code == 200
    assert (await _create(app, "long@example.com", long)).status_code == 200
    assert (await _login(app, "short@example.com", long)).status_code == 400
    assert (await _login(app, "long@example.com", short)).status_code == 400
    assert (await _login(app, "short@example.com", short)).status_code == 200
    assert (await _login(app, "long@example.com", long)).status_code == 200


async def test_a_pocketbase_bcrypt_hash_is_replaced_by_argon2id_at_login(app: TestApp) -> None:
    created = (await _create(app, "old@example.com", GOOD)).json()
    legacy = bcrypt.hashpw(b"from-pocketbase-1", bcrypt.gensalt(10, prefix=b"2a")).decode()
    await _store_hash(app, created["id"], legacy)
    before = await _stored(app, created["id"])
    token = (await _login(app, "old@example.com", "from-pocketbase-1")).json()["token"]
    after = await _stored(app, created["id"])
    assert after["password"].startswith("$argon2id$")
    assert after["tokenKey"] == before["tokenKey"]  # the same password: sessions stay
    assert after["updated"] == before["updated"]
    refresh = await app.client.post(
        "/api/collections/users/auth-refresh", headers={"Authorization": token}
    )
    assert refresh.status_code == 200
    assert (await _login(app, "old@example.com", "from-pocketbase-1")).status_code == 200
    assert (await _login(app, "old@example.com", GOOD)).status_code == 400


async def test_a_bcrypt_hash_only_sees_72_bytes_so_longer_passwords_fail(app: TestApp) -> None:
    created = (await _create(app, "old@example.com", GOOD)).json()
    first = "q" * 72
    legacy = bcrypt.hashpw(first.encode(), bcrypt.gensalt(10, prefix=b"2a")).decode()
    await _store_hash(app, created["id"], legacy)
    assert (
        await _login(app, "old@example.com", first + "tail-of-28-characters-more!!")
    ).status_code == 400
    assert (await _stored(app, created["id"]))["password"] == legacy
    assert (await _login(app, "old@example.com", first)).status_code == 200


@pytest.fixture
async def user(app: TestApp) -> dict[str, Any]:
    created = await _create(app, "u@example.com", GOOD)
    assert created.status_code == 200, created.text
    login = await _login(app, "u@example.com", GOOD)
    return {"id": created.json()["id"], "auth": {"Authorization": login.json()["token"]}}


CHANGES = [
    (
        {"password": "n3w-secret-2", "passwordConfirm": "n3w-secret-2"},
        "oldPassword",
        "validation_required",
    ),
    (
        {"password": "n3w-secret-2", "passwordConfirm": "n3w-secret-2", "oldPassword": "wrong"},
        "oldPassword",
        "validation_invalid_old_password",
    ),
    (
        {"password": "n3w-secret-2", "passwordConfirm": "other-one-3", "oldPassword": GOOD},
        "passwordConfirm",
        "validation_values_mismatch",
    ),
    (
        {"password": "password1", "passwordConfirm": "password1", "oldPassword": GOOD},
        "password",
        "validation_password_too_common",
    ),
    ({"oldPassword": GOOD}, "password", "validation_required"),
]


@pytest.mark.parametrize(
    ("body", "field", "code"),
    CHANGES,
    ids=[
        "without oldPassword",
        "a wrong oldPassword",
        "a mismatched confirm",
        "a common one",
        "only oldPassword",
    ],
)
async def test_changing_your_own_password_needs_the_old_one(
    app: TestApp, user: dict[str, Any], body: dict[str, str], field: str, code: str
) -> None:
    """Rows A12 and M2: nothing changes, every old token keeps working."""
    before = await _stored(app, user["id"])
    r = await app.client.patch(f"{USERS}/{user['id']}", headers=user["auth"], json=body)
    assert r.status_code == 400, r.text
    assert r.json()["data"][field]["code"] == code
    after = await _stored(app, user["id"])
    assert (after["password"], after["tokenKey"]) == (before["password"], before["tokenKey"])
    assert (await _login(app, "u@example.com", GOOD)).status_code == 200


async def test_fifty_wrong_old_passwords_change_nothing(app: TestApp, user: dict[str, Any]) -> None:
    body = {"password": "n3w-secret-2", "passwordConfirm": "n3w-secret-2"}
    before = await _stored(app, user["id"])
    codes = [
        (
            await app.client.patch(
                f"{USERS}/{user['id']}", headers=user["auth"], json={**body, "oldPassword": f"w{i}"}
            )
        ).status_code
        for i in range(50)
    ]
    # ten wrong guesses answer 400, the rest are throttled (row A12)
    assert codes == [400] * 10 + [429] * 40
    after = await _stored(app, user["id"])
    assert (after["password"], after["tokenKey"]) == (before["password"], before["tokenKey"])
    assert (await _login(app, "u@example.com", GOOD)).status_code == 200


@pytest.mark.parametrize(
    "body",
    [
        {"tokenKey": "x" * 50},
        {"password": "n3w-secret-2"},
        {"email": "v@example.com"},
        {"id": "newid0000000001"},
    ],
    ids=["tokenKey", "password alone", "email", "id"],
)
async def test_system_fields_cannot_be_set_by_the_owner(
    app: TestApp, user: dict[str, Any], body: dict[str, str]
) -> None:
    """Row M2: the token key, the password without the old one and the email stay."""
    before = await _stored(app, user["id"])
    await app.client.patch(f"{USERS}/{user['id']}", headers=user["auth"], json=body)
    after = await _stored(app, user["id"])
    for key in ("tokenKey", "password", "email"):
        assert after[key] == before[key], key


async def test_the_new_password_is_hashed_before_the_write_lock(
    app: TestApp, user: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    lock = app.backroom.raw_storage.engine.write_lock
    held: list[bool] = []
    real_hash, real_verify = app.backroom.hasher.hash, app.backroom.hasher.verify

    async def hash_(password: str) -> str:
        held.append(lock.locked())
        return await real_hash(password)

    async def verify(password: str, hashed: str) -> bool:
        held.append(lock.locked())
        return await real_verify(password, hashed)

    monkeypatch.setattr(app.backroom.hasher, "hash", hash_)
    monkeypatch.setattr(app.backroom.hasher, "verify", verify)
    change = {"password": "n3w-secret-2", "passwordConfirm": "n3w-secret-2", "oldPassword": GOOD}
    r = await app.client.patch(f"{USERS}/{user['id']}", headers=user["auth"], json=change)
    assert r.status_code == 200, r.text
    assert held == [False, False]  # one hash, one check of the old password, both unlocked
    assert (await _login(app, "u@example.com", "n3w-secret-2")).status_code == 200


async def test_a_guest_cannot_make_the_server_hash(
    app: TestApp, user: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[str] = []

    async def hash_(password: str) -> str:
        calls.append(password)
        return ""

    monkeypatch.setattr(app.backroom.hasher, "hash", hash_)
    change = {"password": "n3w-secret-2", "passwordConfirm": "n3w-secret-2", "oldPassword": GOOD}
    r = await app.client.patch(f"{USERS}/{user['id']}", json=change)
    assert r.status_code == 404
    assert calls == []


def _hash_threads() -> set[threading.Thread]:
    return {t for t in threading.enumerate() if t.name.startswith("br-hash")}


async def test_32_concurrent_logins_share_the_fixed_hashing_threads(
    app: TestApp, user: dict[str, Any]
) -> None:
    before = _hash_threads()
    logins = await asyncio.gather(*(_login(app, "u@example.com", GOOD) for _ in range(32)))
    assert [r.status_code for r in logins] == [200] * 32
    assert len(_hash_threads() - before) <= app.backroom.hasher.workers == 2


async def test_a_wrong_old_password_costs_no_new_hash(
    app: TestApp, user: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[str] = []
    real = app.backroom.hasher.hash

    async def hash_(password: str) -> str:
        calls.append(password)
        return await real(password)

    monkeypatch.setattr(app.backroom.hasher, "hash", hash_)
    change = {"password": "n3w-secret-2", "passwordConfirm": "n3w-secret-2", "oldPassword": "no"}
    r = await app.client.patch(f"{USERS}/{user['id']}", headers=user["auth"], json=change)
    assert r.status_code == 400
    assert calls == []


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"identity": "u" * 256, "password": GOOD}, "identity"),
        ({"identity": "u@example.com", "password": "p" * 1025}, "password"),
        ({"identity": "u@example.com", "password": "p" * (1 << 20)}, "password"),
    ],
    ids=["a 256-character identity", "a 1025-character password", "a 1 MB password"],
)
async def test_sign_in_refuses_oversized_input_before_hashing(
    app: TestApp,
    user: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
    body: dict[str, str],
    field: str,
) -> None:
    calls: list[int] = []
    real = app.backroom.hasher.verify

    async def verify(password: str, hashed: str) -> bool:
        calls.append(len(password))
        return await real(password, hashed)

    monkeypatch.setattr(app.backroom.hasher, "verify", verify)
    r = await app.client.post(LOGIN, json=body)
    assert r.status_code == 400
    assert r.json()["data"][field]["code"] == "validation_length_out_of_range"
    assert calls == []
