"""The OAuth2/OIDC providers Backroom knows: endpoints, scopes and how each one is read.

A provider's ``kind`` says how its user is fetched: ``userinfo`` (one JSON endpoint),
``github`` (the user plus the ``/emails`` list), ``id_token`` (the signed token's claims,
Apple) or ``oidc`` (userinfo when configured, else the id_token). Collection options may
override every URL, the display name and PKCE, as in PocketBase.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["PROVIDERS", "ProviderSpec", "provider_spec"]


@dataclass(frozen=True, slots=True)
class ProviderSpec:
    name: str
    display_name: str
    kind: str
    auth_url: str = ""
    token_url: str = ""
    userinfo_url: str = ""
    jwks_url: str = ""
    issuer: str = ""
    scopes: tuple[str, ...] = ()
    pkce: bool = True
    # extra query parameters of the authorization URL (Apple posts its answer back)
    auth_params: tuple[tuple[str, str], ...] = ()


_OIDC_SCOPES = ("openid", "email", "profile")
_OIDC_NAMES = ("oidc", "oidc2", "oidc3")

PROVIDERS: dict[str, ProviderSpec] = {
    spec.name: spec
    for spec in (
        ProviderSpec(
            "google",
            "Google",
            "userinfo",
            auth_url="https://accounts.google.com/o/oauth2/v2/auth",
            token_url="https://oauth2.googleapis.com/token",
            userinfo_url="https://www.googleapis.com/oauth2/v3/userinfo",
            scopes=(
                "https://www.googleapis.com/auth/userinfo.profile",
                "https://www.googleapis.com/auth/userinfo.email",
            ),
        ),
        ProviderSpec(
            "github",
            "GitHub",
            "github",
            auth_url="https://github.com/login/oauth/authorize",
            token_url="https://github.com/login/oauth/access_token",
            userinfo_url="https://api.github.com/user",
            scopes=("read:user", "user:email"),
        ),
        ProviderSpec(
            "gitlab",
            "GitLab",
            "userinfo",
            auth_url="https://gitlab.com/oauth/authorize",
            token_url="https://gitlab.com/oauth/token",
            userinfo_url="https://gitlab.com/api/v4/user",
            scopes=("read_user",),
        ),
        ProviderSpec(
            "discord",
            "Discord",
            "userinfo",
            auth_url="https://discord.com/api/oauth2/authorize",
            token_url="https://discord.com/api/oauth2/token",
            userinfo_url="https://discord.com/api/users/@me",
            scopes=("identify", "email"),
        ),
        ProviderSpec(
            "microsoft",
            "Microsoft",
            "userinfo",
            auth_url="https://login.microsoftonline.com/common/oauth2/v2.0/authorize",
            token_url="https://login.microsoftonline.com/common/oauth2/v2.0/token",
            userinfo_url="https://graph.microsoft.com/v1.0/me",
            scopes=("User.Read",),
        ),
        ProviderSpec(
            "apple",
            "Apple",
            "id_token",
            auth_url="https://appleid.apple.com/auth/authorize",
            token_url="https://appleid.apple.com/auth/token",
            jwks_url="https://appleid.apple.com/auth/keys",
            issuer="https://appleid.apple.com",
            scopes=("name", "email"),
            auth_params=(("response_mode", "form_post"),),
        ),
        *(ProviderSpec(name, "OIDC", "oidc", scopes=_OIDC_SCOPES) for name in _OIDC_NAMES),
    )
}


def provider_spec(name: str) -> ProviderSpec | None:
    return PROVIDERS.get(name)
