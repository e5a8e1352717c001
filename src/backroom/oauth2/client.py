"""The OAuth2 client: authorization URLs, the code exchange through Authlib, and each
provider's user API.

Nothing a provider answers is fetched further: an avatar URL stays a string (row O7).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote_plus

import httpx
from authlib.integrations.httpx_client import AsyncOAuth2Client, OAuthError

from backroom.core.auth.oauth2_options import ProviderConfig
from backroom.core.auth.oauth2_port import OAuth2TokenError, OAuth2UserError
from backroom.core.auth.oauth2_user import OAuth2User, map_github, mapper_for
from backroom.core.clock import format_datetime
from backroom.oauth2.id_tokens import IdTokens

__all__ = ["AuthlibOAuth2Client"]

_TIMEOUT = 30.0


@dataclass(frozen=True, slots=True)
class _Endpoints:
    auth: str
    token: str
    userinfo: str
    jwks: str
    issuers: tuple[str, ...]


def _query(params: Mapping[str, str]) -> str:
    """Form-encoded, keys sorted, as PocketBase's Go client writes it."""
    return "&".join(f"{quote_plus(k)}={quote_plus(v)}" for k, v in sorted(params.items()))


def _extra_text(config: ProviderConfig, key: str) -> str:
    value = config.extra.get(key)
    return value if isinstance(value, str) else ""


class AuthlibOAuth2Client:
    def __init__(self, timeout: float = _TIMEOUT) -> None:
        self._timeout = timeout
        self._http = httpx.AsyncClient(timeout=timeout, follow_redirects=False)
        self._id_tokens = IdTokens(self._http)

    async def close(self) -> None:
        await self._http.aclose()

    async def _endpoints(self, config: ProviderConfig) -> _Endpoints:
        auth, token, userinfo = config.auth_url, config.token_url, config.userinfo_url
        jwks = _extra_text(config, "jwksURL") or config.spec.jwks_url
        raw_issuers = config.extra.get("issuers")
        issuers = (
            [i for i in raw_issuers if isinstance(i, str)] if isinstance(raw_issuers, list) else []
        )
        if config.spec.issuer and not issuers:
            issuers = [config.spec.issuer]
        discovery_url = _extra_text(config, "discoveryURL")
        if discovery_url:
            doc = await self._id_tokens.discovery(discovery_url)
            auth = auth or str(doc.get("authorization_endpoint") or "")
            token = token or str(doc.get("token_endpoint") or "")
            userinfo = userinfo or str(doc.get("userinfo_endpoint") or "")
            jwks = jwks or str(doc.get("jwks_uri") or "")
            if not issuers and isinstance(doc.get("issuer"), str):
                issuers = [doc["issuer"]]
        return _Endpoints(auth, token, userinfo, jwks, tuple(issuers))

    async def authorization_url(
        self, provider: ProviderConfig, state: str, code_challenge: str
    ) -> str:
        endpoints = await self._endpoints(provider)
        params = {"client_id": provider.client_id, "response_type": "code", "state": state}
        if provider.spec.scopes:
            params["scope"] = " ".join(provider.spec.scopes)
        if code_challenge:
            params["code_challenge"] = code_challenge
            params["code_challenge_method"] = "S256"
        params.update(provider.spec.auth_params)
        separator = "&" if "?" in endpoints.auth else "?"
        return f"{endpoints.auth}{separator}{_query(params)}&redirect_uri="

    async def _exchange(
        self,
        provider: ProviderConfig,
        endpoints: _Endpoints,
        code: str,
        code_verifier: str,
        redirect_url: str,
    ) -> dict[str, Any]:
        extra: dict[str, str] = {}
        if provider.pkce and code_verifier:
            extra["code_verifier"] = code_verifier
        last: Exception | None = None
        # client_secret_basic first, then in the body, as the Go client PocketBase uses
        for method in ("client_secret_basic", "client_secret_post"):
            async with AsyncOAuth2Client(
                client_id=provider.client_id,
                client_secret=provider.client_secret,
                token_endpoint_auth_method=method,
                redirect_uri=redirect_url or None,
                timeout=self._timeout,
            ) as client:
                try:
                    token = await client.fetch_token(endpoints.token, code=code, **extra)
                except OAuthError as err:
                    last = err
                    if err.error == "invalid_client":
                        continue
                    break
                except (httpx.HTTPError, ValueError, KeyError) as err:
                    last = err
                    break
                return dict(token)
        raise OAuth2TokenError(str(last))

    async def _get_json(self, url: str, access_token: str, missing_ok: bool = False) -> Any:
        response = await self._http.get(
            url,
            headers={"Authorization": f"Bearer {access_token}", "Accept": "application/json"},
        )
        if missing_ok and response.status_code in (401, 403, 404):
            return None
        if response.status_code >= 400:
            raise OAuth2UserError(f"{url} answered {response.status_code}")
        return response.json()

    async def _claims(
        self, provider: ProviderConfig, endpoints: _Endpoints, token: Mapping[str, Any]
    ) -> dict[str, Any]:
        """The user document of a userinfo, OIDC or id_token provider."""
        id_token = token.get("id_token")
        verified: dict[str, Any] | None = None
        if isinstance(id_token, str) and id_token and provider.spec.kind != "userinfo":
            verified = await self._id_tokens.claims(
                id_token,
                client_id=provider.client_id,
                jwks_url=endpoints.jwks,
                issuers=endpoints.issuers,
            )
        if provider.spec.kind == "id_token" or (
            provider.spec.kind == "oidc" and not endpoints.userinfo
        ):
            if verified is None:
                raise OAuth2UserError("the provider sent no id_token")
            return verified
        info = await self._get_json(endpoints.userinfo, str(token.get("access_token", "")))
        if not isinstance(info, dict):
            raise OAuth2UserError("the user info is not a JSON object")
        if verified is not None and info.get("sub") != verified.get("sub"):
            raise OAuth2UserError("the user info and the id_token name different users")
        return info

    async def fetch_user(
        self, provider: ProviderConfig, code: str, code_verifier: str, redirect_url: str
    ) -> OAuth2User:
        try:
            endpoints = await self._endpoints(provider)
        except (httpx.HTTPError, ValueError) as err:
            raise OAuth2TokenError(f"discovery failed: {err}") from err
        token = await self._exchange(provider, endpoints, code, code_verifier, redirect_url)
        access = str(token.get("access_token") or "")
        try:
            if provider.spec.kind == "github":
                profile = await self._get_json(endpoints.userinfo, access)
                emails = await self._get_json(endpoints.userinfo + "/emails", access, True)
                if not isinstance(profile, dict):
                    raise OAuth2UserError("the GitHub user is not a JSON object")
                user = map_github(profile, emails if isinstance(emails, list) else None)
            else:
                user = mapper_for(provider.name)(await self._claims(provider, endpoints, token))
        except (httpx.HTTPError, ValueError) as err:
            raise OAuth2UserError(str(err)) from err
        user.access_token = access
        user.refresh_token = str(token.get("refresh_token") or "")
        expires_at = token.get("expires_at")
        if isinstance(expires_at, int | float) and not isinstance(expires_at, bool):
            user.expiry = format_datetime(datetime.fromtimestamp(expires_at, UTC))
        return user
