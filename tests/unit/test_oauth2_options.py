"""An auth collection's ``oauth2`` options: checks, secrets kept and never shown."""

from __future__ import annotations

import copy
from typing import Any

from backroom.core.auth.oauth2_options import (
    keep_client_secrets,
    oauth2_option_errors,
    provider_config,
    provider_configs,
    strip_client_secrets,
)
from backroom.core.collections.codec import public_collection_json
from backroom.core.collections.system import users_collection


def _users(providers: list[dict[str, Any]], enabled: bool = True) -> Any:
    c = users_collection("2024-01-01 00:00:00.000Z")
    c.options["oauth2"].update({"enabled": enabled, "providers": providers})
    return c


def _codes(errors: dict[str, Any]) -> dict[str, dict[str, str]]:
    providers = errors["oauth2"]["providers"]
    return {i: {k: v.code for k, v in e.items()} for i, e in providers.items()}


def test_nothing_is_checked_while_oauth2_is_off() -> None:
    assert oauth2_option_errors(_users([{"name": "nope"}], enabled=False)) == {}


def test_each_provider_needs_a_known_name_and_credentials() -> None:
    errors = oauth2_option_errors(
        _users(
            [
                {"name": "myspace", "clientId": "a", "clientSecret": "b"},
                {"name": "google"},
                {"clientId": "a", "clientSecret": "b", "tokenURL": "ftp://x"},
                {"name": "oidc", "clientId": "a", "clientSecret": "b", "pkce": "yes"},
            ]
        )
    )
    assert _codes(errors) == {
        "0": {"name": "validation_missing_provider"},
        "1": {"clientId": "validation_required", "clientSecret": "validation_required"},
        "2": {"name": "validation_required", "tokenURL": "validation_is_url"},
        "3": {"pkce": "validation_invalid_value"},
    }
    assert errors["oauth2"]["providers"]["0"]["name"].message == (
        "Invalid or missing provider with name myspace."
    )


def test_a_provider_listed_twice_is_refused() -> None:
    google = {"name": "google", "clientId": "a", "clientSecret": "b"}
    errors = oauth2_option_errors(_users([google, dict(google)]))
    assert _codes(errors) == {"1": {"name": "validation_duplicated_provider"}}


def test_a_valid_configuration_reads_back_with_overrides() -> None:
    c = _users(
        [
            {
                "name": "gitlab",
                "clientId": "a",
                "clientSecret": "b",
                "authURL": "https://git.example.com/oauth/authorize",
                "pkce": False,
            },
            {"name": "github", "clientId": "c", "clientSecret": "d", "displayName": "GH"},
        ]
    )
    assert oauth2_option_errors(c) == {}
    gitlab = provider_config(c, "gitlab")
    assert gitlab is not None
    assert gitlab.auth_url == "https://git.example.com/oauth/authorize"
    assert gitlab.token_url == "https://gitlab.com/oauth/token"
    assert gitlab.pkce is False
    assert [p.display_name for p in provider_configs(c)] == ["GitLab", "GH"]
    assert provider_config(c, "google") is None


def test_secrets_are_never_answered_and_kept_when_left_out() -> None:
    old = _users([{"name": "google", "clientId": "a", "clientSecret": "s3cret"}])
    shown = public_collection_json(old)
    assert "clientSecret" not in shown["oauth2"]["providers"][0]
    assert old.options["oauth2"]["providers"][0]["clientSecret"] == "s3cret"
    new = copy.deepcopy(old)
    new.options["oauth2"]["providers"] = [{"name": "google", "clientId": "a2"}]
    keep_client_secrets(old, new)
    assert new.options["oauth2"]["providers"][0]["clientSecret"] == "s3cret"
    replaced = copy.deepcopy(old)
    replaced.options["oauth2"]["providers"][0]["clientSecret"] = "new"
    keep_client_secrets(old, replaced)
    assert replaced.options["oauth2"]["providers"][0]["clientSecret"] == "new"


def test_stripping_leaves_other_keys() -> None:
    data: dict[str, Any] = {
        "oauth2": {
            "enabled": True,
            "providers": [{"name": "google", "clientId": "a", "clientSecret": "b"}],
        }
    }
    strip_client_secrets(data)
    assert data["oauth2"]["providers"] == [{"name": "google", "clientId": "a"}]
