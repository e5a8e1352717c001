"""A provider's user, read from each provider's own API into one shape.

Every mapper records whether the provider vouches for the email (``email_verified``);
Backroom links a sign-in to an existing account by email, or marks a new account
verified, only when it does.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "OAuth2User",
    "is_true",
    "map_apple",
    "map_discord",
    "map_github",
    "map_gitlab",
    "map_google",
    "map_microsoft",
    "map_oidc",
    "mapper_for",
]


@dataclass(slots=True)
class OAuth2User:
    id: str
    name: str = ""
    username: str = ""
    email: str = ""
    email_verified: bool = False
    avatar_url: str = ""
    raw: dict[str, Any] = field(default_factory=dict)
    access_token: str = ""
    refresh_token: str = ""
    expiry: str = ""  # PocketBase's datetime format, "" when the provider gave none

    @property
    def verified_email(self) -> str:
        """The email the provider vouches for, "" otherwise."""
        return self.email if self.email_verified else ""

    def meta(self, is_new: bool) -> dict[str, Any]:
        """The ``meta`` of the auth answer, keyed as PocketBase keys it. Like PocketBase's
        providers, it carries only an email the provider vouches for."""
        return {
            "id": self.id,
            "name": self.name,
            "username": self.username,
            "email": self.verified_email,
            "avatarURL": self.avatar_url,
            "avatarUrl": self.avatar_url,  # the pre-0.23 key PocketBase still sends
            "accessToken": self.access_token,
            "refreshToken": self.refresh_token,
            "expiry": self.expiry,
            "rawUser": self.raw,
            "isNew": is_new,
        }


def is_true(value: Any) -> bool:
    """A claim that may be a bool, a number or a string ("true", "1"); anything else is
    false, a missing claim included."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return value == 1
    if isinstance(value, str):
        return value.strip().lower() in {"true", "1", "t"}
    return False


def _text(raw: Mapping[str, Any], key: str) -> str:
    value = raw.get(key)
    if isinstance(value, bool) or value is None:
        return ""
    if isinstance(value, int):
        return str(value)
    return value if isinstance(value, str) else ""


def map_oidc(claims: Mapping[str, Any]) -> OAuth2User:
    """Standard OIDC claims (userinfo or id_token)."""
    return OAuth2User(
        id=_text(claims, "sub"),
        name=_text(claims, "name"),
        username=_text(claims, "preferred_username"),
        email=_text(claims, "email"),
        email_verified=is_true(claims.get("email_verified")),
        avatar_url=_text(claims, "picture"),
        raw=dict(claims),
    )


def map_google(claims: Mapping[str, Any]) -> OAuth2User:
    """Google's v3 userinfo: OIDC claims; Google has no username."""
    user = map_oidc(claims)
    user.username = ""
    return user


def map_apple(claims: Mapping[str, Any]) -> OAuth2User:
    """Apple's id_token claims; the name comes only with the first sign-in's ``user``."""
    user = map_oidc(claims)
    user.username = ""
    user.avatar_url = ""
    if not user.name:
        names = claims.get("user")
        parts = names.get("name") if isinstance(names, Mapping) else None
        if isinstance(parts, Mapping):
            user.name = f"{_text(parts, 'firstName')} {_text(parts, 'lastName')}".strip()
    return user


def map_github(profile: Mapping[str, Any], emails: Sequence[Any] | None) -> OAuth2User:
    """``GET /user`` plus ``GET /user/emails``: the primary email and whether GitHub
    verified it. Without the emails list (scope refused), the profile's public email is
    taken as unverified."""
    email, verified = "", False
    for item in emails or ():
        if isinstance(item, Mapping) and item.get("primary") is True:
            email, verified = _text(item, "email"), item.get("verified") is True
            break
    if not email:
        email = _text(profile, "email")
    return OAuth2User(
        id=_text(profile, "id"),
        name=_text(profile, "name"),
        username=_text(profile, "login"),
        email=email,
        email_verified=verified,
        avatar_url=_text(profile, "avatar_url"),
        raw=dict(profile),
    )


def map_gitlab(profile: Mapping[str, Any]) -> OAuth2User:
    """``GET /api/v4/user``: the email counts as verified once ``confirmed_at`` is set."""
    return OAuth2User(
        id=_text(profile, "id"),
        name=_text(profile, "name"),
        username=_text(profile, "username"),
        email=_text(profile, "email"),
        email_verified=bool(_text(profile, "confirmed_at")),
        avatar_url=_text(profile, "avatar_url"),
        raw=dict(profile),
    )


def map_discord(profile: Mapping[str, Any]) -> OAuth2User:
    """``GET /users/@me``: ``verified`` is Discord's word on the email; the avatar is a hash
    on Discord's CDN."""
    uid = _text(profile, "id")
    avatar = _text(profile, "avatar")
    return OAuth2User(
        id=uid,
        name=_text(profile, "global_name") or _text(profile, "username"),
        username=_text(profile, "username"),
        email=_text(profile, "email"),
        email_verified=profile.get("verified") is True,
        avatar_url=f"https://cdn.discordapp.com/avatars/{uid}/{avatar}.png" if avatar else "",
        raw=dict(profile),
    )


def map_microsoft(profile: Mapping[str, Any]) -> OAuth2User:
    """Microsoft Graph ``GET /me``. Entra ID lets a tenant's admin set ``mail`` to any
    address without proving it, so it is never taken as verified; the
    ``userPrincipalName`` is a sign-in name, not an email, and is not used as one."""
    return OAuth2User(
        id=_text(profile, "id"),
        name=_text(profile, "displayName"),
        email=_text(profile, "mail"),
        email_verified=False,
        raw=dict(profile),
    )


_BY_NAME: dict[str, Callable[[Mapping[str, Any]], OAuth2User]] = {
    "google": map_google,
    "gitlab": map_gitlab,
    "discord": map_discord,
    "microsoft": map_microsoft,
    "apple": map_apple,
}


def mapper_for(provider: str) -> Callable[[Mapping[str, Any]], OAuth2User]:
    """How a provider's one user document (userinfo or id_token claims) is read; any
    OIDC provider reads standard claims. GitHub, whose user comes in two parts, is
    ``map_github``."""
    return _BY_NAME.get(provider, map_oidc)
