"""Collections to and from PocketBase's JSON."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from backroom.core.auth.oauth2_options import strip_client_secrets
from backroom.core.collections.model import AUTH_RULE_NAMES, RULE_NAMES, Collection
from backroom.core.fields.registry import field_from_json

__all__ = ["collection_from_json", "collection_to_json", "public_collection_json"]

_OPTION_KEYS_BY_TYPE: dict[str, tuple[str, ...]] = {
    "base": (),
    "view": ("viewQuery",),
    "auth": (
        "authAlert",
        "oauth2",
        "passwordAuth",
        "mfa",
        "otp",
        "authToken",
        "passwordResetToken",
        "emailChangeToken",
        "verificationToken",
        "fileToken",
        "verificationTemplate",
        "resetPasswordTemplate",
        "confirmEmailChangeTemplate",
    ),
}


def option_names(collection_type: str) -> tuple[str, ...]:
    """The options a collection of this type has (auth settings, a view's query)."""
    return _OPTION_KEYS_BY_TYPE.get(collection_type, ())


def rule_names(collection_type: str) -> tuple[str, ...]:
    return RULE_NAMES + AUTH_RULE_NAMES if collection_type == "auth" else RULE_NAMES


def collection_to_json(c: Collection) -> dict[str, Any]:
    """The full stored form, secrets included."""
    out: dict[str, Any] = {
        "id": c.id,
        "name": c.name,
        "type": c.type,
        "system": c.system,
        "fields": [f.to_json() for f in c.fields],
        "indexes": list(c.indexes),
        "created": c.created,
        "updated": c.updated,
    }
    for rule in rule_names(c.type):
        out[rule] = c.rules.get(rule)
    for key in _OPTION_KEYS_BY_TYPE.get(c.type, ()):
        if key in c.options:
            out[key] = copy.deepcopy(c.options[key])
    return out


def public_collection_json(c: Collection) -> dict[str, Any]:
    """What the API answers: the stored form without token secrets or OAuth2 client
    secrets."""
    out = collection_to_json(c)
    for key, value in out.items():
        if isinstance(value, dict) and "secret" in value:
            out[key] = {k: v for k, v in value.items() if k != "secret"}
    strip_client_secrets(out)
    return out


def collection_from_json(data: Mapping[str, Any]) -> Collection:
    """The stored form back into a Collection (trusted input: no validation)."""
    ctype = str(data.get("type") or "base")
    return Collection(
        id=str(data["id"]),
        name=str(data["name"]),
        type=ctype,
        system=bool(data.get("system")),
        fields=[field_from_json(f) for f in data.get("fields") or []],
        indexes=[str(i) for i in data.get("indexes") or []],
        rules={r: data.get(r) for r in rule_names(ctype)},
        options={k: data[k] for k in _OPTION_KEYS_BY_TYPE.get(ctype, ()) if k in data},
        created=str(data.get("created") or ""),
        updated=str(data.get("updated") or ""),
    )
