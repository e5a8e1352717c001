"""Where accounts sign in from (``_authOrigins``) and the login-alert mail, through a real
SMTP server; ``mail.drain()`` makes "no mail was sent" a fact, not a wait."""

from __future__ import annotations

import asyncio
import hashlib
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

import httpx
import pytest

from backroom.core.context import RequestContext
from backroom.core.services.auth_origins import MAX_ORIGINS
from backroom.testing import TestApp, running_app
from backroom.testing.oauth2_provider import OAuth2TestProvider
from backroom.testing.smtp import MailCatcher

PASSWORD = "s3cret-pw-1"
USERS = "/api/collections/users"
ORIGINS = "/api/collections/_authOrigins"
ALERT = "Login from a new location"
REDIRECT = "http://localhost:5173/oauth-callback"


@pytest.fixture
async def app(tmp_path: Path, smtp: MailCatcher) -> AsyncIterator[TestApp]:
    async with running_app(tmp_path / "br_data") as test_app:
        await test_app.login()
        settings = {"smtp": smtp.settings(), "meta": {"appName": "Shop"}}
        r = await test_app.client.patch("/api/settings", headers=test_app.su(), json=settings)
        assert r.status_code == 200
        yield test_app


def fingerprint(agent: str, ip: str = "127.0.0.1") -> str:
    return hashlib.md5((ip + agent).encode()).hexdigest()


async def user(app: TestApp, email: str = "u@example.com", **extra: Any) -> str:
    body = {"email": email, "password": PASSWORD, "passwordConfirm": PASSWORD, **extra}
    r = await app.client.post(f"{USERS}/records", headers=app.su(), json=body)
    assert r.status_code == 200, r.text
    return str(r.json()["id"])


async def login(
    app: TestApp, agent: str, email: str = "u@example.com", password: str = PASSWORD
) -> dict[str, Any]:
    r = await app.client.post(
        f"{USERS}/auth-with-password",
        headers={"User-Agent": agent},
        json={"identity": email, "password": password},
    )
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


async def origins(app: TestApp, record_id: str) -> list[dict[str, Any]]:
    r = await app.client.get(
        f"{ORIGINS}/records",
        headers=app.su(),
        params={"filter": f"recordRef = '{record_id}'", "sort": "created", "perPage": 100},
    )
    assert r.status_code == 200, r.text
    items: list[dict[str, Any]] = r.json()["items"]
    return items


async def alerts(app: TestApp, smtp: MailCatcher, to: str = "u@example.com") -> list[str]:
    """The text of every login alert ``to`` got, once every mail under way is sent."""
    await app.backroom.mail.drain()
    return [m.text for m in smtp.sent_to(to) if m.subject == ALERT]


async def test_the_first_sign_in_is_noted_without_an_alert(app: TestApp, smtp: MailCatcher) -> None:
    rid = await user(app)
    await login(app, "phone")
    found = await origins(app, rid)
    assert [(o["collectionRef"], o["recordRef"]) for o in found] == [("_pb_users_auth_", rid)]
    assert found[0]["fingerprint"] == fingerprint("phone")
    assert await alerts(app, smtp) == []


async def test_a_new_place_is_alerted_once_and_a_known_one_never(
    app: TestApp, smtp: MailCatcher
) -> None:
    rid = await user(app)
    await login(app, "phone")
    await login(app, "laptop <b>")
    texts = await alerts(app, smtp)
    assert len(texts) == 1
    assert re.search(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}Z - 127\.0\.0\.1 laptop <b>", texts[0])
    mail = smtp.sent_to("u@example.com")[0]
    assert "laptop &lt;b&gt;" in mail.html  # the client's words are escaped in the HTML
    assert "Shop" in mail.text
    before = {o["fingerprint"]: o["updated"] for o in await origins(app, rid)}
    await login(app, "phone")
    await login(app, "laptop <b>")
    assert len(await alerts(app, smtp)) == 1
    after = {o["fingerprint"]: o["updated"] for o in await origins(app, rid)}
    assert set(after) == {fingerprint("phone"), fingerprint("laptop <b>")}
    assert after[fingerprint("phone")] > before[fingerprint("phone")]


async def test_a_long_user_agent_is_cut_as_pocketbase_cuts_it(
    app: TestApp, smtp: MailCatcher
) -> None:
    rid = await user(app)
    await login(app, "y" * 200)
    await login(app, "y" * 201)
    assert [o["fingerprint"] for o in await origins(app, rid)] == [
        fingerprint("y" * 200),
        fingerprint("y" * 200 + "..."),
    ]
    (text,) = await alerts(app, smtp)
    assert "y" * 200 + "..." in text


