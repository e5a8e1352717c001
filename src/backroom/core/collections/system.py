"""The fields, indexes and options every collection of a kind must have."""

from __future__ import annotations

import copy
import secrets
from typing import Any

from backroom.core.auth.oauth2_options import normalize_oauth2_options
from backroom.core.collections.indexes import has_unique_index
from backroom.core.collections.model import Collection
from backroom.core.fields.base import Field
from backroom.core.fields.registry import field_from_json

__all__ = [
    "auth_origins_collection",
    "default_auth_options",
    "ensure_system_fields",
    "external_auths_collection",
    "id_field",
    "mfas_collection",
    "otps_collection",
    "rotate_token_secret",
    "superusers_collection",
    "users_collection",
]

_ID_FIELD: dict[str, Any] = {
    "name": "id",
    "type": "text",
    "system": True,
    "required": True,
    "primaryKey": True,
    "min": 15,
    "max": 15,
    "pattern": "^[a-z0-9]+$",
    "autogeneratePattern": "[a-z0-9]{15}",
}

_AUTH_FIELDS: list[dict[str, Any]] = [
    {
        "name": "password",
        "type": "password",
        "system": True,
        "hidden": True,
        "required": True,
        "min": 8,
    },
    {
        "name": "tokenKey",
        "type": "text",
        "system": True,
        "hidden": True,
        "required": True,
        "min": 30,
        "max": 60,
        "autogeneratePattern": "[a-zA-Z0-9]{50}",
    },
    {"name": "email", "type": "email", "system": True, "required": True},
    {"name": "emailVisibility", "type": "bool", "system": True},
    {"name": "verified", "type": "bool", "system": True},
]

_AUTODATE_FIELDS: list[dict[str, Any]] = [
    {"name": "created", "type": "autodate", "onCreate": True, "onUpdate": False},
    {"name": "updated", "type": "autodate", "onCreate": True, "onUpdate": True},
]


def _token(duration: int) -> dict[str, Any]:
    return {"duration": duration, "secret": _new_secret()}


def _new_secret() -> str:
    return secrets.token_urlsafe(36)[:50]


def rotate_token_secret(c: Collection) -> None:
    """Give the collection a new auth token secret: every token issued so far stops verifying."""
    token = dict(c.options.get("authToken") or {})
    token["secret"] = _new_secret()
    c.options["authToken"] = token


_SIGN_OFF = "<p>\n  Thanks,<br/>\n  {APP_NAME} team\n</p>"


def _template(subject: str, *lines: str) -> dict[str, str]:
    body = "<p>Hello,</p>\n" + "\n".join(f"<p>{line}</p>" for line in lines) + "\n" + _SIGN_OFF
    return {"subject": subject, "body": body}


def _action(text: str, route: str) -> str:
    return (
        f'\n  <a class="btn" href="{{APP_URL}}/_/#/auth/{route}/{{TOKEN}}" target="_blank" '
        f'rel="noopener">{text}</a>\n'
    )


def default_auth_options() -> dict[str, Any]:
    return {
        "authAlert": {
            "enabled": True,
            "emailTemplate": _template(
                "Login from a new location",
                "Your {APP_NAME} account was just used from a new location:",
                "<em>{ALERT_INFO}</em>",
                "<strong>If this wasn't you, change your {APP_NAME} password now to sign out "
                "every other session.</strong>",
            ),
        },
        "oauth2": {
            "enabled": False,
            "mappedFields": {"id": "", "name": "", "username": "", "avatarURL": ""},
            "providers": [],
        },
        "passwordAuth": {"enabled": True, "identityFields": ["email"]},
        "mfa": {"enabled": False, "duration": 600, "rule": ""},
        "otp": {
            "enabled": False,
            "duration": 180,
            "length": 8,
            "emailTemplate": _template(
                "OTP for {APP_NAME}",
                "Your one-time password: <strong>{OTP}</strong>",
                "<i>If you did not ask for it, ignore this email.</i>",
            ),
        },
        "authToken": _token(432000),
        "passwordResetToken": _token(1800),
        "emailChangeToken": _token(1800),
        "verificationToken": _token(86400),
        "fileToken": _token(180),
        "verificationTemplate": _template(
            "Verify your {APP_NAME} email",
            "Confirm your email address for {APP_NAME} with the button below.",
            _action("Verify", "confirm-verification"),
            "<i>If you did not sign up, ignore this email.</i>",
        ),
        "resetPasswordTemplate": _template(
            "Reset your {APP_NAME} password",
            "Choose a new password with the button below.",
            _action("Reset password", "confirm-password-reset"),
            "<i>If you did not ask for this, ignore this email.</i>",
        ),
        "confirmEmailChangeTemplate": _template(
            "Confirm your {APP_NAME} new email address",
            "Confirm your new email address with the button below.",
            _action("Confirm new email", "confirm-email-change"),
            "<i>If you did not ask for this, ignore this email.</i>",
        ),
    }


