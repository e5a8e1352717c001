"""An auth collection's ``oauth2`` options: reading, checking and keeping their secrets.

The shape is PocketBase's: ``{enabled, mappedFields: {id, name, username, avatarURL},
providers: [{name, clientId, clientSecret, authURL, tokenURL, userInfoURL, displayName,
pkce, extra}]}``. A client secret is stored but never answered; an update that leaves it
out keeps the stored one.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from backroom.core.auth.oauth2_providers import ProviderSpec, provider_spec
from backroom.core.collections.model import Collection
from backroom.errors import ErrorDetail

__all__ = [
    "MAPPED_FIELDS",
    "ProviderConfig",
    "keep_client_secrets",
    "normalize_oauth2_options",
    "oauth2_option_errors",
    "oauth2_options",
    "provider_config",
    "provider_configs",
    "strip_client_secrets",
]

MAPPED_FIELDS = ("id", "name", "username", "avatarURL")
_REQUIRED = ErrorDetail("validation_required", "Cannot be blank.")
_INVALID = ErrorDetail("validation_invalid_value", "Invalid value.")
_URL = ErrorDetail("validation_is_url", "Must be a valid URL.")


@dataclass(frozen=True, slots=True)
class ProviderConfig:
    """One configured provider: its built-in spec with the collection's overrides."""

    spec: ProviderSpec
    client_id: str
    client_secret: str
    auth_url: str
    token_url: str
    userinfo_url: str
    display_name: str
    pkce: bool
    extra: Mapping[str, Any] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.spec.name


def oauth2_options(c: Collection) -> Mapping[str, Any]:
    value = c.options.get("oauth2")
    return value if isinstance(value, Mapping) else {}


def _text(item: Mapping[str, Any], key: str) -> str:
    value = item.get(key)
    return value if isinstance(value, str) else ""


def _config(item: Mapping[str, Any]) -> ProviderConfig | None:
    spec = provider_spec(_text(item, "name"))
    if spec is None:
        return None
    pkce = item.get("pkce")
    extra = item.get("extra")
    return ProviderConfig(
        spec=spec,
        client_id=_text(item, "clientId"),
        client_secret=_text(item, "clientSecret"),
        auth_url=_text(item, "authURL") or spec.auth_url,
        token_url=_text(item, "tokenURL") or spec.token_url,
        userinfo_url=_text(item, "userInfoURL") or spec.userinfo_url,
        display_name=_text(item, "displayName") or spec.display_name,
        pkce=pkce if isinstance(pkce, bool) else spec.pkce,
        extra=dict(extra) if isinstance(extra, Mapping) else {},
    )


def _items(c: Collection) -> list[Mapping[str, Any]]:
    providers = oauth2_options(c).get("providers")
    if not isinstance(providers, list):
        return []
    return [p for p in providers if isinstance(p, Mapping)]


def provider_configs(c: Collection) -> list[ProviderConfig]:
    """The collection's providers that Backroom can run, in their configured order."""
    return [cfg for cfg in (_config(p) for p in _items(c)) if cfg is not None]


def provider_config(c: Collection, name: str) -> ProviderConfig | None:
    for item in _items(c):
        if item.get("name") == name:
            return _config(item)
    return None


def _is_url(value: str) -> bool:
    parts = urlsplit(value)
    return parts.scheme in {"http", "https"} and bool(parts.netloc)


def _provider_errors(item: Mapping[str, Any]) -> dict[str, ErrorDetail]:
    errors: dict[str, ErrorDetail] = {}
    name = _text(item, "name")
    if not name:
        errors["name"] = _REQUIRED
    elif provider_spec(name) is None:
        errors["name"] = ErrorDetail(
            "validation_missing_provider",
            f"Invalid or missing provider with name {name}.",
            {"name": name},
        )
    for key in ("clientId", "clientSecret"):
        if not _text(item, key):
            errors[key] = _REQUIRED
    for key in ("authURL", "tokenURL", "userInfoURL"):
        value = item.get(key)
        if value not in (None, "") and not (isinstance(value, str) and _is_url(value)):
            errors[key] = _URL
    for key, kind in (("pkce", bool), ("extra", Mapping), ("displayName", str)):
        value = item.get(key)
        if value is not None and not isinstance(value, kind):
            errors[key] = _INVALID
    return errors


def oauth2_option_errors(c: Collection) -> dict[str, Any]:
    """PocketBase's checks: none while OAuth2 is off; then no duplicated provider, and each
    provider known, with a client id and secret and well-formed URLs."""
    raw = c.options.get("oauth2")
    if not isinstance(raw, Mapping):
        return {"oauth2": _INVALID}
    if not isinstance(raw.get("enabled"), bool):
        return {"oauth2": {"enabled": _INVALID}}
    if not raw.get("enabled"):
        return {}
    providers = raw.get("providers")
    if not isinstance(providers, list) or not all(isinstance(p, Mapping) for p in providers):
        return {"oauth2": {"providers": _INVALID}}
    seen: set[str] = set()
    for i, item in enumerate(providers):
        name = _text(item, "name")
        if name and name in seen:
            detail = ErrorDetail(
                "validation_duplicated_provider",
                f"The provider {name} is already registered.",
                {"name": name},
            )
            return {"oauth2": {"providers": {str(i): {"name": detail}}}}
        seen.add(name)
    errors = {str(i): e for i, item in enumerate(providers) if (e := _provider_errors(item))}
    return {"oauth2": {"providers": errors}} if errors else {}


def normalize_oauth2_options(c: Collection) -> None:
    """Forget mapped fields the collection no longer has, as PocketBase does."""
    raw = c.options.get("oauth2")
    if not isinstance(raw, dict):
        return
    mapped = raw.get("mappedFields")
    if isinstance(mapped, dict):
        for key in MAPPED_FIELDS:
            value = mapped.get(key)
            if not isinstance(value, str) or (value and c.field(value) is None):
                mapped[key] = ""
    providers = raw.get("providers")
    if providers is None:
        raw["providers"] = []
    elif isinstance(providers, list):
        raw["providers"] = [_stored(p) if isinstance(p, Mapping) else p for p in providers]


def _stored(item: Mapping[str, Any]) -> dict[str, Any]:
    """A provider with every key PocketBase stores, in its types where they are right."""
    out: dict[str, Any] = {"pkce": item.get("pkce")}
    for key in ("name", "clientId", "clientSecret", "authURL", "tokenURL", "userInfoURL"):
        out[key] = item.get(key, "")
    out["displayName"] = item.get("displayName", "")
    extra = item.get("extra")
    out["extra"] = {} if extra is None else extra
    return out


def keep_client_secrets(old: Collection, new: Collection) -> None:
    """A provider sent without its secret keeps the one stored under its name."""
    stored = {_text(p, "name"): _text(p, "clientSecret") for p in _items(old)}
    providers = oauth2_options(new).get("providers")
    if not isinstance(providers, list):
        return
    for item in providers:
        if isinstance(item, dict) and not item.get("clientSecret"):
            secret = stored.get(_text(item, "name"))
            if secret:
                item["clientSecret"] = secret


def strip_client_secrets(collection_json: dict[str, Any]) -> None:
    """Remove every provider's secret from a collection's JSON, in place."""
    raw = collection_json.get("oauth2")
    if not isinstance(raw, dict) or not isinstance(raw.get("providers"), list):
        return
    collection_json["oauth2"] = {
        **raw,
        "providers": [
            {k: v for k, v in p.items() if k != "clientSecret"} if isinstance(p, dict) else p
            for p in raw["providers"]
        ],
    }
