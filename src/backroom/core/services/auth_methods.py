"""``auth-methods``: how a client may sign in to an auth collection.

Each OAuth2 provider comes with a fresh ``state`` and, with PKCE, a fresh code verifier
and its S256 challenge: the client keeps them, sends the user to ``authURL`` + its
redirect URL, checks the ``state`` that comes back, then sends the code and verifier to
``auth-with-oauth2``.
"""

from __future__ import annotations

import base64
import hashlib
import logging
from collections.abc import Mapping
from typing import Any

from backroom.core.auth.oauth2_options import oauth2_options, provider_configs
from backroom.core.auth.oauth2_port import OAuth2Client
from backroom.core.collections.model import Collection
from backroom.core.ids import random_string

__all__ = ["auth_methods", "s256_challenge"]

log = logging.getLogger("backroom.oauth2")

_ALNUM = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"


def s256_challenge(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def _option(c: Collection, name: str) -> Mapping[str, Any]:
    value = c.options.get(name)
    return value if isinstance(value, Mapping) else {}


def _duration(option: Mapping[str, Any]) -> int:
    value = option.get("duration")
    return value if option.get("enabled") and isinstance(value, int) else 0


async def _providers(c: Collection, client: OAuth2Client) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for config in provider_configs(c):
        state = random_string(30, _ALNUM)
        verifier = challenge = method = ""
        if config.pkce:
            verifier = random_string(43, _ALNUM)
            challenge, method = s256_challenge(verifier), "S256"
        try:
            url = await client.authorization_url(config, state, challenge)
        except Exception:  # one unreachable discovery document must not hide the others
            log.warning("OAuth2 provider %s left out of auth-methods", config.name, exc_info=True)
            continue
        out.append(
            {
                "name": config.name,
                "displayName": config.display_name,
                "logo": "",  # PocketBase sends its own SVG artwork here, for its dashboard
                "state": state,
                "authURL": url,
                "authUrl": url,
                "codeVerifier": verifier,
                "codeChallenge": challenge,
                "codeChallengeMethod": method,
            }
        )
    return out


async def auth_methods(c: Collection, client: OAuth2Client) -> dict[str, Any]:
    password = _option(c, "passwordAuth")
    oauth2 = oauth2_options(c)
    enabled = bool(password.get("enabled"))
    raw_fields = password.get("identityFields") if enabled else None
    fields = [str(f) for f in raw_fields] if isinstance(raw_fields, list) else []
    providers = await _providers(c, client) if oauth2.get("enabled") else []
    mfa, otp = _option(c, "mfa"), _option(c, "otp")
    return {
        "password": {"enabled": enabled, "identityFields": fields},
        "oauth2": {"enabled": bool(oauth2.get("enabled")), "providers": providers},
        "mfa": {"enabled": bool(mfa.get("enabled")), "duration": _duration(mfa)},
        "otp": {"enabled": bool(otp.get("enabled")), "duration": _duration(otp)},
        # the pre-0.23 keys PocketBase still sends for older SDKs
        "authProviders": providers,
        "usernamePassword": enabled and "username" in fields,
        "emailPassword": enabled and "email" in fields,
    }