def id_field() -> Field:
    return field_from_json(_ID_FIELD)


def _auth_indexes(c: Collection) -> dict[str, str]:
    return {
        "tokenKey": f"CREATE UNIQUE INDEX `idx_tokenKey_{c.id}` ON `{c.name}` (`tokenKey`)",
        "email": f"CREATE UNIQUE INDEX `idx_email_{c.id}` ON `{c.name}` (`email`) "
        "WHERE `email` != ''",
    }


def ensure_system_fields(c: Collection) -> None:
    """Add what the collection's kind requires and the client left out."""
    names = {f.name for f in c.fields}
    primary = next((f for f in c.fields if f.name == "id" and f.type == "text"), None)
    if primary is None:
        c.fields.insert(0, id_field())  # a non-text "id" then fails as a duplicate name
    else:
        # the id field's identity is fixed; its length and patterns are the client's to choose
        primary.system = True
        primary.primaryKey = True  # type: ignore[attr-defined]
        primary.required = True  # type: ignore[attr-defined]
        if not primary.pattern:  # type: ignore[attr-defined]
            primary.pattern = _ID_FIELD["pattern"]  # type: ignore[attr-defined]
    if c.is_auth:
        missing = [field_from_json(d) for d in _AUTH_FIELDS if d["name"] not in names]
        c.fields[1:1] = missing
        for column, idx in _auth_indexes(c).items():
            if not has_unique_index(c.indexes, column):
                c.indexes.append(idx)
        defaults = default_auth_options()
        for key, value in defaults.items():
            c.options.setdefault(key, value)
            if isinstance(value, dict) and isinstance(c.options[key], dict):
                merged = copy.deepcopy(value)
                merged.update(c.options[key])
                c.options[key] = merged
        normalize_oauth2_options(c)


def _system_auth(cid: str, name: str, now: str, extra: list[dict[str, Any]]) -> Collection:
    c = Collection(id=cid, name=name, type="auth", created=now, updated=now)
    c.fields = [field_from_json(d) for d in [_ID_FIELD, *_AUTH_FIELDS, *extra]]
    ensure_system_fields(c)
    return c


_SUPERUSER_TOKEN_SECONDS = 86400  # a day, shorter than other accounts' tokens


def superusers_collection(now: str) -> Collection:
    autodates = [{**d, "system": True} for d in _AUTODATE_FIELDS]
    c = _system_auth("pbc_3142635823", "_superusers", now, autodates)
    c.system = True
    c.options["authToken"] = _token(_SUPERUSER_TOKEN_SECONDS)
    c.rules = {
        **{r: None for r in ("listRule", "viewRule", "createRule", "updateRule", "deleteRule")},
        "authRule": "",
        "manageRule": None,
    }
    return c


def users_collection(now: str) -> Collection:
    extra: list[dict[str, Any]] = [
        {"name": "name", "type": "text", "max": 255},
        {
            "name": "avatar",
            "type": "file",
            "maxSelect": 1,
            "mimeTypes": ["image/jpeg", "image/png", "image/svg+xml", "image/gif", "image/webp"],
        },
        *_AUTODATE_FIELDS,
    ]
    c = _system_auth("_pb_users_auth_", "users", now, extra)
    c.options["oauth2"]["mappedFields"].update({"name": "name", "avatarURL": "avatar"})
    owner = "id = @request.auth.id"
    c.rules = {
        "listRule": owner,
        "viewRule": owner,
        "createRule": "",
        "updateRule": owner,
        "deleteRule": owner,
        "authRule": "",
        "manageRule": None,
    }
    return c