async def test_only_the_five_newest_origins_are_kept(app: TestApp, smtp: MailCatcher) -> None:
    rid = await user(app)
    for agent in "abcde":
        await login(app, agent)
    await login(app, "a")  # seen again, but still the oldest
    await login(app, "f")
    kept = {o["fingerprint"] for o in await origins(app, rid)}
    assert len(kept) == MAX_ORIGINS
    assert kept == {fingerprint(a) for a in "bcdef"}
    assert len(await alerts(app, smtp)) == 5


async def test_two_sign_ins_from_one_new_place_at_once_alert_once(
    app: TestApp, smtp: MailCatcher
) -> None:
    rid = await user(app)
    await login(app, "phone")
    await asyncio.gather(*(login(app, "tablet") for _ in range(4)))
    assert len(await origins(app, rid)) == 2
    assert len(await alerts(app, smtp)) == 1


async def test_no_origins_and_no_alerts_while_alerts_are_off(
    app: TestApp, smtp: MailCatcher
) -> None:
    r = await app.client.patch(USERS, headers=app.su(), json={"authAlert": {"enabled": False}})
    assert r.status_code == 200, r.text
    assert r.json()["authAlert"]["emailTemplate"]["subject"] == ALERT
    rid = await user(app)
    await login(app, "phone")
    await login(app, "laptop")
    assert await origins(app, rid) == []
    assert await alerts(app, smtp) == []


async def test_an_account_without_email_gets_no_alert(app: TestApp, smtp: MailCatcher) -> None:
    users = (await app.client.get(USERS, headers=app.su())).json()
    fields = users["fields"]
    for f in fields:
        if f["name"] == "email":
            f["required"] = False
    r = await app.client.patch(
        USERS,
        headers=app.su(),
        json={
            "fields": [*fields, {"name": "username", "type": "text"}],
            "indexes": [*users["indexes"], "CREATE UNIQUE INDEX idx_un ON users (username)"],
            "passwordAuth": {"identityFields": ["email", "username"]},
        },
    )
    assert r.status_code == 200, r.text
    rid = await user(app, "", username="nomail")
    await login(app, "phone", "nomail")
    await login(app, "laptop", "nomail")
    assert len(await origins(app, rid)) == 2
    await app.backroom.mail.drain()
    assert smtp.mails == []


@pytest.mark.parametrize("by", ["owner", "superuser"])
async def test_a_password_change_forgets_every_origin(
    app: TestApp, smtp: MailCatcher, by: str
) -> None:
    rid = await user(app)
    auth = await login(app, "phone")
    await login(app, "laptop")
    r = await app.client.patch(f"{USERS}/records/{rid}", headers=app.su(), json={"name": "kept"})
    assert r.status_code == 200, r.text
    assert len(await origins(app, rid)) == 2  # other changes keep them
    body: dict[str, Any] = {"password": "n3w-password-2", "passwordConfirm": "n3w-password-2"}
    headers = app.su()
    if by == "owner":
        body["oldPassword"] = PASSWORD
        headers = {"Authorization": auth["token"]}
    r = await app.client.patch(f"{USERS}/records/{rid}", headers=headers, json=body)
    assert r.status_code == 200, r.text
    assert await origins(app, rid) == []
    await login(app, "tablet", password="n3w-password-2")  # a first sign-in again
    assert len(await alerts(app, smtp)) == 1  # the laptop's, before the change


async def test_a_password_reset_forgets_every_origin(app: TestApp, smtp: MailCatcher) -> None:
    rid = await user(app)
    await login(app, "phone")
    r = await app.client.post(f"{USERS}/request-password-reset", json={"email": "u@example.com"})
    assert r.status_code == 204
    mail = await smtp.next_mail("u@example.com")
    token = re.search(r"confirm-password-reset/([\w.-]+)", mail.html)
    assert token is not None
    reset = {"token": token.group(1), "password": "n3w-password-2", "passwordConfirm": "n3w-pass"}
    reset["passwordConfirm"] = reset["password"]
    r = await app.client.post(f"{USERS}/confirm-password-reset", json=reset)
    assert r.status_code == 204, r.text
    assert await origins(app, rid) == []


