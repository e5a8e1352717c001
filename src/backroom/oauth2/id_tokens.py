"""OIDC discovery documents, JSON Web Key Sets and id_token checks, with small caches."""

from __future__ import annotations

import base64
import binascii
import json
import time
from collections.abc import Sequence
from typing import Any

import httpx
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from backroom.core.auth.oauth2_port import OAuth2UserError

__all__ = ["IdTokens"]

_ALGORITHMS = ("RS256", "RS384", "RS512", "PS256", "ES256", "ES384", "EdDSA")
_LEEWAY = 300  # seconds of clock skew tolerated, as PocketBase allows
_TTL = 600.0


class IdTokens:
    def __init__(self, http: httpx.AsyncClient) -> None:
        self._http = http
        self._documents: dict[str, tuple[float, dict[str, Any]]] = {}

    async def _json(self, url: str, *, fresh: bool = False) -> dict[str, Any]:
        cached = self._documents.get(url)
        if cached is not None and not fresh and cached[0] > time.monotonic():
            return cached[1]
        response = await self._http.get(url, headers={"Accept": "application/json"})
        response.raise_for_status()
        data = response.json()
        if not isinstance(data, dict):
            raise ValueError(f"{url} did not answer a JSON object")
        self._documents[url] = (time.monotonic() + _TTL, data)
        return data

    async def discovery(self, url: str) -> dict[str, Any]:
        """An OpenID provider's configuration document (``.well-known/openid-configuration``)."""
        return await self._json(url)

    async def _keys(self, jwks_url: str, kid: str) -> KeySet:
        data = await self._json(jwks_url)
        if kid and not any(k.get("kid") == kid for k in data.get("keys") or []):
            data = await self._json(jwks_url, fresh=True)  # the provider rotated its keys
        return KeySet.import_key_set(data)  # type: ignore[arg-type]

    async def claims(
        self,
        id_token: str,
        *,
        client_id: str,
        jwks_url: str,
        issuers: Sequence[str],
    ) -> dict[str, Any]:
        """The id_token's claims once its audience, times, issuer (when known) and
        signature (when the key set is known) check out; raises ``OAuth2UserError``."""
        try:
            if jwks_url:
                keys = await self._keys(jwks_url, _kid(id_token))
                claims = dict(jwt.decode(id_token, keys, algorithms=list(_ALGORITHMS)).claims)
            else:
                claims = _segment(id_token, 1)
            options: dict[str, Any] = {
                "aud": {"essential": True, "value": client_id},
                "exp": {"essential": True},
            }
            if issuers:
                options["iss"] = {"essential": True, "values": list(issuers)}
            jwt.JWTClaimsRegistry(leeway=_LEEWAY, **options).validate(claims)
        except (JoseError, ValueError, binascii.Error, httpx.HTTPError) as err:
            raise OAuth2UserError(f"invalid id_token: {err}") from err
        return claims


def _segment(token: str, index: int) -> dict[str, Any]:
    """One JSON part of a compact JWT, unverified."""
    parts = token.split(".")
    if len(parts) != 3:
        raise ValueError("not a compact JWT")
    raw = parts[index]
    data = json.loads(base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)))
    if not isinstance(data, dict):
        raise ValueError("not a JSON object")
    return data


def _kid(id_token: str) -> str:
    kid = _segment(id_token, 0).get("kid")
    return kid if isinstance(kid, str) else ""
