"""Login alerts against the real ``backroom serve`` over TCP, mailing a real SMTP server,
with OAuth2 through the local OIDC provider: a sign-in from a new device mails the owner,
and an OAuth2 sign-in that takes over an unverified account mails a notice (row O1)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

import httpx
import pytest
from _server import PASSWORD, backroom_server

from backroom.testing.oauth2_provider import OAuth2TestProvider
from backroom.testing.smtp import MailCatcher

pytestmark = pytest.mark.e2e

USERS = "/api/collections/users"
REDIRECT = "http://localhost:5173/oauth-callback"
ALERT = "Login from a new location"


@pytest.fixture(scope="module")
def mailbox() -> Iterator[MailCatcher]:
    with MailCatcher() as smtp:
        yield smtp


@pytest.fixture(scope="module")
def provider() -> Iterator[OAuth2TestProvider]:
    with OAuth2TestProvider() as p:
        yield p


@pytest.fixture(scope="module")
def server(
    tmp_path_factory: pytest.TempPathFactory, mailbox: MailCatcher, provider: OAuth2TestProvider
) -> Iterator[tuple[httpx.Client, dict[str, str]]]:
    with (
        backroom_server(tmp_path_factory.mktemp("alerts") / "br_data") as srv,
        httpx.Client(base_url=srv.base, timeout=10) as client,
    ):
        su = srv.su()
        settings = {"smtp": mailbox.settings(), "meta": {"appName": "Shop"}}
        assert client.patch("/api/settings", headers=su, json=settings).status_code == 200
        oidc = {
            "name": "oidc",
            "clientId": provider.client_id,
            "clientSecret": provider.client_secret,
            "authURL": f"{provider.url}/authorize",
            "tokenURL": f"{provider.url}/token",
            "userInfoURL": f"{provider.url}/userinfo",
        }
        body = {"oauth2": {"enabled": True, "providers": [oidc]}}
        assert client.patch(USERS, headers=su, json=body).status_code == 200
        yield client, su


def _fingerprint(agent: str) -> str:
    return hashlib.md5(f"127.0.0.1{agent}".encode()).hexdigest()


def _sign_up(http: httpx.Client, email: str) -> str:
    body = {"email": email, "password": PASSWORD, "passwordConfirm": PASSWORD}
    r = http.post(f"{USERS}/records", json=body)
    assert r.status_code == 200, r.text
    return str(r.json()["id"])


def _login(http: httpx.Client, email: str, agent: str, password: str = PASSWORD) -> httpx.Response:
    return http.post(
        f"{USERS}/auth-with-password",
        headers={"User-Agent": agent},
        json={"identity": email, "password": password},
    )


def _own_origins(http: httpx.Client, token: str) -> list[str]:
    r = http.get("/api/collections/_authOrigins/records", headers={"Authorization": token})
    assert r.status_code == 200, r.text
    return sorted(o["fingerprint"] for o in r.json()["items"])


def _alerts(mailbox: MailCatcher, to: str) -> list[str]:
    return [m.text for m in mailbox.sent_to(to) if m.subject == ALERT]


def test_a_new_device_is_alerted_and_a_password_change_starts_over(
    server: tuple[httpx.Client, dict[str, str]], mailbox: MailCatcher
) -> None:
    http, _ = server
    email = "ann@example.com"
    _sign_up(http, email)
    phone = _login(http, email, "Phone/1.0")
    assert phone.status_code == 200
    assert _login(http, email, "Laptop/2.0").status_code == 200
    (alert,) = mailbox.wait_for(email, containing="Laptop/2.0")
    assert alert.subject == ALERT
    assert "Your Shop account was just used from a new location" in alert.text
    assert "- 127.0.0.1 Laptop/2.0" in alert.text
    token = phone.json()["token"]
    assert _own_origins(http, token) == sorted(map(_fingerprint, ["Phone/1.0", "Laptop/2.0"]))

    change = {"oldPassword": PASSWORD, "password": "n3w-pass-2", "passwordConfirm": "n3w-pass-2"}
    rid = phone.json()["record"]["id"]
    r = http.patch(f"{USERS}/records/{rid}", headers={"Authorization": token}, json=change)
    assert r.status_code == 200, r.text
    tablet = _login(http, email, "Tablet/3.0", "n3w-pass-2")  # a first sign-in again: no alert
    assert tablet.status_code == 200
    assert _own_origins(http, tablet.json()["token"]) == [_fingerprint("Tablet/3.0")]
    assert _login(http, email, "Desk/4.0", "n3w-pass-2").status_code == 200
    mailbox.wait_for(email, containing="Desk/4.0")
    alerts = _alerts(mailbox, email)
    assert len(alerts) == 2
    assert not any("Tablet/3.0" in text for text in alerts)


def test_alerts_can_be_turned_off(
    server: tuple[httpx.Client, dict[str, str]], mailbox: MailCatcher
) -> None:
    http, su = server
    off = {"authAlert": {"enabled": False}}
    assert http.patch(USERS, headers=su, json=off).status_code == 200
    try:
        _sign_up(http, "bob@example.com")
        first = _login(http, "bob@example.com", "Phone/1.0")
        assert _login(http, "bob@example.com", "Laptop/2.0").status_code == 200
        assert _own_origins(http, first.json()["token"]) == []
    finally:
        on = {"authAlert": {"enabled": True}}
        assert http.patch(USERS, headers=su, json=on).status_code == 200
    # with alerts on again, the next sign-in is the first one noted: still no mail
    assert _login(http, "bob@example.com", "Tablet/3.0").status_code == 200
    assert _login(http, "bob@example.com", "Desk/4.0").status_code == 200
    mailbox.wait_for("bob@example.com", containing="Desk/4.0")
    assert len(_alerts(mailbox, "bob@example.com")) == 1


def _oauth2_sign_in(
    http: httpx.Client, provider: OAuth2TestProvider, profile: dict[str, Any], agent: str
) -> httpx.Response:
    provider.sign_in_as(profile)
    methods = http.get(f"{USERS}/auth-methods").json()
    entry = next(p for p in methods["oauth2"]["providers"] if p["name"] == "oidc")
    consent = httpx.get(entry["authURL"] + quote(REDIRECT, safe=""))
    query = parse_qs(urlsplit(consent.headers["location"]).query)
    assert query["state"] == [entry["state"]]
    body = {
        "provider": "oidc",
        "code": query["code"][0],
        "codeVerifier": entry["codeVerifier"],
        "redirectURL": REDIRECT,
    }
    return http.post(f"{USERS}/auth-with-oauth2", headers={"User-Agent": agent}, json=body)


def test_o1_an_oauth2_takeover_locks_the_squatter_out_and_mails_the_owner(
    server: tuple[httpx.Client, dict[str, str]],
    mailbox: MailCatcher,
    provider: OAuth2TestProvider,
) -> None:
    http, _ = server
    victim = "vic@example.com"
    squatted = _sign_up(http, victim)  # the attacker registers the victim's email
    squatter = _login(http, victim, "Attacker/6.6")
    assert squatter.status_code == 200

    profile = {"sub": "vic-1", "email": victim, "email_verified": True}
    claim = _oauth2_sign_in(http, provider, profile, "Victim/1.0")
    assert claim.status_code == 200, claim.text
    assert claim.json()["record"]["id"] == squatted
    assert claim.json()["record"]["verified"] is True
    assert claim.json()["meta"]["isNew"] is False

    assert _login(http, victim, "Attacker/6.6").status_code == 400
    stale = {"Authorization": squatter.json()["token"]}
    assert http.post(f"{USERS}/auth-refresh", headers=stale).status_code == 401
    (notice,) = mailbox.wait_for(victim, containing="signed in with oidc")
    assert notice.subject == ALERT
    assert "127.0.0.1 Victim/1.0" in notice.text
    assert "the password this account had before its email was verified no longer works" in (
        notice.text
    )
    # the attacker's origin went with the password: the victim's is the only one
    victim_token = claim.json()["token"]
    assert _own_origins(http, victim_token) == [_fingerprint("Victim/1.0")]

    again = _oauth2_sign_in(http, provider, profile, "Victim/2.0")
    assert again.status_code == 200
    mailbox.wait_for(victim, containing="Victim/2.0")
    assert len(mailbox.sent_to(victim)) == 2  # the notice and the new-device alert, no other
