"""OAuth2/OIDC sign-in end to end: Backroom talks over TCP to a local provider that speaks
the real protocol (discovery, authorize, token with PKCE, RS256 id_token, userinfo, JWKS,
GitHub- and Discord-shaped user APIs)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

import httpx
import pytest
from joserfc.jwk import RSAKey

from backroom.core.services.auth_methods import s256_challenge
from backroom.testing import TestApp
from backroom.testing.oauth2_provider import OAuth2TestProvider

USERS = "/api/collections/users"
REDIRECT = "http://localhost:5173/oauth-callback"


@pytest.fixture(scope="module")
def provider() -> Iterator[OAuth2TestProvider]:
    with OAuth2TestProvider() as p:
        yield p


@pytest.fixture(autouse=True)
def fresh_signing_key(provider: OAuth2TestProvider) -> None:
    provider.signing_key = provider.key


def provider_configs(p: OAuth2TestProvider) -> list[dict[str, Any]]:
    creds = {"clientId": p.client_id, "clientSecret": p.client_secret}
    urls = {"authURL": f"{p.url}/authorize", "tokenURL": f"{p.url}/token"}
    return [
        {
            "name": "oidc",
            **creds,
            **urls,
            "userInfoURL": f"{p.url}/userinfo",
            "displayName": "Local OIDC",
            "extra": {"jwksURL": f"{p.url}/jwks", "issuers": [p.url]},
        },
        {
            "name": "oidc2",
            **creds,
            "extra": {"discoveryURL": f"{p.url}/.well-known/openid-configuration"},
        },
        {"name": "github", **creds, **urls, "userInfoURL": f"{p.url}/github/user"},
        {"name": "discord", **creds, **urls, "userInfoURL": f"{p.url}/discord/users/@me"},
        {
            "name": "apple",
            **creds,
            **urls,
            "extra": {"jwksURL": f"{p.url}/jwks", "issuers": [p.url]},
        },
    ]


@pytest.fixture
async def oauth_app(app: TestApp, provider: OAuth2TestProvider) -> TestApp:
    body = {"oauth2": {"enabled": True, "providers": provider_configs(provider)}}
    r = await app.client.patch(USERS, headers=app.su(), json=body)
    assert r.status_code == 200, r.text
    return app


def oidc_user(sub: str, email: str, verified: Any = True, **more: Any) -> dict[str, Any]:
    claims = {"sub": sub, "email": email, "name": f"User {sub}", **more}
    if verified is not None:
        claims["email_verified"] = verified
    return claims


async def authorize(
    app: TestApp, provider: OAuth2TestProvider, name: str
) -> tuple[dict[str, Any], str]:
    """What a client does before the code exchange: read auth-methods, send the user to
    the provider, check the state that comes back; the provider entry and the code."""
    methods = (await app.client.get(f"{USERS}/auth-methods")).json()
    entry = next(p for p in methods["oauth2"]["providers"] if p["name"] == name)
    async with httpx.AsyncClient() as browser:
        r = await browser.get(entry["authURL"] + quote(REDIRECT, safe=""))
    assert r.status_code == 302, r.text
    back = urlsplit(r.headers["location"])
    query = parse_qs(back.query)
    assert f"{back.scheme}://{back.netloc}{back.path}" == REDIRECT
    assert query["state"] == [entry["state"]]
    return entry, query["code"][0]


async def sign_in(
    app: TestApp,
    provider: OAuth2TestProvider,
    name: str,
    profile: dict[str, Any],
    emails: list[dict[str, Any]] | None = None,
    **body: Any,
) -> httpx.Response:
    provider.sign_in_as(profile, emails)
    entry, code = await authorize(app, provider, name)
    payload = {
        "provider": name,
        "code": code,
        "codeVerifier": entry["codeVerifier"],
        "redirectURL": REDIRECT,
        **body,
    }
    headers = payload.pop("headers", None)
    return await app.client.post(f"{USERS}/auth-with-oauth2", json=payload, headers=headers)


async def links(app: TestApp) -> list[dict[str, Any]]:
    r = await app.client.get(
        "/api/collections/_externalAuths/records", headers=app.su(), params={"perPage": 100}
    )
    assert r.status_code == 200, r.text
    items: list[dict[str, Any]] = r.json()["items"]
    return items


async def password_login(app: TestApp, email: str, password: str) -> httpx.Response:
    return await app.client.post(
        f"{USERS}/auth-with-password", json={"identity": email, "password": password}
    )


async def test_auth_methods_lists_each_provider_with_a_fresh_state_and_pkce_pair(
    oauth_app: TestApp, provider: OAuth2TestProvider
) -> None:
    r = await oauth_app.client.get(f"{USERS}/auth-methods")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["password"] == {"enabled": True, "identityFields": ["email"]}
    assert body["mfa"] == {"enabled": False, "duration": 0}
    assert body["otp"] == {"enabled": False, "duration": 0}
    providers = body["oauth2"]["providers"]
    assert [p["name"] for p in providers] == ["oidc", "oidc2", "github", "discord", "apple"]
    oidc = providers[0]
    assert oidc["displayName"] == "Local OIDC"
    assert providers[2]["displayName"] == "GitHub"
    assert len(oidc["state"]) == 30
    assert len(oidc["codeVerifier"]) == 43
    assert oidc["codeChallenge"] == s256_challenge(oidc["codeVerifier"])
    assert oidc["codeChallengeMethod"] == "S256"
    url = urlsplit(oidc["authURL"])
    assert oidc["authURL"].endswith("&redirect_uri=")
    query = parse_qs(url.query)
    assert query["client_id"] == [provider.client_id]
    assert query["code_challenge"] == [oidc["codeChallenge"]]
    assert query["state"] == [oidc["state"]]
    assert query["scope"] == ["openid email profile"]
    assert "response_mode=form_post" in providers[4]["authURL"]
    again = (await oauth_app.client.get(f"{USERS}/auth-methods")).json()
    assert again["oauth2"]["providers"][0]["state"] != oidc["state"]


async def test_auth_methods_of_a_collection_without_oauth2(app: TestApp) -> None:
    r = await app.client.get(f"{USERS}/auth-methods")
    assert r.status_code == 200
    assert r.json()["oauth2"] == {"enabled": False, "providers": []}
    missing = await app.client.get("/api/collections/nope/auth-methods")
    assert missing.status_code == 404


async def test_the_code_flow_creates_a_verified_linked_account_then_signs_it_in(
    oauth_app: TestApp, provider: OAuth2TestProvider
) -> None:
    r = await sign_in(oauth_app, provider, "oidc", oidc_user("s-1", "ann@example.com"))
    assert r.status_code == 200, r.text
    body = r.json()
    record = body["record"]
    assert record["email"] == "ann@example.com"
    assert record["verified"] is True
    assert record["name"] == "User s-1"
    meta = body["meta"]
    assert meta["id"] == "s-1"
    assert meta["email"] == "ann@example.com"
    assert meta["isNew"] is True
    assert meta["accessToken"]
    assert meta["refreshToken"]
    assert meta["rawUser"]["sub"] == "s-1"
    assert meta["expiry"].endswith("Z")
    refreshed = await oauth_app.client.post(
        f"{USERS}/auth-refresh", headers={"Authorization": body["token"]}
    )
    assert refreshed.status_code == 200
    assert [(a["provider"], a["providerId"], a["recordRef"]) for a in await links(oauth_app)] == [
        ("oidc", "s-1", record["id"])
    ]
    again = await sign_in(oauth_app, provider, "oidc", oidc_user("s-1", "ann@example.com"))
    assert again.status_code == 200, again.text
    assert again.json()["record"]["id"] == record["id"]
    assert again.json()["meta"]["isNew"] is False
    assert len(await links(oauth_app)) == 1


async def test_a_provider_configured_by_discovery_signs_in(
    oauth_app: TestApp, provider: OAuth2TestProvider
) -> None:
    r = await sign_in(oauth_app, provider, "oidc2", oidc_user("d-1", "dee@example.com"))
    assert r.status_code == 200, r.text
    assert r.json()["record"]["verified"] is True


async def test_a_code_is_accepted_once(oauth_app: TestApp, provider: OAuth2TestProvider) -> None:
    provider.sign_in_as(oidc_user("s-2", "bo@example.com"))
    entry, code = await authorize(oauth_app, provider, "oidc")
    body = {
        "provider": "oidc",
        "code": code,
        "codeVerifier": entry["codeVerifier"],
        "redirectURL": REDIRECT,
    }
    first = await oauth_app.client.post(f"{USERS}/auth-with-oauth2", json=body)
    assert first.status_code == 200, first.text
    second = await oauth_app.client.post(f"{USERS}/auth-with-oauth2", json=body)
    assert second.status_code == 400
    assert second.json() == {"status": 400, "message": "Failed to fetch OAuth2 token.", "data": {}}


async def test_a_wrong_code_verifier_is_refused(
    oauth_app: TestApp, provider: OAuth2TestProvider
) -> None:
    provider.sign_in_as(oidc_user("s-3", "cy@example.com"))
    _, code = await authorize(oauth_app, provider, "oidc")
    wrong = "x" * 43
    body = {"provider": "oidc", "code": code, "codeVerifier": wrong, "redirectURL": REDIRECT}
    r = await oauth_app.client.post(f"{USERS}/auth-with-oauth2", json=body)
    assert r.status_code == 400
    assert r.json()["message"] == "Failed to fetch OAuth2 token."
    assert await links(oauth_app) == []


async def test_an_id_token_signed_by_another_key_is_refused(
    oauth_app: TestApp, provider: OAuth2TestProvider
) -> None:
    provider.signing_key = RSAKey.generate_key(2048, parameters={"kid": "test-key-1"})
    r = await sign_in(oauth_app, provider, "oidc", oidc_user("s-4", "di@example.com"))
    assert r.status_code == 400
    assert r.json()["message"] == "Failed to fetch OAuth2 user."


async def test_o1_a_verified_sign_in_takes_over_an_unverified_pre_registration(
    oauth_app: TestApp, provider: OAuth2TestProvider
) -> None:
    attacker = {"email": "vic@example.com", "password": "attacker-pass-1"}
    r = await oauth_app.client.post(
        f"{USERS}/records", json={**attacker, "passwordConfirm": attacker["password"]}
    )
    assert r.status_code == 200, r.text
    squatted = r.json()["id"]
    login = await password_login(oauth_app, attacker["email"], attacker["password"])
    assert login.status_code == 200
    attacker_token = login.json()["token"]
    r = await sign_in(oauth_app, provider, "oidc", oidc_user("vic-1", "vic@example.com"))
    assert r.status_code == 200, r.text
    assert r.json()["record"]["id"] == squatted
    assert r.json()["record"]["verified"] is True
    assert r.json()["meta"]["isNew"] is False
    assert (
        await password_login(oauth_app, attacker["email"], attacker["password"])
    ).status_code == 400
    stale = await oauth_app.client.post(
        f"{USERS}/auth-refresh", headers={"Authorization": attacker_token}
    )
    assert stale.status_code == 401


async def test_o2_a_verified_sign_in_drops_links_made_through_an_unproven_email(
    oauth_app: TestApp, provider: OAuth2TestProvider
) -> None:
    attacker_github = {"id": 4242, "login": "mallory", "name": "M", "email": None}
    attacker_emails = [{"email": "mal@example.com", "primary": True, "verified": True}]
    r = await sign_in(
        oauth_app,
        provider,
        "github",
        attacker_github,
        attacker_emails,
        createData={"email": "vic@example.com"},
    )
    assert r.status_code == 200, r.text
    squatted = r.json()["record"]
    assert squatted["email"] == "vic@example.com"
    assert squatted["verified"] is False
    r = await sign_in(oauth_app, provider, "oidc", oidc_user("vic-2", "vic@example.com"))
    assert r.status_code == 200, r.text
    assert r.json()["record"]["id"] == squatted["id"]
    assert [(a["provider"], a["providerId"]) for a in await links(oauth_app)] == [("oidc", "vic-2")]
    again = await sign_in(oauth_app, provider, "github", attacker_github, attacker_emails)
    assert again.status_code == 200, again.text
    assert again.json()["record"]["id"] != squatted["id"]
    assert again.json()["record"]["email"] == "mal@example.com"


@pytest.mark.parametrize("verified", [False, "false", None, 0, "0"])
async def test_o3_an_unverified_provider_email_links_nothing_and_verifies_nothing(
    oauth_app: TestApp, provider: OAuth2TestProvider, verified: Any
) -> None:
    owner = {"email": "own@example.com", "password": "owner-pass-12", "verified": True}
    r = await oauth_app.client.post(
        f"{USERS}/records",
        headers=oauth_app.su(),
        json={**owner, "passwordConfirm": owner["password"]},
    )
    assert r.status_code == 200, r.text
    r = await sign_in(oauth_app, provider, "oidc", oidc_user("u-9", "own@example.com", verified))
    assert r.status_code == 400, r.text
    assert r.json()["data"]["email"]["code"] == "validation_required"
    assert [a["providerId"] for a in await links(oauth_app)] == []
    owner_login = await password_login(oauth_app, **_identity(owner))
    assert owner_login.status_code == 200
    fresh = await sign_in(
        oauth_app, provider, "oidc", oidc_user("u-10", "new@example.com", verified)
    )
    assert fresh.status_code == 200, fresh.text
    assert fresh.json()["record"]["email"] == "new@example.com"
    assert fresh.json()["record"]["verified"] is False
    assert fresh.json()["meta"]["email"] == ""


def _identity(user: dict[str, Any]) -> dict[str, str]:
    return {"email": user["email"], "password": user["password"]}


async def test_o3_discord_unverified_email_is_not_trusted(
    oauth_app: TestApp, provider: OAuth2TestProvider
) -> None:
    profile = {
        "id": "80351110224678912",
        "username": "nelly",
        "global_name": "Nelly",
        "avatar": "8342729096ea3675442027381ff50dfe",
        "email": "nelly@example.com",
        "verified": False,
    }
    r = await sign_in(oauth_app, provider, "discord", profile)
    assert r.status_code == 200, r.text
    assert r.json()["record"]["verified"] is False
    assert r.json()["record"]["name"] == "Nelly"
    assert r.json()["meta"]["avatarURL"].startswith("https://cdn.discordapp.com/avatars/")
    r = await sign_in(oauth_app, provider, "discord", {**profile, "verified": True})
    assert r.status_code == 200, r.text
    assert r.json()["record"]["verified"] is True


async def test_o7_the_avatar_url_is_never_fetched(
    oauth_app: TestApp, provider: OAuth2TestProvider
) -> None:
    for picture in (
        f"{provider.url}/avatar.png",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::ffff:127.0.0.1]:6379/",
    ):
        sub = f"pic-{len(provider.paths)}"
        r = await sign_in(
            oauth_app, provider, "oidc", oidc_user(sub, f"{sub}@example.com", picture=picture)
        )
        assert r.status_code == 200, r.text
        assert r.json()["meta"]["avatarURL"] == picture
        assert r.json()["record"]["avatar"] == ""
    assert "/avatar.png" not in provider.paths


async def test_github_takes_the_verified_primary_email(
    oauth_app: TestApp, provider: OAuth2TestProvider
) -> None:
    profile = {"id": 77, "login": "octo", "name": "Octo Cat", "avatar_url": "https://a/x.png"}
    emails = [
        {"email": "old@example.com", "primary": False, "verified": True},
        {"email": "octo@example.com", "primary": True, "verified": True},
    ]
    r = await sign_in(oauth_app, provider, "github", profile, emails)
    assert r.status_code == 200, r.text
    assert r.json()["record"]["email"] == "octo@example.com"
    assert r.json()["record"]["verified"] is True
    assert r.json()["meta"]["username"] == "octo"
    assert r.json()["meta"]["id"] == "77"


async def test_apple_signs_in_from_the_id_token(
    oauth_app: TestApp, provider: OAuth2TestProvider
) -> None:
    claims = {"sub": "001.apple", "email": "ap@example.com", "email_verified": "true"}
    r = await sign_in(oauth_app, provider, "apple", claims)
    assert r.status_code == 200, r.text
    assert r.json()["record"]["verified"] is True


async def test_a_signed_in_user_links_a_provider_to_their_own_account(
    oauth_app: TestApp, provider: OAuth2TestProvider
) -> None:
    me = {"email": "me@example.com", "password": "my-password-1"}
    r = await oauth_app.client.post(
        f"{USERS}/records", json={**me, "passwordConfirm": me["password"]}
    )
    assert r.status_code == 200
    token = (await password_login(oauth_app, me["email"], me["password"])).json()["token"]
    r = await sign_in(
        oauth_app,
        provider,
        "oidc",
        oidc_user("other-9", "elsewhere@example.com"),
        headers={"Authorization": token},
    )
    assert r.status_code == 200, r.text
    assert r.json()["record"]["email"] == "me@example.com"
    assert (await password_login(oauth_app, me["email"], me["password"])).status_code == 200


async def test_auth_with_oauth2_refuses_bad_requests(
    oauth_app: TestApp, provider: OAuth2TestProvider
) -> None:
    post = oauth_app.client.post
    r = await post(f"{USERS}/auth-with-oauth2", json={})
    assert r.status_code == 400
    assert set(r.json()["data"]) == {"provider", "code"}
    r = await post(f"{USERS}/auth-with-oauth2", json={"provider": "gitlab", "code": "x"})
    assert r.json()["data"]["provider"]["code"] == "validation_invalid_provider"
    r = await post(f"{USERS}/auth-with-oauth2", json={"provider": ["oidc"], "code": "x"})
    assert r.status_code == 400
    r = await post(f"{USERS}/auth-with-oauth2", json={"provider": "oidc", "code": "nope"})
    assert r.json()["message"] == "Failed to fetch OAuth2 token."
    r = await post("/api/collections/_superusers/auth-with-oauth2", json={})
    assert r.status_code == 403


async def test_oauth2_options_are_checked_and_client_secrets_never_answered(
    app: TestApp, provider: OAuth2TestProvider
) -> None:
    async def patch(providers: list[Any]) -> httpx.Response:
        body = {"oauth2": {"enabled": True, "providers": providers}}
        return await app.client.patch(USERS, headers=app.su(), json=body)

    r = await patch([{"name": "myspace", "clientId": "a", "clientSecret": "b"}])
    assert r.status_code == 400
    assert r.json()["data"]["oauth2"]["providers"]["0"]["name"]["code"] == (
        "validation_missing_provider"
    )
    r = await patch([{"name": "google", "clientSecret": "b", "authURL": "not a url"}])
    errors = r.json()["data"]["oauth2"]["providers"]["0"]
    assert errors["clientId"]["code"] == "validation_required"
    assert errors["authURL"]["code"] == "validation_is_url"
    r = await patch([{"name": "google", "clientId": "a", "clientSecret": "b"}] * 2)
    assert r.json()["data"]["oauth2"]["providers"]["1"]["name"]["code"] == (
        "validation_duplicated_provider"
    )
    configs = provider_configs(provider)
    r = await patch(configs)
    assert r.status_code == 200, r.text
    assert all("clientSecret" not in p for p in r.json()["oauth2"]["providers"])
    viewed = await app.client.get(USERS, headers=app.su())
    assert all("clientSecret" not in p for p in viewed.json()["oauth2"]["providers"])
    without_secrets = [{k: v for k, v in p.items() if k != "clientSecret"} for p in configs]
    assert (await patch(without_secrets)).status_code == 200
    r = await sign_in(app, provider, "oidc", oidc_user("k-1", "kept@example.com"))
    assert r.status_code == 200, r.text


async def test_external_auths_are_a_protected_system_collection(
    oauth_app: TestApp, provider: OAuth2TestProvider
) -> None:
    r = await sign_in(oauth_app, provider, "oidc", oidc_user("p-1", "pat@example.com"))
    token = r.json()["token"]
    await sign_in(oauth_app, provider, "oidc", oidc_user("p-2", "quin@example.com"))
    records = "/api/collections/_externalAuths/records"
    assert (await oauth_app.client.get(records)).json()["items"] == []
    mine = (await oauth_app.client.get(records, headers={"Authorization": token})).json()
    assert [a["providerId"] for a in mine["items"]] == ["p-1"]
    create = await oauth_app.client.post(
        records,
        headers={"Authorization": token},
        json={"collectionRef": "x", "recordRef": "y", "provider": "oidc", "providerId": "z"},
    )
    assert create.status_code == 403
    r = await oauth_app.client.delete("/api/collections/_externalAuths", headers=oauth_app.su())
    assert r.status_code == 400


async def test_deleting_an_account_deletes_its_links(
    oauth_app: TestApp, provider: OAuth2TestProvider
) -> None:
    r = await sign_in(oauth_app, provider, "oidc", oidc_user("gone-1", "gone@example.com"))
    rid = r.json()["record"]["id"]
    deleted = await oauth_app.client.delete(f"{USERS}/records/{rid}", headers=oauth_app.su())
    assert deleted.status_code == 204
    assert await links(oauth_app) == []
    again = await sign_in(oauth_app, provider, "oidc", oidc_user("gone-1", "gone@example.com"))
    assert again.status_code == 200, again.text
    assert again.json()["meta"]["isNew"] is True
    assert again.json()["record"]["id"] != rid
