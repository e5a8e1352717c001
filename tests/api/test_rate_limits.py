"""Rate limits over HTTP: brute force is stopped (row A9), spoofed addresses do not help, and
nobody else is locked out."""

from __future__ import annotations

from typing import Any

import httpx

from backroom.core.ratelimit import RateLimitRule
from backroom.http.client_ip import TrustedProxy
from backroom.testing import TestApp

LOGIN = "/api/collections/users/auth-with-password"
VICTIM = {"email": "v@example.com", "password": "right-password-1", "passwordConfirm": ""}


async def _victim(app: TestApp) -> None:
    body = {**VICTIM, "passwordConfirm": VICTIM["password"]}
    created = await app.client.post("/api/collections/users/records", json=body)
    assert created.status_code == 200, created.text


async def _login(app: TestApp, password: str, ip: str = "") -> httpx.Response:
    headers = {"X-Forwarded-For": ip} if ip else {}
    body: dict[str, Any] = {"identity": VICTIM["email"], "password": password}
    return await app.client.post(LOGIN, json=body, headers=headers)


def _is_429(resp: httpx.Response) -> bool:
    return resp.status_code == 429 and resp.json() == {
        "status": 429,
        "message": "Too Many Requests.",
        "data": {},
    }


async def test_guessing_one_accounts_password_is_stopped(app: TestApp) -> None:
    await _victim(app)
    answers = [(await _login(app, f"guess-{i}")).status_code for i in range(12)]
    assert answers[:10] == [400] * 10
    assert answers[10:] == [429, 429]
    refused = await _login(app, "guess-13")
    assert _is_429(refused)
    assert int(refused.headers["Retry-After"]) >= 1


async def test_a_spoofed_forwarded_for_does_not_reset_the_count(app: TestApp) -> None:
    await _victim(app)
    for i in range(10):
        assert (await _login(app, f"guess-{i}", ip=f"203.0.113.{i}")).status_code == 400
    assert _is_429(await _login(app, "guess-x", ip="198.51.100.7"))


async def test_guessing_from_one_address_does_not_lock_out_the_owner(app: TestApp) -> None:
    app.backroom.trusted_proxy = TrustedProxy(("x-forwarded-for",))
    await _victim(app)
    for i in range(10):
        assert (await _login(app, f"guess-{i}", ip="203.0.113.5")).status_code == 400
    assert _is_429(await _login(app, VICTIM["password"], ip="203.0.113.5"))
    owner = await _login(app, VICTIM["password"], ip="198.51.100.7")
    assert owner.status_code == 200
    assert owner.json()["record"]["email"] == VICTIM["email"]


async def test_a_path_rule_limits_every_route_under_it(app: TestApp) -> None:
    app.backroom.limiter.configure(True, [RateLimitRule("/api/", 3, 3600)])
    answers = [(await app.client.get("/api/health")).status_code for _ in range(4)]
    assert answers == [200, 200, 200, 429]
    app.backroom.limiter.configure(False, [RateLimitRule("/api/", 3, 3600)])
    assert (await app.client.get("/api/health")).status_code == 200


async def test_the_auth_rule_counts_every_sign_in_of_the_address(app: TestApp) -> None:
    # the fixture's superuser sign-in already counts under the same label and address
    app.backroom.limiter.configure(True, [RateLimitRule("*:auth", 3, 3600)])
    await _victim(app)
    answers = [(await _login(app, VICTIM["password"])).status_code for _ in range(3)]
    assert answers == [200, 200, 429]
    # other actions are not tagged auth
    assert (await app.client.get("/api/collections/users/records")).status_code == 200


async def test_a_forged_token_does_not_pass_for_a_signed_in_caller(app: TestApp) -> None:
    app.backroom.limiter.configure(True, [RateLimitRule("*:list", 1, 3600, "@guest")])
    forged = {"Authorization": "eyJhbGciOiJIUzI1NiJ9.eyJ0eXBlIjoiYXV0aCJ9.c2ln"}
    url = "/api/collections/users/records"
    assert (await app.client.get(url, headers=forged)).status_code == 200
    assert (await app.client.get(url, headers=forged)).status_code == 429
    # a superuser is signed in: the guest rule does not apply
    assert [(await app.client.get(url, headers=app.su())).status_code for _ in range(3)] == [
        200
    ] * 3


async def test_guessing_the_old_password_on_a_change_is_stopped(app: TestApp) -> None:
    await _victim(app)
    login = await _login(app, VICTIM["password"])
    uid, token = login.json()["record"]["id"], login.json()["token"]
    url = f"/api/collections/users/records/{uid}"
    new = {"password": "new-secret-pw-2", "passwordConfirm": "new-secret-pw-2"}
    answers = [
        (
            await app.client.patch(
                url, json={**new, "oldPassword": f"guess-{i}"}, headers={"Authorization": token}
            )
        ).status_code
        for i in range(11)
    ]
    assert answers == [400] * 10 + [429]
    # even the right old password is refused until the window ends, and nothing changed
    right = {**new, "oldPassword": VICTIM["password"]}
    assert _is_429(await app.client.patch(url, json=right, headers={"Authorization": token}))
    assert (await _login(app, VICTIM["password"], ip="")).status_code == 200
