"""``_authOrigins`` and the login alert against the real PocketBase: the collection, the
records its owners see, when an origin is noted, kept or forgotten, and when the alert
mail goes out (both servers mail one real SMTP server, each account its own address)."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

import httpx
import pytest
from _targets import Target, both, unique
from normalize import normalize

from backroom.testing.oauth2_provider import OAuth2TestProvider
from backroom.testing.smtp import MailCatcher

pytestmark = pytest.mark.compat

PASSWORD = "compat-password-1"
ORIGINS = "/api/collections/_authOrigins"
ALERT = "Login from a new location"
REDIRECT = "http://localhost:5173/oauth-callback"
_ALERT_INFO = re.compile(
    r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}Z - (127\.0\.0\.1 [^\n]*?)\s*$", re.M
)


def _auth_collection(targets: tuple[Target, Target], **options: Any) -> str:
    name = unique("origins_users")
    body = {"name": name, "type": "auth", "createRule": "", **options}
    for t in targets:
        r = t.client.post("/api/collections", headers=t.su(), json=body)
        assert r.status_code == 200, r.text
    return name


def _address(t: Target, who: str) -> str:
    return f"{who}-{t.name}@example.com"


def _sign_up(t: Target, collection: str, email: str) -> str:
    body = {"email": email, "password": PASSWORD, "passwordConfirm": PASSWORD}
    r = t.client.post(f"/api/collections/{collection}/records", json=body)
    assert r.status_code == 200, r.text
    return str(r.json()["id"])


def _login(
    t: Target, collection: str, email: str, agent: str | bytes, password: str = PASSWORD
) -> httpx.Response:
    return t.client.post(
        f"/api/collections/{collection}/auth-with-password",
        headers={"User-Agent": agent},
        json={"identity": email, "password": password},
    )


def _origins(t: Target, record_id: str) -> list[dict[str, Any]]:
    r = t.client.get(
        f"{ORIGINS}/records",
        headers=t.su(),
        params={"filter": f"recordRef = '{record_id}'", "sort": "created", "perPage": 100},
    )
    assert r.status_code == 200, r.text
    items: list[dict[str, Any]] = r.json()["items"]
    return items


def _alert_infos(mailbox: MailCatcher, to: str, sentinel: str) -> list[str]:
    """``{ALERT_INFO}`` without its time, of each alert ``to`` got up to the one naming
    ``sentinel`` (a sign-in from a new place made last, to know the earlier mails are in)."""
    mailbox.wait_for(to, containing=sentinel)
    infos = []
    for mail in mailbox.sent_to(to):
        if mail.subject == ALERT:
            m = _ALERT_INFO.search(mail.text)
            assert m is not None, mail.text
            infos.append(m.group(1))
    return sorted(infos)


def test_the_auth_origins_collection_matches(targets: tuple[Target, Target]) -> None:
    both(targets, "GET", ORIGINS)
    both(targets, "GET", f"{ORIGINS}/records", auth=False)
    both(targets, "DELETE", ORIGINS)
    both(targets, "GET", f"{ORIGINS}/auth-methods", auth=False)


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"collectionRef": "nope", "recordRef": "nope", "fingerprint": "f"},
        {"collectionRef": "users", "recordRef": "nope", "fingerprint": "f"},
        {"collectionRef": "pbc_4275539003", "recordRef": "nope", "fingerprint": "f"},
        {"collectionRef": "pbc_4275539003", "recordRef": "nope", "fingerprint": ""},
        {"collectionRef": "_pb_users_auth_", "recordRef": "nope", "fingerprint": "f"},
        {"collectionRef": "_pb_users_auth_", "recordRef": "", "fingerprint": "f"},
    ],
    ids=["empty", "unknown", "by name", "not auth", "blank", "no record", "blank record"],
)
def test_a_superuser_writes_only_origins_of_real_records(
    targets: tuple[Target, Target], body: dict[str, Any]
) -> None:
    both(targets, "POST", f"{ORIGINS}/records", json=body)


def test_a_superuser_writes_an_origin_once(targets: tuple[Target, Target]) -> None:
    answers = []
    for t in targets:
        rid = _sign_up(t, "users", _address(t, unique("su")))
        body = {"collectionRef": "_pb_users_auth_", "recordRef": rid, "fingerprint": "f"}
        first = t.client.post(f"{ORIGINS}/records", headers=t.su(), json=body)
        again = t.client.post(f"{ORIGINS}/records", headers=t.su(), json=body)
        path = f"{ORIGINS}/records/{first.json()['id']}"
        moved = t.client.patch(path, headers=t.su(), json={"recordRef": "nope"})
        answers.append([(r.status_code, normalize(r.json())) for r in (first, again, moved)])
    assert answers[1] == answers[0]


def test_the_records_an_owner_sees_and_may_change(targets: tuple[Target, Target]) -> None:
    name = _auth_collection(targets)
    answers = []
    for t in targets:
        my_email, their_email = _address(t, unique("own")), _address(t, unique("other"))
        mine, theirs = _sign_up(t, name, my_email), _sign_up(t, name, their_email)
        me = {"Authorization": _login(t, name, my_email, "Phone/1.0").json()["token"]}
        other = _login(t, name, their_email, "Other/1.0")
        assert other.status_code == 200
        listed = t.client.get(f"{ORIGINS}/records", headers=me)
        own_id = listed.json()["items"][0]["id"]
        theirs_id = _origins(t, theirs)[0]["id"]
        cid = t.client.get(f"/api/collections/{name}", headers=t.su()).json()["id"]
        body = {"collectionRef": cid, "recordRef": mine, "fingerprint": "f"}
        steps = [
            listed,
            t.client.get(f"{ORIGINS}/records/{own_id}", headers=me),
            t.client.get(f"{ORIGINS}/records/{theirs_id}", headers=me),
            t.client.post(f"{ORIGINS}/records", headers=me, json=body),
            t.client.patch(f"{ORIGINS}/records/{own_id}", headers=me, json=body),
            t.client.delete(f"{ORIGINS}/records/{theirs_id}", headers=me),
            t.client.delete(f"{ORIGINS}/records/{own_id}", headers=me),
            t.client.get(f"{ORIGINS}/records", headers=me),
            t.client.post(f"{ORIGINS}/records", headers=t.su(), json=body),
        ]
        answers.append([(r.status_code, normalize(r.json()) if r.content else None) for r in steps])
    assert answers[1] == answers[0]
    assert answers[0][0][1]["totalItems"] == 1


def test_an_origin_is_the_md5_of_address_and_user_agent(
    targets: tuple[Target, Target], mailbox: MailCatcher
) -> None:
    """(With mail working: PocketBase keeps no new origin while its alert mail fails.)"""
    name = _auth_collection(targets)
    agents = ["Phone/1.0", "y" * 200, "y" * 201, "Ünïcode/1.0".encode()]
    seen = []
    for t in targets:
        email = _address(t, unique("fp"))
        rid = _sign_up(t, name, email)
        for agent in agents:
            assert _login(t, name, email, agent).status_code == 200
        seen.append([o["fingerprint"] for o in _origins(t, rid)])
    assert seen[1] == seen[0]
    assert len(set(seen[0])) == len(agents)


def test_which_sign_ins_alert_and_which_origins_are_kept(
    targets: tuple[Target, Target], mailbox: MailCatcher
) -> None:
    """Five newest origins kept (by creation), a known place refreshed, the first one
    never alerted; the alert names the address and the user agent."""
    name = _auth_collection(targets)
    agents = ["A/1", "B/1", "A/1", "C/1", "D/1", "E/1", "A/1", "F/1", "<b>G</b>"]
    outcomes = []
    for t in targets:
        email = _address(t, unique("alerts"))
        rid = _sign_up(t, name, email)
        counts = []
        for agent in agents:
            assert _login(t, name, email, agent).status_code == 200
            counts.append(len(_origins(t, rid)))
        infos = _alert_infos(mailbox, email, "<b>G</b>")
        outcomes.append((counts, [o["fingerprint"] for o in _origins(t, rid)], infos))
    assert outcomes[1] == outcomes[0]
    assert outcomes[0][2] == sorted(f"127.0.0.1 {a}" for a in agents[1:] if a != "A/1")


def test_what_forgets_origins(targets: tuple[Target, Target], mailbox: MailCatcher) -> None:
    name = _auth_collection(targets, updateRule="id = @request.auth.id")
    outcomes = []
    for t in targets:
        email = _address(t, unique("forget"))
        rid = _sign_up(t, name, email)
        path = f"/api/collections/{name}/records/{rid}"
        token = _login(t, name, email, "A/1").json()["token"]
        _login(t, name, email, "B/1")
        counts = [len(_origins(t, rid))]
        r = t.client.patch(path, headers=t.su(), json={"emailVisibility": True, "verified": True})
        assert r.status_code == 200, r.text
        counts.append(len(_origins(t, rid)))
        new = "n3w-password-2"
        change = {"oldPassword": PASSWORD, "password": new, "passwordConfirm": new}
        r = t.client.patch(path, headers={"Authorization": token}, json=change)
        assert r.status_code == 200, r.text
        counts.append(len(_origins(t, rid)))
        _login(t, name, email, "C/1", new)  # the first sign-in again
        counts.append(len(_origins(t, rid)))
        r = t.client.patch(
            path, headers=t.su(), json={"password": PASSWORD, "passwordConfirm": PASSWORD}
        )
        assert r.status_code == 200, r.text
        counts.append(len(_origins(t, rid)))
        _login(t, name, email, "D/1")
        _login(t, name, email, "sentinel/1")
        infos = _alert_infos(mailbox, email, "sentinel/1")
        assert t.client.delete(path, headers=t.su()).status_code == 204
        counts.append(len(_origins(t, rid)))
        outcomes.append((counts, infos))
    assert outcomes[1] == outcomes[0]
    assert outcomes[0] == ([2, 2, 0, 1, 0, 0], ["127.0.0.1 B/1", "127.0.0.1 sentinel/1"])


def test_no_origins_while_alerts_are_off(targets: tuple[Target, Target]) -> None:
    name = _auth_collection(targets, authAlert={"enabled": False})
    for t in targets:
        c = t.client.get(f"/api/collections/{name}", headers=t.su()).json()
        assert c["authAlert"]["enabled"] is False
    seen = []
    for t in targets:
        email = _address(t, unique("off"))
        rid = _sign_up(t, name, email)
        for agent in ("A/1", "B/1"):
            assert _login(t, name, email, agent).status_code == 200
        seen.append(_origins(t, rid))
    assert seen == [[], []]


def _oauth2_sign_in(
    t: Target, collection: str, provider: OAuth2TestProvider, profile: dict[str, Any], agent: str
) -> httpx.Response:
    provider.sign_in_as(profile)
    methods = t.client.get(f"/api/collections/{collection}/auth-methods").json()
    entry = methods["oauth2"]["providers"][0]
    consent = httpx.get(entry["authURL"] + quote(REDIRECT, safe=""))
    query = parse_qs(urlsplit(consent.headers["location"]).query)
    body = {
        "provider": "oidc",
        "code": query["code"][0],
        "codeVerifier": entry["codeVerifier"],
        "redirectURL": REDIRECT,
    }
    return t.client.post(
        f"/api/collections/{collection}/auth-with-oauth2",
        headers={"User-Agent": agent},
        json=body,
    )


def test_an_oauth2_takeover_starts_the_origins_over(
    targets: tuple[Target, Target], mailbox: MailCatcher, provider: OAuth2TestProvider
) -> None:
    """Row O1: the squatter's origin goes with the password, and the owner's sign-in is a
    first one. Deliberate difference: Backroom mails the owner a notice, PocketBase nothing."""
    oidc = {
        "name": "oidc",
        "clientId": provider.client_id,
        "clientSecret": provider.client_secret,
        "authURL": f"{provider.url}/authorize",
        "tokenURL": f"{provider.url}/token",
        "userInfoURL": f"{provider.url}/userinfo",
    }
    name = _auth_collection(targets, oauth2={"enabled": True, "providers": [oidc]})
    outcomes = []
    notices = []
    for t in targets:
        email = _address(t, unique("takeover"))
        rid = _sign_up(t, name, email)
        assert _login(t, name, email, "Attacker/1").status_code == 200
        profile = {"sub": f"owner-{rid}", "email": email, "email_verified": True}
        claim = _oauth2_sign_in(t, name, provider, profile, "Owner/1")
        assert claim.status_code == 200, claim.text
        after_claim = [o["fingerprint"] for o in _origins(t, rid)]
        assert _oauth2_sign_in(t, name, provider, profile, "sentinel/1").status_code == 200
        infos = _alert_infos(mailbox, email, "sentinel/1")
        notices.append([i for i in infos if "signed in with oidc" in i])
        outcomes.append((after_claim, [i for i in infos if i not in notices[-1]]))
    assert outcomes[1] == outcomes[0]
    assert outcomes[0][1] == ["127.0.0.1 sentinel/1"]
    assert notices[0] == []
    assert len(notices[1]) == 1
    assert notices[1][0].startswith("127.0.0.1 Owner/1 (signed in with oidc;")
