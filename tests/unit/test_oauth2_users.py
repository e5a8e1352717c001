"""Each provider's user document, read into one shape: who the user is and whether the
provider vouches for the email."""

from __future__ import annotations

from typing import Any

import pytest

from backroom.core.auth.oauth2_user import (
    is_true,
    map_apple,
    map_discord,
    map_github,
    map_gitlab,
    map_google,
    map_microsoft,
    map_oidc,
    mapper_for,
)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (True, True),
        ("true", True),
        ("True", True),
        ("1", True),
        (1, True),
        (False, False),
        ("false", False),
        ("0", False),
        (0, False),
        (None, False),
        ("yes", False),
        (2, False),
        ([], False),
    ],
)
def test_a_claim_is_true_only_when_it_clearly_says_so(value: Any, expected: bool) -> None:
    assert is_true(value) is expected


def test_oidc_reads_the_standard_claims() -> None:
    user = map_oidc(
        {
            "sub": "248289761001",
            "name": "Jane Doe",
            "preferred_username": "j.doe",
            "email": "janedoe@example.com",
            "email_verified": True,
            "picture": "http://example.com/janedoe/me.jpg",
        }
    )
    assert (user.id, user.name, user.username) == ("248289761001", "Jane Doe", "j.doe")
    assert (user.email, user.email_verified) == ("janedoe@example.com", True)
    assert user.avatar_url == "http://example.com/janedoe/me.jpg"
    assert user.raw["sub"] == "248289761001"


@pytest.mark.parametrize("verified", [False, "false", 0, None])
def test_oidc_without_a_vouched_email_gives_no_verified_email(verified: Any) -> None:
    claims = {"sub": "1", "email": "a@example.com"}
    if verified is not None:
        claims["email_verified"] = verified
    user = map_oidc(claims)
    assert user.email == "a@example.com"
    assert user.email_verified is False
    assert user.verified_email == ""
    assert user.meta(is_new=True)["email"] == ""


def test_google_v3_userinfo() -> None:
    user = map_google(
        {
            "sub": "1103",
            "name": "G User",
            "given_name": "G",
            "picture": "https://lh3.googleusercontent.com/a/x",
            "email": "g@gmail.com",
            "email_verified": True,
            "preferred_username": "ignored",
        }
    )
    assert (user.id, user.email, user.email_verified, user.username) == (
        "1103",
        "g@gmail.com",
        True,
        "",
    )


def test_github_takes_the_primary_email_and_its_verification() -> None:
    profile = {
        "id": 583231,
        "login": "octocat",
        "name": "The Octocat",
        "email": None,
        "avatar_url": "https://avatars.githubusercontent.com/u/583231?v=4",
    }
    emails = [
        {"email": "second@example.com", "primary": False, "verified": True},
        {"email": "octocat@github.com", "primary": True, "verified": True},
    ]
    user = map_github(profile, emails)
    assert (user.id, user.username, user.name) == ("583231", "octocat", "The Octocat")
    assert (user.email, user.email_verified) == ("octocat@github.com", True)
    unverified = map_github(profile, [{"email": "p@x.com", "primary": True, "verified": False}])
    assert (unverified.email, unverified.email_verified) == ("p@x.com", False)


def test_github_without_the_emails_list_trusts_no_email() -> None:
    user = map_github({"id": 1, "login": "a", "email": "public@example.com"}, None)
    assert (user.email, user.email_verified) == ("public@example.com", False)


def test_gitlab_counts_a_confirmed_account_email_as_verified() -> None:
    profile = {
        "id": 1,
        "username": "john_smith",
        "name": "John Smith",
        "email": "john@example.com",
        "avatar_url": "https://gitlab.example/a.png",
        "confirmed_at": "2012-05-23T09:05:22Z",
    }
    user = map_gitlab(profile)
    assert (user.id, user.username, user.email_verified) == ("1", "john_smith", True)
    assert map_gitlab({**profile, "confirmed_at": None}).email_verified is False


def test_discord_uses_global_name_and_its_verified_flag() -> None:
    profile = {
        "id": "80351110224678912",
        "username": "nelly",
        "global_name": "Nelly",
        "avatar": "8342729096ea3675442027381ff50dfe",
        "email": "nelly@discord.com",
        "verified": True,
    }
    user = map_discord(profile)
    assert (user.name, user.username, user.email_verified) == ("Nelly", "nelly", True)
    assert user.avatar_url == (
        "https://cdn.discordapp.com/avatars/80351110224678912/8342729096ea3675442027381ff50dfe.png"
    )
    plain = map_discord({**profile, "global_name": None, "avatar": None, "verified": "true"})
    assert (plain.name, plain.avatar_url, plain.email_verified) == ("nelly", "", False)


def test_microsoft_mail_is_never_vouched_for_and_the_upn_is_no_email() -> None:
    user = map_microsoft(
        {
            "id": "87d349ed",
            "displayName": "Megan Bowen",
            "mail": "MeganB@contoso.com",
            "userPrincipalName": "MeganB@contoso.com",
        }
    )
    assert (user.id, user.name, user.email, user.email_verified) == (
        "87d349ed",
        "Megan Bowen",
        "MeganB@contoso.com",
        False,
    )
    upn_only = map_microsoft({"id": "1", "mail": None, "userPrincipalName": "x@contoso.com"})
    assert upn_only.email == ""


def test_apple_reads_its_string_email_verified_and_first_sign_in_name() -> None:
    claims = {
        "sub": "001234.abc",
        "email": "x@privaterelay.appleid.com",
        "email_verified": "true",
        "user": {"name": {"firstName": "Ada", "lastName": "Lovelace"}},
    }
    user = map_apple(claims)
    assert (user.id, user.email_verified, user.name) == ("001234.abc", True, "Ada Lovelace")
    assert map_apple({**claims, "email_verified": "false"}).email_verified is False


def test_each_provider_has_its_mapper() -> None:
    assert mapper_for("google") is map_google
    assert mapper_for("apple") is map_apple
    assert mapper_for("oidc2") is map_oidc


def test_meta_is_keyed_like_pocketbase() -> None:
    user = map_oidc({"sub": "1", "email": "a@b.co", "email_verified": True})
    assert set(user.meta(is_new=False)) == {
        "id",
        "name",
        "username",
        "email",
        "avatarURL",
        "avatarUrl",
        "accessToken",
        "refreshToken",
        "expiry",
        "rawUser",
        "isNew",
    }