_OWN_RECORD = (
    "@request.auth.id != '' && recordRef = @request.auth.id && "
    "collectionRef = @request.auth.collectionId"
)
_SYSTEM_TEXT = {"type": "text", "system": True, "required": True}


def _owned_rules(delete: bool) -> dict[str, str | None]:
    return {
        "listRule": _OWN_RECORD,
        "viewRule": _OWN_RECORD,
        "createRule": None,
        "updateRule": None,
        "deleteRule": _OWN_RECORD if delete else None,
    }


def otps_collection(now: str) -> Collection:
    """``_otps``: one-time passwords sent by mail, each row used at most once."""
    c = Collection(id="pbc_1638494021", name="_otps", system=True, created=now, updated=now)
    c.fields = [
        field_from_json(d)
        for d in [
            _ID_FIELD,
            {**_SYSTEM_TEXT, "name": "collectionRef"},
            {**_SYSTEM_TEXT, "name": "recordRef"},
            {
                "name": "password",
                "type": "password",
                "system": True,
                "hidden": True,
                "required": True,
            },
            {"name": "sentTo", "type": "text", "system": True, "hidden": True},
            *({**d, "system": True} for d in _AUTODATE_FIELDS),
        ]
    ]
    c.indexes = [
        "CREATE INDEX `idx_otps_collectionRef_recordRef` ON `_otps` (collectionRef, recordRef)"
    ]
    c.rules = _owned_rules(delete=False)
    return c


def mfas_collection(now: str) -> Collection:
    """``_mfas``: a first sign-in waiting for its second factor, each row used at most once."""
    c = Collection(id="pbc_2279338944", name="_mfas", system=True, created=now, updated=now)
    c.fields = [
        field_from_json(d)
        for d in [
            _ID_FIELD,
            *({**_SYSTEM_TEXT, "name": n} for n in ("collectionRef", "recordRef", "method")),
            *({**d, "system": True} for d in _AUTODATE_FIELDS),
        ]
    ]
    c.indexes = [
        "CREATE INDEX `idx_mfas_collectionRef_recordRef` ON `_mfas` (collectionRef,recordRef)"
    ]
    c.rules = _owned_rules(delete=False)
    return c


def external_auths_collection(now: str) -> Collection:
    """The links from a provider's user (provider, providerId) to an auth record."""
    c = Collection(
        id="pbc_2281828961", name="_externalAuths", system=True, created=now, updated=now
    )
    c.fields = [
        field_from_json(d)
        for d in [
            _ID_FIELD,
            *({**_SYSTEM_TEXT, "name": n} for n in ("collectionRef", "recordRef", "provider")),
            {**_SYSTEM_TEXT, "name": "providerId"},
            *({**d, "system": True} for d in _AUTODATE_FIELDS),
        ]
    ]
    c.indexes = [
        "CREATE UNIQUE INDEX `idx_externalAuths_record_provider` ON `_externalAuths` "
        "(collectionRef, recordRef, provider)",
        "CREATE UNIQUE INDEX `idx_externalAuths_collection_provider` ON `_externalAuths` "
        "(collectionRef, provider, providerId)",
    ]
    c.rules = _owned_rules(delete=True)
    return c


def auth_origins_collection(now: str) -> Collection:
    """``_authOrigins``: where each auth record signed in from (a fingerprint of the client
    address and user agent), for the new-location alert mail."""
    c = Collection(id="pbc_4275539003", name="_authOrigins", system=True, created=now, updated=now)
    c.fields = [
        field_from_json(d)
        for d in [
            _ID_FIELD,
            *({**_SYSTEM_TEXT, "name": n} for n in ("collectionRef", "recordRef", "fingerprint")),
            *({**d, "system": True} for d in _AUTODATE_FIELDS),
        ]
    ]
    c.indexes = [
        "CREATE UNIQUE INDEX `idx_authOrigins_unique_pairs` ON `_authOrigins` "
        "(collectionRef, recordRef, fingerprint)"
    ]
    c.rules = _owned_rules(delete=True)
    return c
