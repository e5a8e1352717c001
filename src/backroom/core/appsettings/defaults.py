"""The app settings every new install starts with, in PocketBase's JSON shape.

Backroom differs from PocketBase in one default: rate limiting is on (docs/compatibility.md).
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from backroom.core.ratelimit import DEFAULT_RULES

__all__ = [
    "SECRETS",
    "default_settings",
    "keep_stored_secrets",
    "merge_settings",
    "public_settings",
]

# (section path, key) of every value a response never shows
SECRETS: tuple[tuple[tuple[str, ...], str], ...] = (
    (("smtp",), "password"),
    (("s3",), "secret"),
    (("backups", "s3"), "secret"),
)

# secrets a blank value never clears: PocketBase validates the blank, then keeps what it had
_KEPT_WHEN_BLANK = (("s3",), ("backups", "s3"))


def _s3() -> dict[str, Any]:
    return {
        "enabled": False,
        "bucket": "",
        "region": "",
        "endpoint": "",
        "accessKey": "",
        "secret": "",
        "forcePathStyle": False,
    }


def default_settings() -> dict[str, Any]:
    return {
        "superuserIPs": [],
        "smtp": {
            "enabled": False,
            "port": 587,
            "host": "smtp.example.com",
            "username": "",
            "password": "",
            "authMethod": "",
            "tls": False,
            "localName": "",
        },
        "backups": {"cron": "", "cronMaxKeep": 3, "s3": _s3()},
        "s3": _s3(),
        "meta": {
            "accentColor": "#1055c9",
            "appName": "Acme",
            "appURL": "http://localhost:8090",
            "senderName": "Support",
            "senderAddress": "support@example.com",
            "hideControls": False,
        },
        "rateLimits": {
            "rules": [rule.to_json() for rule in DEFAULT_RULES],
            "excludedIPs": [],
            "enabled": True,
        },
        "trustedProxy": {"headers": [], "useLeftmostIP": False},
        "batch": {"enabled": False, "maxRequests": 50, "timeout": 3, "maxBodySize": 0},
        "logs": {
            "maxDataSize": 0,
            "maxDays": 5,
            "minLevel": 0,
            "logIP": True,
            "logAuthId": False,
        },
    }


def merge_settings(base: Mapping[str, Any], patch: Mapping[str, Any]) -> dict[str, Any]:
    """``patch`` laid over ``base``: objects merge key by key, anything else replaces; a key
    ``base`` does not know is dropped and ``null`` changes nothing."""
    out = copy.deepcopy(dict(base))
    for key, value in patch.items():
        if key not in out or value is None:
            continue
        if isinstance(out[key], dict) and isinstance(value, Mapping):
            out[key] = merge_settings(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def public_settings(settings: Mapping[str, Any]) -> dict[str, Any]:
    """The settings as a response shows them: without the secrets."""
    out = copy.deepcopy(dict(settings))
    for path, key in SECRETS:
        section: Any = out
        for part in path:
            section = section.get(part) if isinstance(section, dict) else None
        if isinstance(section, dict):
            section.pop(key, None)
    return out


def keep_stored_secrets(current: Mapping[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    """``new`` with each blank S3 secret put back to the one in ``current``."""
    for path in _KEPT_WHEN_BLANK:
        old_section: Any = current
        new_section: Any = new
        for part in path:
            old_section, new_section = old_section[part], new_section[part]
        if not new_section["secret"]:
            new_section["secret"] = old_section["secret"]
    return new
