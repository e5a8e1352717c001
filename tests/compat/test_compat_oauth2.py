"""OAuth2 against the real PocketBase: the collection options, ``auth-methods``, the
errors of ``auth-with-oauth2``, and a whole code flow with both servers signing in
through the same local OIDC provider."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

import httpx
import pytest
from _targets import Target, both, unique
from normalize import normalize

from backroom.testing.oauth2_provider import OAuth2TestProvider

pytestmark = pytest.mark.compat

REDIRECT = "http://localhost:5173/oauth-callback"
# random per call, or (``logo``, PocketBase's SVG artwork) not reproduced by Backroom
_RANDOM = ("state", "codeVerifier", "codeChallenge", "authURL", "authUrl", "logo")


def _oidc(p: OAuth2TestProvider, **more: Any) -> dict[str, Any]:
    return {
        "name": "oidc",
        "clientId": p.client_id,
        "clientSecret": p.client_secret,
        "authURL": f"{p.url}/authorize",
        "tokenURL": f"{p.url}/token",
        "userInfoURL": f"{p.url}/userinfo",
        **more,
    }


def _auth_collection(
    targets: tuple[Target, Target], oauth2: dict[str, Any], **rules: str | None
) -> str:
    name = unique("oauth_users")
    body = {"name": name, "type": "auth", "createRule": "", "oauth2": oauth2, **rules}
    pb, br = (t.client.post("/api/collections", headers=t.su(), json=body) for t in targets)
    assert pb.status_code == br.status_code == 200, (pb.text, br.text)
    assert normalize(br.json()["oauth2"]) == normalize(pb.json()["oauth2"])
    assert "clientSecret" not in br.text
    return name


def _without_random(methods: dict[str, Any]) -> dict[str, Any]:
    for entry in methods["oauth2"]["providers"] + (methods.get("authProviders") or []):
        for key in _RANDOM:
            entry[key] = f"<{key}>" if key in entry else "<missing>"
    return methods


def test_auth_methods_of_the_default_users_collection(targets: tuple[Target, Target]) -> None:
    both(targets, "GET", "/api/collections/users/auth-methods", auth=False)


def test_auth_methods_of_an_unknown_collection(targets: tuple[Target, Target]) -> None:
    both(targets, "GET", "/api/collections/nope/auth-methods", auth=False)
    both(targets, "GET", "/api/collections/_externalAuths/auth-methods", auth=False)


def test_auth_methods_with_a_provider(
    targets: tuple[Target, Target], provider: OAuth2TestProvider
) -> None:
    name = _auth_collection(targets, {"enabled": True, "providers": [_oidc(provider)]})
    answers = [t.client.get(f"/api/collections/{name}/auth-methods").json() for t in targets]
    pb, br = (_without_random(a) for a in answers)
    assert normalize(br) == normalize(pb)
    pb_url, br_url = (a["oauth2"]["providers"][0]["authURL"] for a in answers)
    assert set(parse_qs(urlsplit(pb_url).query)) == set(parse_qs(urlsplit(br_url).query))


@pytest.mark.parametrize(
    "providers",
    [
        [{"name": "nope", "clientId": "a", "clientSecret": "b"}],
        [{"name": "oidc", "clientSecret": "b"}],
        [{"name": "oidc", "clientId": "a"}],
        [{"name": "oidc", "clientId": "a", "clientSecret": "b", "tokenURL": "not a url"}],
        [{"name": "oidc", "clientId": "a", "clientSecret": "b"}] * 2,
        [{"clientId": "a", "clientSecret": "b"}],
    ],
    ids=["unknown", "no client id", "no secret", "bad url", "duplicated", "no name"],
)
def test_provider_options_are_checked(
    targets: tuple[Target, Target], providers: list[dict[str, Any]]
) -> None:
    body = {"oauth2": {"enabled": True, "providers": providers}}
    both(targets, "PATCH", "/api/collections/users", json=body)


def test_providers_are_not_checked_while_oauth2_is_off(targets: tuple[Target, Target]) -> None:
    _auth_collection(targets, {"enabled": False, "providers": [{"name": "nope"}]})


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"provider": "oidc"},
        {"code": "abc"},
        {"provider": "nope", "code": "abc"},
        {"provider": "oidc", "code": "abc", "codeVerifier": "v", "redirectURL": REDIRECT},
    ],
    ids=["empty", "no code", "no provider", "unknown provider", "code the provider refuses"],
)
def test_auth_with_oauth2_errors(
    targets: tuple[Target, Target], provider: OAuth2TestProvider, body: dict[str, Any]
) -> None:
    name = _auth_collection(targets, {"enabled": True, "providers": [_oidc(provider)]})
    both(targets, "POST", f"/api/collections/{name}/auth-with-oauth2", json=body, auth=False)


def test_auth_with_oauth2_when_it_is_off(targets: tuple[Target, Target]) -> None:
    body = {"provider": "oidc", "code": "abc"}
    both(targets, "POST", "/api/collections/users/auth-with-oauth2", json=body, auth=False)


def _sign_in(
    target: Target,
    collection: str,
    provider: OAuth2TestProvider,
    name: str = "oidc",
    create_data: dict[str, Any] | None = None,
) -> httpx.Response:
    methods = target.client.get(f"/api/collections/{collection}/auth-methods").json()
    entry = next(p for p in methods["oauth2"]["providers"] if p["name"] == name)
    consent = httpx.get(entry["authURL"] + quote(REDIRECT, safe=""))
    query = parse_qs(urlsplit(consent.headers["location"]).query)
    assert query["state"] == [entry["state"]]
    body = {
        "provider": name,
        "code": query["code"][0],
        "codeVerifier": entry["codeVerifier"],
        "redirectURL": REDIRECT,
        "createData": create_data,
    }
    return target.client.post(f"/api/collections/{collection}/auth-with-oauth2", json=body)


def _comparable(answer: dict[str, Any]) -> dict[str, Any]:
    meta = answer["meta"]
    for key in ("accessToken", "refreshToken", "expiry"):
        meta[key] = f"<{key}>" if meta[key] else ""
    meta["rawUser"] = {k: v for k, v in meta["rawUser"].items() if k not in {"iat", "exp"}}
    return normalize(answer)


@pytest.mark.parametrize("verified", [True, "true"])
def test_the_whole_code_flow_answers_alike(
    targets: tuple[Target, Target], provider: OAuth2TestProvider, verified: Any
) -> None:
    name = _auth_collection(
        targets,
        {
            "enabled": True,
            "providers": [_oidc(provider)],
            "mappedFields": {"id": "", "name": "", "username": "", "avatarURL": ""},
        },
    )
    answers = []
    for target in targets:
        provider.sign_in_as(
            {
                "sub": f"flow-{verified}",
                "email": f"flow-{verified}@example.com",
                "email_verified": verified,
                "name": "Flo",
                "picture": "https://example.com/flo.png",
            }
        )
        first = _sign_in(target, name, provider)
        assert first.status_code == 200, first.text
        again = _sign_in(target, name, provider)
        assert again.status_code == 200, again.text
        assert again.json()["record"]["id"] == first.json()["record"]["id"]
        answers.append((_comparable(first.json()), _comparable(again.json())))
    assert answers[1] == answers[0]


def _links(target: Target, collection_id: str) -> list[tuple[str, str]]:
    items = target.client.get(
        "/api/collections/_externalAuths/records",
        headers=target.su(),
        params={"filter": f"collectionRef = '{collection_id}'", "perPage": 100},
    ).json()["items"]
    return sorted((a["provider"], a["providerId"]) for a in items)


def test_a_verified_sign_in_drops_links_made_through_an_unproven_email(
    targets: tuple[Target, Target], provider: OAuth2TestProvider
) -> None:
    """Row O2, as PocketBase's fix for it behaves: the account an attacker created with
    the victim's email through provider A loses that link when the victim signs in."""
    second = {**_oidc(provider), "name": "oidc2"}
    name = _auth_collection(targets, {"enabled": True, "providers": [_oidc(provider), second]})
    outcomes = []
    for target in targets:
        cid = target.client.get(f"/api/collections/{name}", headers=target.su()).json()["id"]
        attacker = {"sub": "att", "email": "att@example.com", "email_verified": True}
        victim = {"sub": "vic", "email": "vic@example.com", "email_verified": True}
        provider.sign_in_as(attacker)
        squat = _sign_in(target, name, provider, "oidc2", {"email": "vic@example.com"})
        provider.sign_in_as(victim)
        claim = _sign_in(target, name, provider, "oidc")
        links_after = _links(target, cid)
        provider.sign_in_as(attacker)
        again = _sign_in(target, name, provider, "oidc2")
        outcomes.append(
            (
                squat.json()["record"]["verified"],
                claim.json()["record"]["id"] == squat.json()["record"]["id"],
                claim.json()["record"]["verified"],
                links_after,
                again.json()["record"]["id"] == squat.json()["record"]["id"],
                again.json()["record"]["email"],
            )
        )
    assert outcomes[0] == (False, True, True, [("oidc", "vic")], False, "att@example.com")
    assert outcomes[1] == outcomes[0]


