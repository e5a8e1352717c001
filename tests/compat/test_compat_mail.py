"""The settings API and the mailbox flows against the real PocketBase: both servers send
their mails to one real SMTP server, each with its own app URL to tell their links apart."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from _targets import Target, both, unique
from normalize import normalize

from backroom.testing.smtp import MailCatcher

pytestmark = pytest.mark.compat

PASSWORD = "compat-password-1"


@pytest.fixture(scope="module")
def mailbox(targets: tuple[Target, Target]) -> Iterator[MailCatcher]:
    with MailCatcher() as smtp:
        for t in targets:
            settings = {"smtp": smtp.settings(), "meta": {"appURL": f"http://{t.name}.test"}}
            r = t.client.patch("/api/settings", headers=t.su(), json=settings)
            assert r.status_code == 200, r.text
        yield smtp
        for t in targets:
            t.client.patch("/api/settings", headers=t.su(), json={"smtp": {"enabled": False}})


def _without_rate_limits(settings: dict[str, Any]) -> dict[str, Any]:
    """Rate limits are on by default in Backroom only (docs/compatibility.md)."""
    return {k: v for k, v in settings.items() if k != "rateLimits"}


def test_settings_have_pocketbases_shape(targets: tuple[Target, Target]) -> None:
    pb, br = (t.client.get("/api/settings", headers=t.su()) for t in targets)
    assert pb.status_code == br.status_code == 200
    pb_body, br_body = pb.json(), br.json()
    assert normalize(_without_rate_limits(br_body)) == normalize(_without_rate_limits(pb_body))
    assert set(br_body["rateLimits"]) == set(pb_body["rateLimits"])
    # the default rules differ on purpose (docs/rate-limits.md); each has PocketBase's keys
    assert {frozenset(r) for r in br_body["rateLimits"]["rules"]} == {
        frozenset(r) for r in pb_body["rateLimits"]["rules"]
    }


def test_settings_need_a_superuser(targets: tuple[Target, Target]) -> None:
    both(targets, "GET", "/api/settings", auth=False)
    both(targets, "PATCH", "/api/settings", auth=False, json={})
    both(targets, "POST", "/api/settings/test/email", auth=False, json={})


INVALID_PATCHES: list[Any] = [
    {"smtp": {"enabled": True, "host": ""}},
    {"smtp": {"port": "x"}},
    {"meta": "str"},
    {"meta": {"appName": "", "appURL": "", "senderName": "", "senderAddress": ""}},
    {"meta": {"appURL": "notaurl", "senderAddress": "x"}},
    {"batch": {"enabled": True, "maxRequests": 0, "timeout": 0}},
    {"s3": {"enabled": True}},
    {"rateLimits": {"rules": [{"label": "bad label", "maxRequests": 1, "duration": 1}]}},
    {"rateLimits": {"rules": [{"label": "", "maxRequests": 0, "duration": 0, "audience": "x"}]}},
    {"rateLimits": {"rules": [{"label": "/a", "maxRequests": -1, "duration": -1}]}},
    {"rateLimits": {"rules": [{"label": 5}]}},
    {"smtp": {"enabled": True, "host": "bad host!", "authMethod": "XX", "localName": "a b"}},
    {"backups": {"cron": "bad", "cronMaxKeep": 0}},
    {"logs": {"maxDays": -1}},
    {"batch": {"maxRequests": -1, "maxBodySize": -1}},
    {"trustedProxy": {"headers": [1]}},
    [],
]

LABELS = [
    "/api/",
    "/",
    "GET /api/x",
    "users:auth",
    "*:auth",
    "foo",
    "users:",
    "api/",
    "/a b",
    "/api/x.y",
    "a:b:c",
    "GET  /x",
    "/api/*",
]


@pytest.mark.parametrize("label", LABELS)
def test_rate_limit_labels_are_judged_alike(targets: tuple[Target, Target], label: str) -> None:
    rule = {"label": label, "maxRequests": 5, "duration": 5}
    pb, br = (
        t.client.patch("/api/settings", headers=t.su(), json={"rateLimits": {"rules": [rule]}})
        for t in targets
    )
    assert br.status_code == pb.status_code, (pb.text, br.text)
    if pb.status_code == 400:
        assert br.json() == pb.json()


@pytest.mark.parametrize(
    "audiences", [("@guest", ""), ("@guest", "@auth"), ("", "@auth"), ("@auth", "@auth")]
)
def test_conflicting_rate_limit_rules(
    targets: tuple[Target, Target], audiences: tuple[str, str]
) -> None:
    rules = [{"label": "/a", "audience": a, "maxRequests": 1, "duration": 1} for a in audiences]
    pb, br = (
        t.client.patch("/api/settings", headers=t.su(), json={"rateLimits": {"rules": rules}})
        for t in targets
    )
    assert br.status_code == pb.status_code, (pb.text, br.text)
    if pb.status_code == 400:
        assert br.json() == pb.json()


@pytest.mark.parametrize("body", INVALID_PATCHES, ids=lambda b: str(b)[:50])
def test_invalid_settings_get_the_same_errors(targets: tuple[Target, Target], body: Any) -> None:
    both(targets, "PATCH", "/api/settings", json=body)


@pytest.mark.parametrize(
    ("method", "path"),
    [("PATCH", "/api/settings"), ("POST", "/api/settings/test/email")],
)
@pytest.mark.parametrize("raw", [b"{bad json", b"[1, 2]", b'"text"'])
def test_settings_bodies_that_cannot_be_read(
    targets: tuple[Target, Target], method: str, path: str, raw: bytes
) -> None:
    both(targets, method, path, content=raw, headers={"Content-Type": "application/json"})


@pytest.mark.parametrize(
    "body",
    [{}, {"email": "x", "template": "nope"}, {"email": "a@example.com", "template": "nope"}],
    ids=lambda b: str(b),
)
def test_test_email_field_errors(targets: tuple[Target, Target], body: Any) -> None:
    both(targets, "POST", "/api/settings/test/email", json=body)


FLOW_ERRORS = [
    ("request-verification", {}),
    ("request-verification", {"email": "bad"}),
    ("request-verification", {"email": "nobody@example.com"}),
    ("confirm-verification", {}),
    ("confirm-verification", {"token": "bad"}),
    ("request-password-reset", {}),
    ("request-password-reset", {"email": "nobody@example.com"}),
    ("confirm-password-reset", {}),
    ("confirm-password-reset", {"token": "bad", "password": "x", "passwordConfirm": "y"}),
    ("request-email-change", {"newEmail": "n@example.com"}),
    ("confirm-email-change", {}),
    ("confirm-email-change", {"token": "bad", "password": "x"}),
    ("request-verification", {"email": 5}),
    ("confirm-verification", {"token": 5}),
]


@pytest.mark.parametrize("collection", ["nope", "_superusers"])
@pytest.mark.parametrize(
    "action",
    [
        "request-verification",
        "confirm-verification",
        "request-password-reset",
        "confirm-password-reset",
        "request-email-change",
        "confirm-email-change",
    ],
)
def test_flows_on_other_collections(
    targets: tuple[Target, Target], collection: str, action: str
) -> None:
    both(targets, "POST", f"/api/collections/{collection}/{action}", auth=False, json={})


@pytest.mark.parametrize(("action", "body"), FLOW_ERRORS, ids=lambda v: str(v))
def test_flow_errors_match(targets: tuple[Target, Target], action: str, body: Any) -> None:
    both(targets, "POST", f"/api/collections/users/{action}", auth=False, json=body)


def _user(t: Target, email: str) -> dict[str, str]:
    body = {"email": email, "password": PASSWORD, "passwordConfirm": PASSWORD}
    r = t.client.post("/api/collections/users/records", json=body)
    assert r.status_code == 200, r.text
    login = t.client.post(
        "/api/collections/users/auth-with-password",
        json={"identity": email, "password": PASSWORD},
    )
    return {"Authorization": login.json()["token"]}


def _token(smtp: MailCatcher, t: Target, to: str, action: str) -> str:
    link = f"http://{t.name}.test/_/#/auth/{action}/"
    mail = smtp.wait_for(to, containing=link)[-1]
    m = re.search(re.escape(link) + r"([\w.-]+)", mail.html)
    assert m is not None, mail.html
    return m.group(1)


def _each(targets: tuple[Target, Target], fn: Any) -> list[httpx.Response]:
    return [fn(t) for t in targets]


def _same(answers: list[httpx.Response]) -> None:
    pb, br = answers
    assert br.status_code == pb.status_code, (pb.text, br.text)
    if pb.content:
        assert normalize(br.json()) == normalize(pb.json()), (pb.text, br.text)


def test_password_reset_answers_match(targets: tuple[Target, Target], mailbox: MailCatcher) -> None:
    email = f"{unique('reset')}@example.com"
    old = {t.name: _user(t, email) for t in targets}
    _same(
        _each(
            targets,
            lambda t: t.client.post(
                "/api/collections/users/request-password-reset", json={"email": email}
            ),
        )
    )
    tokens = {t.name: _token(mailbox, t, email, "confirm-password-reset") for t in targets}

    def confirm(password: str) -> list[httpx.Response]:
        body = {"password": password, "passwordConfirm": password}
        return _each(
            targets,
            lambda t: t.client.post(
                "/api/collections/users/confirm-password-reset",
                json={"token": tokens[t.name], **body},
            ),
        )

    _same(confirm("short"))
    _same(confirm("new-password-1"))
    _same(confirm("new-password-2"))
    _same(
        _each(
            targets,
            lambda t: t.client.post("/api/collections/users/auth-refresh", headers=old[t.name]),
        )
    )


def test_email_change_answers_match(targets: tuple[Target, Target], mailbox: MailCatcher) -> None:
    email = f"{unique('change')}@example.com"
    new_email = f"{unique('changed')}@example.com"
    auth = {t.name: _user(t, email) for t in targets}
    for body in [{}, {"newEmail": "bad"}, {"newEmail": email}, {"newEmail": new_email}]:
        _same(
            _each(
                targets,
                lambda t, b=body: t.client.post(
                    "/api/collections/users/request-email-change", headers=auth[t.name], json=b
                ),
            )
        )
    tokens = {t.name: _token(mailbox, t, new_email, "confirm-email-change") for t in targets}
    for password in ["", "wrong-password", PASSWORD, PASSWORD]:
        _same(
            _each(
                targets,
                lambda t, p=password: t.client.post(
                    "/api/collections/users/confirm-email-change",
                    json={"token": tokens[t.name], "password": p},
                ),
            )
        )
    _same(
        _each(
            targets,
            lambda t: t.client.post("/api/collections/users/auth-refresh", headers=auth[t.name]),
        )
    )


def test_verification_answers_match_until_the_token_is_spent(
    targets: tuple[Target, Target], mailbox: MailCatcher
) -> None:
    email = f"{unique('verify')}@example.com"
    for t in targets:
        _user(t, email)
    _same(
        _each(
            targets,
            lambda t: t.client.post(
                "/api/collections/users/request-verification", json={"email": email}
            ),
        )
    )
    tokens = {t.name: _token(mailbox, t, email, "confirm-verification") for t in targets}
    answers = _each(
        targets,
        lambda t: t.client.post(
            "/api/collections/users/confirm-verification", json={"token": tokens[t.name]}
        ),
    )
    _same(answers)
    # deliberate difference: the token is spent (PocketBase answers 204 again)
    pb, br = _each(
        targets,
        lambda t: t.client.post(
            "/api/collections/users/confirm-verification", json={"token": tokens[t.name]}
        ),
    )
    assert (pb.status_code, br.status_code) == (204, 400)


def test_the_otps_collection_matches(targets: tuple[Target, Target]) -> None:
    """The same but the bcrypt cost, which means nothing to argon2id hashes."""
    pb, br = (t.client.get("/api/collections/_otps", headers=t.su()).json() for t in targets)
    for body in (pb, br):
        for f in body["fields"]:
            f.pop("cost", None)
    assert normalize(br) == normalize(pb)


def test_otp_answers_match(targets: tuple[Target, Target], mailbox: MailCatcher) -> None:
    email = f"{unique('otp')}@example.com"
    for t in targets:
        _user(t, email)
    body = {"email": email}
    both(targets, "POST", "/api/collections/users/request-otp", auth=False, json=body)
    both(targets, "POST", "/api/collections/users/auth-with-otp", auth=False, json={})
    for t in targets:
        on = {"otp": {"enabled": True}}
        r = t.client.patch("/api/collections/users", headers=t.su(), json=on)
        assert r.status_code == 200, r.text
    try:
        for bad in [{}, {"email": "bad"}, {"email": "nobody@example.com"}]:
            both(targets, "POST", "/api/collections/users/request-otp", auth=False, json=bad)
        ids = {}
        for t in targets:
            r = t.client.post("/api/collections/users/request-otp", json=body)
            assert r.status_code == 200
            ids[t.name] = r.json()["otpId"]
        mails = mailbox.wait_for(email, count=2)
        found = [re.search(r"<strong>(\d+)</strong>", x.html) for x in mails]
        codes = {i: c.group(1) for i, c in enumerate(found) if c}
        assert len(codes) == 2
        both(targets, "POST", "/api/collections/users/auth-with-otp", auth=False, json={})
        wrong = {"password": "00000000x"}
        _same(
            _each(
                targets,
                lambda t: t.client.post(
                    "/api/collections/users/auth-with-otp", json={"otpId": ids[t.name], **wrong}
                ),
            )
        )
        answers = []
        for t in targets:
            for code in codes.values():
                r = t.client.post(
                    "/api/collections/users/auth-with-otp",
                    json={"otpId": ids[t.name], "password": code},
                )
                if r.status_code == 200:
                    answers.append(r)
                    break
        assert len(answers) == 2
        _same(answers)
        _same(
            _each(
                targets,
                lambda t: t.client.post(
                    "/api/collections/users/auth-with-otp",
                    json={"otpId": ids[t.name], "password": "12345678"},
                ),
            )
        )
    finally:
        for t in targets:
            off = {"otp": {"enabled": False}}
            t.client.patch("/api/collections/users", headers=t.su(), json=off)