async def test_refresh_and_impersonation_note_nothing(app: TestApp, smtp: MailCatcher) -> None:
    rid = await user(app)
    auth = await login(app, "phone")
    r = await app.client.post(
        f"{USERS}/auth-refresh", headers={"Authorization": auth["token"], "User-Agent": "other"}
    )
    assert r.status_code == 200
    r = await app.client.post(
        f"{USERS}/impersonate/{rid}", headers={**app.su(), "User-Agent": "admin"}, json={}
    )
    assert r.status_code == 200, r.text
    assert [o["fingerprint"] for o in await origins(app, rid)] == [fingerprint("phone")]
    assert await alerts(app, smtp) == []


async def test_an_otp_sign_in_from_a_new_place_is_alerted(app: TestApp, smtp: MailCatcher) -> None:
    r = await app.client.patch(USERS, headers=app.su(), json={"otp": {"enabled": True}})
    assert r.status_code == 200
    rid = await user(app)
    await login(app, "phone")
    r = await app.client.post(f"{USERS}/request-otp", json={"email": "u@example.com"})
    otp_id = r.json()["otpId"]
    mail = await smtp.next_mail("u@example.com")
    code = re.search(r"<strong>(\d+)</strong>", mail.html)
    assert code is not None
    r = await app.client.post(
        f"{USERS}/auth-with-otp",
        headers={"User-Agent": "kiosk"},
        json={"otpId": otp_id, "password": code.group(1)},
    )
    assert r.status_code == 200, r.text
    assert {o["fingerprint"] for o in await origins(app, rid)} == {
        fingerprint("phone"),
        fingerprint("kiosk"),
    }
    (text,) = await alerts(app, smtp)
    assert "127.0.0.1 kiosk" in text


async def test_a_refused_sign_in_notes_nothing(app: TestApp, smtp: MailCatcher) -> None:
    rid = await user(app)
    await login(app, "phone")
    r = await app.client.post(
        f"{USERS}/auth-with-password",
        headers={"User-Agent": "thief"},
        json={"identity": "u@example.com", "password": "wrong-password"},
    )
    assert r.status_code == 400
    r = await app.client.patch(USERS, headers=app.su(), json={"authRule": "verified = true"})
    assert r.status_code == 200
    r = await app.client.post(
        f"{USERS}/auth-with-password",
        headers={"User-Agent": "thief"},
        json={"identity": "u@example.com", "password": PASSWORD},
    )
    assert r.status_code == 403
    assert len(await origins(app, rid)) == 1
    assert await alerts(app, smtp) == []


async def test_superusers_are_alerted_too(app: TestApp, smtp: MailCatcher) -> None:
    for agent in ("desk", "cafe"):
        r = await app.client.post(
            "/api/collections/_superusers/auth-with-password",
            headers={"User-Agent": agent},
            json={"identity": "admin@example.com", "password": PASSWORD},
        )
        assert r.status_code == 200
    # the fixture signed in first, from the test client
    texts = await alerts(app, smtp, "admin@example.com")
    places = sorted(m.group(1) for t in texts if (m := re.search(r"127\.0\.0\.1 (\w+)", t)))
    assert places == ["cafe", "desk"]


async def test_owners_list_and_delete_only_their_own_origins(app: TestApp) -> None:
    mine, theirs = await user(app), await user(app, "t@example.com")
    me = {"Authorization": (await login(app, "phone"))["token"]}
    them = {"Authorization": (await login(app, "pc", "t@example.com"))["token"]}
    r = await app.client.get(f"{ORIGINS}/records", headers=me)
    assert [o["recordRef"] for o in r.json()["items"]] == [mine]
    theirs_id = (await origins(app, theirs))[0]["id"]
    mine_id = (await origins(app, mine))[0]["id"]
    assert (await app.client.get(f"{ORIGINS}/records/{theirs_id}", headers=me)).status_code == 404
    assert (
        await app.client.delete(f"{ORIGINS}/records/{theirs_id}", headers=me)
    ).status_code == 404
    body = {"collectionRef": "_pb_users_auth_", "recordRef": mine, "fingerprint": "x"}
    r = await app.client.post(f"{ORIGINS}/records", headers=me, json=body)
    assert (r.status_code, r.json()["message"]) == (403, "Only superusers can perform this action.")
    r = await app.client.patch(f"{ORIGINS}/records/{mine_id}", headers=me, json=body)
    assert r.status_code == 403
    assert (await app.client.get(f"{ORIGINS}/records")).json()["items"] == []
    assert (await app.client.delete(f"{ORIGINS}/records/{mine_id}", headers=me)).status_code == 204
    assert await origins(app, mine) == []
    assert len(await origins(app, theirs)) == 1
    r = await app.client.get(f"{ORIGINS}/records", headers=them)
    assert r.json()["totalItems"] == 1