def test_a_verified_sign_in_takes_over_an_unverified_pre_registration(
    targets: tuple[Target, Target], provider: OAuth2TestProvider
) -> None:
    """Row O1: the squatter's password and token stop working, the account is verified."""
    name = _auth_collection(targets, {"enabled": True, "providers": [_oidc(provider)]})
    outcomes = []
    for target in targets:
        squatter = {"email": "pre@example.com", "password": "squatter-pass-1"}
        created = target.client.post(
            f"/api/collections/{name}/records",
            json={**squatter, "passwordConfirm": squatter["password"]},
        )
        login = target.client.post(
            f"/api/collections/{name}/auth-with-password",
            json={"identity": squatter["email"], "password": squatter["password"]},
        )
        provider.sign_in_as({"sub": "pre", "email": "pre@example.com", "email_verified": True})
        claim = _sign_in(target, name, provider)
        relogin = target.client.post(
            f"/api/collections/{name}/auth-with-password",
            json={"identity": squatter["email"], "password": squatter["password"]},
        )
        refresh = target.client.post(
            f"/api/collections/{name}/auth-refresh",
            headers={"Authorization": login.json()["token"]},
        )
        outcomes.append(
            (
                created.status_code,
                claim.status_code,
                claim.json()["record"]["id"] == created.json()["id"],
                claim.json()["record"]["verified"],
                claim.json()["meta"]["isNew"],
                relogin.status_code,
                refresh.status_code,
            )
        )
    assert outcomes[0] == (200, 200, True, True, False, 400, 401)
    assert outcomes[1] == outcomes[0]


