"""Multi-factor sign-in end to end: a first sign-in answers an ``mfaId``, a second one by
another method (password, a code read from a real SMTP server, OAuth2 through the local
OIDC provider) completes it once."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

import httpx
import pytest

from backroom.core.context import RequestContext
from backroom.core.services.mfa import MultiFactor
from backroom.errors import BadRequestError
from backroom.testing import TestApp, running_app
from backroom.testing.oauth2_provider import OAuth2TestProvider
from backroom.testing.smtp import MailCatcher

PASSWORD = "s3cret-pw-1"
EMAIL = "u@example.com"
REDIRECT = "http://localhost:5173/oauth-callback"
_EXPIRED = "Invalid or expired MFA session."


@pytest.fixture
async def app(tmp_path: Path, smtp: MailCatcher) -> AsyncIterator[TestApp]:
    async with running_app(tmp_path / "br_data") as test_app:
        await test_app.login()
        r = await test_app.client.patch(
            "/api/settings", headers=test_app.su(), json={"smtp": smtp.settings()}
        )
        assert r.status_code == 200, r.text
        await _options(test_app, "users", otp={"enabled": True}, mfa={"enabled": True})
        await _user(test_app, EMAIL)
        yield test_app


async def _options(app: TestApp, collection: str, **options: Any) -> dict[str, Any]:
    r = await app.client.patch(f"/api/collections/{collection}", headers=app.su(), json=options)
    assert r.status_code == 200, r.text
    return dict(r.json())


async def _user(app: TestApp, email: str, collection: str = "users", **extra: Any) -> str:
    body = {"email": email, "password": PASSWORD, "passwordConfirm": PASSWORD, **extra}
    r = await app.client.post(f"/api/collections/{collection}/records", headers=app.su(), json=body)
    assert r.status_code == 200, r.text
    return str(r.json()["id"])


async def _password(
    app: TestApp, email: str = EMAIL, collection: str = "users", **extra: Any
) -> httpx.Response:
    body = {"identity": email, "password": PASSWORD, **extra}
    return await app.client.post(f"/api/collections/{collection}/auth-with-password", json=body)


async def _otp(
    app: TestApp, smtp: MailCatcher, email: str = EMAIL, collection: str = "users", **extra: Any
) -> httpx.Response:
    """Ask for a code, read it from the mail, sign in with it."""
    seen = len(smtp.sent_to(email))
    r = await app.client.post(f"/api/collections/{collection}/request-otp", json={"email": email})
    assert r.status_code == 200, r.text
    mail = await smtp.next_mail(email, seen + 1)
    code = re.search(r"<strong>(\d+)</strong>", mail.html)
    assert code is not None, mail.html
    body = {"otpId": r.json()["otpId"], "password": code.group(1), **extra}
    return await app.client.post(f"/api/collections/{collection}/auth-with-otp", json=body)


def _mfa_id(r: httpx.Response) -> str:
    assert r.status_code == 401, r.text
    body = r.json()
    assert set(body) == {"mfaId"}
    assert re.fullmatch(r"[a-z0-9]{15}", body["mfaId"])
    return str(body["mfaId"])


def _refused(r: httpx.Response, message: str) -> None:
    assert r.status_code == 400, r.text
    assert r.json() == {"status": 400, "message": message, "data": {}}


async def _pending(app: TestApp) -> list[dict[str, Any]]:
    r = await app.client.get("/api/collections/_mfas/records", headers=app.su())
    assert r.status_code == 200, r.text
    return list(r.json()["items"])


async def test_password_then_a_mailed_code_signs_in(app: TestApp, smtp: MailCatcher) -> None:
    mfa_id = _mfa_id(await _password(app))
    [pending] = await _pending(app)
    assert (pending["id"], pending["method"], pending["collectionRef"]) == (
        mfa_id,
        "password",
        "_pb_users_auth_",
    )
    r = await _otp(app, smtp, mfaId=mfa_id)
    assert r.status_code == 200, r.text
    assert r.json()["record"]["email"] == EMAIL
    refresh = await app.client.post(
        "/api/collections/users/auth-refresh", headers={"Authorization": r.json()["token"]}
    )
    assert refresh.status_code == 200
    assert await _pending(app) == []
    _refused(await _password(app, mfaId=mfa_id), _EXPIRED)


async def test_a_code_then_the_password_by_query_signs_in(app: TestApp, smtp: MailCatcher) -> None:
    mfa_id = _mfa_id(await _otp(app, smtp))
    r = await app.client.post(
        "/api/collections/users/auth-with-password",
        params={"mfaId": mfa_id},
        json={"identity": EMAIL, "password": PASSWORD},
    )
    assert r.status_code == 200, r.text
    assert "token" in r.json()


async def test_the_same_method_twice_is_refused(app: TestApp) -> None:
    mfa_id = _mfa_id(await _password(app))
    _refused(await _password(app, mfaId=mfa_id), "A different authentication method is required.")
    assert [p["id"] for p in await _pending(app)] == [mfa_id]


async def test_a_wrong_second_password_is_a_failed_sign_in(app: TestApp, smtp: MailCatcher) -> None:
    mfa_id = _mfa_id(await _otp(app, smtp))
    r = await app.client.post(
        "/api/collections/users/auth-with-password",
        json={"identity": EMAIL, "password": "not-the-password", "mfaId": mfa_id},
    )
    _refused(r, "Failed to authenticate.")
    assert [p["id"] for p in await _pending(app)] == [mfa_id]


@pytest.mark.parametrize(
    ("mfa_id", "message"),
    [
        ("nonexistent1234", _EXPIRED),
        ("x" * 5000, _EXPIRED),
        (123, "Failed to read MFA Id."),
        (["a"], "Failed to read MFA Id."),
    ],
    ids=["unknown", "long", "number", "list"],
)
async def test_unusable_ids_are_refused(
    app: TestApp, smtp: MailCatcher, mfa_id: Any, message: str
) -> None:
    _refused(await _otp(app, smtp, mfaId=mfa_id), message)


async def test_another_accounts_first_sign_in_is_refused(app: TestApp, smtp: MailCatcher) -> None:
    await _user(app, "other@example.com")
    theirs = _mfa_id(await _password(app, "other@example.com"))
    _refused(await _otp(app, smtp, mfaId=theirs), "Invalid MFA session.")
    assert [p["id"] for p in await _pending(app)] == [theirs]


async def test_another_collections_first_sign_in_is_refused(
    app: TestApp, smtp: MailCatcher
) -> None:
    body = {"name": "members", "type": "auth", "otp": {"enabled": True}, "mfa": {"enabled": True}}
    r = await app.client.post("/api/collections", headers=app.su(), json=body)
    assert r.status_code == 200, r.text
    await _user(app, "m@example.com", "members")
    theirs = _mfa_id(await _password(app, "m@example.com", "members"))
    _refused(await _otp(app, smtp, mfaId=theirs), "Invalid MFA session.")


async def test_an_expired_first_sign_in_is_refused_and_deleted(
    app: TestApp, smtp: MailCatcher
) -> None:
    await _options(app, "users", mfa={"duration": 10})
    mfa_id = _mfa_id(await _password(app))
    mfas = app.backroom.schema.get("_mfas")
    assert mfas is not None
    async with app.backroom.storage.transaction() as tx:
        row = await tx.get_record(mfas, mfa_id)
        assert row is not None
        row["created"] = "2020-01-01 00:00:00.000Z"
        await tx.update_record(mfas, mfa_id, row)
    _refused(await _otp(app, smtp, mfaId=mfa_id), _EXPIRED)
    assert await _pending(app) == []


async def test_a_second_sign_in_completes_once_under_concurrency(
    app: TestApp, smtp: MailCatcher
) -> None:
    """Row A5: twenty second sign-ins with one ``mfaId`` at once, exactly one gets in."""
    mfa_id = _mfa_id(await _otp(app, smtp))
    answers = await asyncio.gather(*(_password(app, mfaId=mfa_id) for _ in range(20)))
    statuses = sorted(r.status_code for r in answers)
    assert statuses == [200] + [400] * 19, [r.text for r in answers]
    assert {r.json()["message"] for r in answers if r.status_code == 400} == {_EXPIRED}


@pytest.mark.parametrize(
    ("rule", "verified", "challenged"),
    [
        ("verified = true", True, True),
        ("verified = true", False, False),
        ("@request.context = 'password'", False, True),
        ("@request.context = 'otp'", False, False),
        ("@request.auth.id != ''", True, False),  # the caller is a guest, not the record
    ],
)
async def test_the_rule_picks_who_is_asked(
    app: TestApp, rule: str, verified: bool, challenged: bool
) -> None:
    await _options(app, "users", mfa={"rule": rule})
    await _user(app, "r@example.com", verified=verified)
    r = await _password(app, "r@example.com")
    assert r.status_code == (401 if challenged else 200), r.text


async def test_the_auth_rule_is_checked_first(app: TestApp) -> None:
    await _options(app, "users", authRule="verified = true")
    r = await _password(app)
    assert r.status_code == 403, r.text
    assert await _pending(app) == []


async def test_without_mfa_an_mfa_id_is_ignored(app: TestApp) -> None:
    await _options(app, "users", mfa={"enabled": False})
    r = await _password(app, mfaId=123)
    assert r.status_code == 200, r.text


async def test_impersonation_and_refresh_are_not_asked(app: TestApp) -> None:
    users = await app.client.get("/api/collections/users/records", headers=app.su())
    rid = users.json()["items"][0]["id"]
    r = await app.client.post(
        f"/api/collections/users/impersonate/{rid}", headers=app.su(), json={}
    )
    assert r.status_code == 200, r.text
    refresh = await app.client.post(
        "/api/collections/users/auth-refresh", headers={"Authorization": r.json()["token"]}
    )
    assert refresh.status_code == 200, refresh.text


async def test_a_new_password_ends_first_sign_ins(app: TestApp, smtp: MailCatcher) -> None:
    mfa_id = _mfa_id(await _password(app))
    [user] = (await app.client.get("/api/collections/users/records", headers=app.su())).json()[
        "items"
    ]
    other = {"name": "Ulla"}
    r = await app.client.patch(
        f"/api/collections/users/records/{user['id']}", headers=app.su(), json=other
    )
    assert r.status_code == 200
    assert [p["id"] for p in await _pending(app)] == [mfa_id]
    new = {"password": "another-pw-2", "passwordConfirm": "another-pw-2"}
    r = await app.client.patch(
        f"/api/collections/users/records/{user['id']}", headers=app.su(), json=new
    )
    assert r.status_code == 200, r.text
    assert await _pending(app) == []
    _refused(await _otp(app, smtp, mfaId=mfa_id), _EXPIRED)


async def test_a_deleted_account_takes_its_pending_sign_ins(
    app: TestApp, smtp: MailCatcher
) -> None:
    _mfa_id(await _password(app))
    r = await app.client.post("/api/collections/users/request-otp", json={"email": EMAIL})
    assert r.status_code == 200
    await smtp.next_mail(EMAIL)
    users = await app.client.get("/api/collections/users/records", headers=app.su())
    rid = users.json()["items"][0]["id"]
    r = await app.client.delete(f"/api/collections/users/records/{rid}", headers=app.su())
    assert r.status_code == 204
    assert await _pending(app) == []
    otps = await app.client.get("/api/collections/_otps/records", headers=app.su())
    assert otps.json()["items"] == []


async def test_a_new_email_ends_mailed_codes_only(app: TestApp, smtp: MailCatcher) -> None:
    mfa_id = _mfa_id(await _password(app))
    r = await app.client.post("/api/collections/users/request-otp", json={"email": EMAIL})
    await smtp.next_mail(EMAIL)
    users = await app.client.get("/api/collections/users/records", headers=app.su())
    rid = users.json()["items"][0]["id"]
    r = await app.client.patch(
        f"/api/collections/users/records/{rid}", headers=app.su(), json={"email": "n@example.com"}
    )
    assert r.status_code == 200, r.text
    otps = await app.client.get("/api/collections/_otps/records", headers=app.su())
    assert otps.json()["items"] == []
    assert [p["id"] for p in await _pending(app)] == [mfa_id]


async def test_superusers_can_be_asked_for_a_second_sign_in(
    app: TestApp, smtp: MailCatcher
) -> None:
    su_email = "admin@example.com"
    await _options(app, "_superusers", otp={"enabled": True}, mfa={"enabled": True})
    # changing the superusers' options keeps the signed-in superuser signed in
    assert (await app.client.get("/api/collections", headers=app.su())).status_code == 200
    first = await app.client.post(
        "/api/collections/_superusers/auth-with-password",
        json={"identity": su_email, "password": PASSWORD},
    )
    mfa_id = _mfa_id(first)
    r = await _otp(app, smtp, su_email, "_superusers", mfaId=mfa_id)
    assert r.status_code == 200, r.text
    r = await app.client.get("/api/collections", headers={"Authorization": r.json()["token"]})
    assert r.status_code == 200


@pytest.fixture
def provider() -> Any:
    with OAuth2TestProvider() as p:
        yield p


async def _oauth2(
    app: TestApp, provider: OAuth2TestProvider, collection: str = "users", **extra: Any
) -> httpx.Response:
    methods = (await app.client.get(f"/api/collections/{collection}/auth-methods")).json()
    entry = methods["oauth2"]["providers"][0]
    consent = httpx.get(entry["authURL"] + quote(REDIRECT, safe=""))
    code = parse_qs(urlsplit(consent.headers["location"]).query)["code"][0]
    body = {
        "provider": "oidc",
        "code": code,
        "codeVerifier": entry["codeVerifier"],
        "redirectURL": REDIRECT,
        **extra,
    }
    return await app.client.post(f"/api/collections/{collection}/auth-with-oauth2", json=body)


async def _with_oidc(app: TestApp, provider: OAuth2TestProvider) -> None:
    oidc = {
        "name": "oidc",
        "clientId": provider.client_id,
        "clientSecret": provider.client_secret,
        "authURL": f"{provider.url}/authorize",
        "tokenURL": f"{provider.url}/token",
        "userInfoURL": f"{provider.url}/userinfo",
    }
    await _options(app, "users", oauth2={"enabled": True, "providers": [oidc]})


async def test_password_then_oauth2(
    app: TestApp, provider: OAuth2TestProvider, smtp: MailCatcher
) -> None:
    await _with_oidc(app, provider)
    await _user(app, "v@example.com", verified=True)
    provider.sign_in_as({"sub": "v-1", "email": "v@example.com", "email_verified": True})
    mfa_id = _mfa_id(await _password(app, "v@example.com"))
    r = await _oauth2(app, provider, mfaId=mfa_id)
    assert r.status_code == 200, r.text
    assert set(r.json()) == {"token", "record", "meta"}
    assert r.json()["record"]["email"] == "v@example.com"


async def test_a_new_oauth2_account_then_a_mailed_code(
    app: TestApp, provider: OAuth2TestProvider, smtp: MailCatcher
) -> None:
    """The account and its link are made by the first sign-in, as in PocketBase."""
    await _with_oidc(app, provider)
    provider.sign_in_as({"sub": "n-1", "email": "new@example.com", "email_verified": True})
    mfa_id = _mfa_id(await _oauth2(app, provider))
    _refused(
        await _oauth2(app, provider, mfaId=mfa_id),
        "A different authentication method is required.",
    )
    r = await _otp(app, smtp, "new@example.com", mfaId=mfa_id)
    assert r.status_code == 200, r.text
    assert r.json()["record"]["email"] == "new@example.com"


class _LookTogether:
    """The app's storage, except that every lookup waits until all racers have looked:
    each of them then sees the first sign-in still pending."""

    def __init__(self, storage: Any, racers: int) -> None:
        self._storage = storage
        self._barrier = asyncio.Barrier(racers)

    async def get_records(self, collection: Any, ids: Any) -> Any:
        found = await self._storage.get_records(collection, ids)
        await self._barrier.wait()
        return found

    def __getattr__(self, name: str) -> Any:
        return getattr(self._storage, name)


async def test_the_second_step_completes_once_when_all_look_first(
    app: TestApp, smtp: MailCatcher
) -> None:
    """Row A5 at the point of the race: twenty second sign-ins that all found the pending
    row before any of them deleted it; the transaction lets exactly one through."""
    mfa_id = _mfa_id(await _otp(app, smtp))
    b = app.backroom
    users = b.schema.get("users")
    assert users is not None
    record = await b.storage.find_by_field(users, "email", EMAIL)
    assert record is not None
    racing = MultiFactor(b.schema, _LookTogether(b.storage, 20), b.access, b.clock)
    ctx = RequestContext(method="POST", body={"mfaId": mfa_id})

    async def second() -> str:
        try:
            await racing.check(ctx, users, record, "password")
        except BadRequestError as err:
            return err.message
        return "signed in"

    outcomes = await asyncio.gather(*(second() for _ in range(20)))
    assert sorted(outcomes) == [_EXPIRED] * 19 + ["signed in"]


async def test_accounts_see_only_their_own_pending_sign_ins_and_change_none(
    app: TestApp,
) -> None:
    """Row R6 for ``_mfas``: view own, never another's; no one but superusers writes."""
    mine = _mfa_id(await _password(app))
    other_id = await _user(app, "other@example.com")
    theirs = _mfa_id(await _password(app, "other@example.com"))
    users = await app.client.get(
        "/api/collections/users/records", headers=app.su(), params={"filter": f"email='{EMAIL}'"}
    )
    rid = users.json()["items"][0]["id"]
    r = await app.client.post(f"/api/collections/users/impersonate/{rid}", headers=app.su())
    me = {"Authorization": r.json()["token"]}
    base = "/api/collections/_mfas/records"
    listed = await app.client.get(base, headers=me)
    assert [item["id"] for item in listed.json()["items"]] == [mine]
    assert (await app.client.get(f"{base}/{mine}", headers=me)).status_code == 200
    assert (await app.client.get(f"{base}/{theirs}", headers=me)).status_code == 404
    assert (await app.client.get(f"{base}/{mine}")).status_code == 404
    for target in (mine, theirs):
        r = await app.client.patch(f"{base}/{target}", headers=me, json={"method": "otp"})
        assert r.status_code == 403, r.text
        assert (await app.client.delete(f"{base}/{target}", headers=me)).status_code == 403
    body = {"collectionRef": "_pb_users_auth_", "recordRef": other_id, "method": "otp"}
    assert (await app.client.post(base, headers=me, json=body)).status_code == 403
    assert sorted(p["id"] for p in await _pending(app)) == sorted([mine, theirs])
    assert all(p["method"] == "password" for p in await _pending(app))