async def test_origins_go_with_their_record_and_their_collection(app: TestApp) -> None:
    rid = await user(app)
    await login(app, "phone")
    assert (await app.client.delete(f"{USERS}/records/{rid}", headers=app.su())).status_code == 204
    assert await origins(app, rid) == []
    for action in ("truncate", "delete"):
        body = {"name": f"members_{action}", "type": "auth", "createRule": ""}
        r = await app.client.post("/api/collections", headers=app.su(), json=body)
        assert r.status_code == 200, r.text
        account = {"email": "m@example.com", "password": PASSWORD, "passwordConfirm": PASSWORD}
        r = await app.client.post(f"/api/collections/{body['name']}/records", json=account)
        member = r.json()["id"]
        r = await app.client.post(
            f"/api/collections/{body['name']}/auth-with-password",
            json={"identity": "m@example.com", "password": PASSWORD},
        )
        assert r.status_code == 200
        assert len(await origins(app, member)) == 1
        path = f"/api/collections/{body['name']}" + ("/truncate" if action == "truncate" else "")
        assert (await app.client.delete(path, headers=app.su())).status_code == 204
        assert await origins(app, member) == []


async def test_an_oauth2_takeover_mails_the_notice_and_no_other_alert(
    app: TestApp, smtp: MailCatcher
) -> None:
    with OAuth2TestProvider() as provider:
        oidc = {
            "name": "oidc",
            "clientId": provider.client_id,
            "clientSecret": provider.client_secret,
            "authURL": f"{provider.url}/authorize",
            "tokenURL": f"{provider.url}/token",
            "userInfoURL": f"{provider.url}/userinfo",
        }
        body = {"oauth2": {"enabled": True, "providers": [oidc]}}
        assert (await app.client.patch(USERS, headers=app.su(), json=body)).status_code == 200
        r = await app.client.post(
            f"{USERS}/records",
            json={"email": "u@example.com", "password": PASSWORD, "passwordConfirm": PASSWORD},
        )
        rid = r.json()["id"]
        await login(app, "squatter")
        await login(app, "squatter-laptop")
        assert len(await alerts(app, smtp)) == 1  # to the mailbox the squatter cannot read
        provider.sign_in_as({"sub": "owner", "email": "u@example.com", "email_verified": True})
        methods = (await app.client.get(f"{USERS}/auth-methods")).json()
        entry = methods["oauth2"]["providers"][0]
        async with httpx.AsyncClient() as browser:
            consent = await browser.get(entry["authURL"] + quote(REDIRECT, safe=""))
        code = parse_qs(urlsplit(consent.headers["location"]).query)["code"][0]
        r = await app.client.post(
            f"{USERS}/auth-with-oauth2",
            headers={"User-Agent": "owner"},
            json={
                "provider": "oidc",
                "code": code,
                "codeVerifier": entry["codeVerifier"],
                "redirectURL": REDIRECT,
            },
        )
        assert r.status_code == 200, r.text
    assert r.json()["record"]["verified"] is True
    texts = await alerts(app, smtp)
    assert len(texts) == 2
    assert "127.0.0.1 owner (signed in with oidc; the password this account had" in texts[1]
    assert [o["fingerprint"] for o in await origins(app, rid)] == [fingerprint("owner")]
    r = await app.client.post(
        f"{USERS}/auth-with-password", json={"identity": "u@example.com", "password": PASSWORD}
    )
    assert r.status_code == 400


async def test_the_takeover_notice_follows_the_alert_switch(
    app: TestApp, smtp: MailCatcher
) -> None:
    off = {"authAlert": {"enabled": False}}
    assert (await app.client.patch(USERS, headers=app.su(), json=off)).status_code == 200
    c = app.backroom.schema.get("users")
    assert c is not None
    record = {"id": "x", "email": "u@example.com"}
    await app.backroom.oauth2.notices.unverified_account_taken_over(
        RequestContext(client_ip="127.0.0.1"), c, record, "oidc"
    )
    await app.backroom.mail.drain()
    assert smtp.mails == []