def test_the_external_auths_collection(targets: tuple[Target, Target]) -> None:
    both(targets, "GET", "/api/collections/_externalAuths")
    both(targets, "GET", "/api/collections/_externalAuths/records", auth=False)
    both(targets, "DELETE", "/api/collections/_externalAuths")


@pytest.mark.parametrize(
    ("method", "params"),
    [
        ("GET", {"state": "nobody", "code": "abc"}),
        ("GET", {"code": "abc"}),
        ("POST", {"state": "nobody", "code": "abc"}),
    ],
)
def test_a_redirect_nobody_waits_for(
    targets: tuple[Target, Target], method: str, params: dict[str, str]
) -> None:
    answers = []
    for t in targets:
        if method == "GET":
            r = t.client.get("/api/oauth2-redirect", params=params)
        else:
            r = t.client.post("/api/oauth2-redirect", data=params)
        answers.append((r.status_code, r.headers.get("location")))
    assert answers[1] == answers[0]


@pytest.mark.parametrize(
    "rules",
    [
        {"createRule": None},
        {"createRule": "email = 'x@example.com'"},
        {"authRule": "verified = false"},
        {"authRule": "@request.body.provider = 'oidc' && @request.context = 'oauth2'"},
    ],
    ids=[
        "sign-up closed",
        "createRule fails",
        "authRule fails",
        "authRule sees the request body",
    ],
)
def test_sign_ups_and_logins_follow_the_collection_rules(
    targets: tuple[Target, Target], provider: OAuth2TestProvider, rules: dict[str, str | None]
) -> None:
    name = _auth_collection(targets, {"enabled": True, "providers": [_oidc(provider)]}, **rules)
    answers = []
    for target in targets:
        provider.sign_in_as({"sub": "r", "email": "r@example.com", "email_verified": True})
        r = _sign_in(target, name, provider)
        body = r.json()
        answers.append((r.status_code, body.get("message"), body.get("data")))
    assert answers[1] == answers[0]
