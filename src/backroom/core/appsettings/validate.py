"""Checking app settings: the shape of a PATCH body and the rules each section must meet,
with PocketBase's error codes and messages."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from typing import Any

from backroom.errors import BadRequestError, ErrorDetail

__all__ = ["AUDIENCES", "RATE_LIMIT_LABEL", "check_patch_types", "settings_errors"]

_LOAD_FAILED = "An error occurred while loading the submitted data."
_REQUIRED = ErrorDetail("validation_required", "Cannot be blank.")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_DNS_NAME = re.compile(
    r"^(?=.{1,253}$)[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?"
    r"(\.[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*\.?$"
)
AUDIENCES = ("", "@guest", "@auth")
# "/path/", "METHOD /path", "collection:action", "*:action", or a bare tag
RATE_LIMIT_LABEL = re.compile(r"^(\w+ /[\w/-]*|/[\w/-]*|\w+:\w+|\*:\w+|\w+)$")
_AUTH_METHODS = ("", "PLAIN", "LOGIN")
_URL_SCHEMES = ("http", "https", "ws", "wss", "ftp", "tcp", "udp")
_PORT = re.compile(r"^\d{1,5}$")
_CRON_MACROS = ("@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly")
_INVALID_EMAIL = ErrorDetail("validation_is_email", "Must be a valid email address.")
_INVALID_URL = ErrorDetail("validation_is_url", "Must be a valid URL.")
_INVALID_HOST = ErrorDetail("validation_is_host", "Must be a valid IP address or DNS name.")


def _min(threshold: int) -> ErrorDetail:
    return ErrorDetail(
        "validation_min_greater_equal_than_required",
        f"Must be no less than {threshold}.",
        {"threshold": threshold},
    )


def _type_ok(default: Any, value: Any) -> bool:
    if isinstance(default, bool):
        return isinstance(value, bool)
    if isinstance(default, int):
        return isinstance(value, int) and not isinstance(value, bool)
    if isinstance(default, str):
        return isinstance(value, str)
    if isinstance(default, list):
        return isinstance(value, list)
    if isinstance(default, dict):
        return isinstance(value, Mapping)
    return True


def check_patch_types(current: Mapping[str, Any], patch: Mapping[str, Any]) -> None:
    """Refuse a PATCH body whose values have the wrong JSON types, as PocketBase does when
    its settings struct fails to load them."""
    for key, value in patch.items():
        if key not in current or value is None:
            continue
        default = current[key]
        if not _type_ok(default, value):
            raise BadRequestError(_LOAD_FAILED)
        if isinstance(default, dict):
            check_patch_types(default, value)
        elif key == "rules":
            _check_rules_types(value)
        elif isinstance(default, list) and not all(isinstance(v, str) for v in value):
            raise BadRequestError(_LOAD_FAILED)


def _check_rules_types(rules: list[Any]) -> None:
    kinds = {"label": str, "audience": str, "duration": int, "maxRequests": int}
    for rule in rules:
        if not isinstance(rule, Mapping):
            raise BadRequestError(_LOAD_FAILED)
        for name, kind in kinds.items():
            value = rule.get(name)
            if value is None:
                continue
            if not isinstance(value, kind) or isinstance(value, bool):
                raise BadRequestError(_LOAD_FAILED)


def _is_host(value: str) -> bool:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return bool(_DNS_NAME.match(value))
    return True


def _is_url(value: str) -> bool:
    """PocketBase's URL check: a scheme it knows or none, an optional ``user@``, a host
    name or IP, an optional numeric port; without a scheme or a port the host needs a dot."""
    if len(value) <= 3 or value.startswith(".") or any(c.isspace() for c in value):
        return False
    scheme, sep, rest = value.partition("://")
    if not sep:
        rest = value
    elif scheme not in _URL_SCHEMES:
        return False
    hostport = re.split(r"[/?#]", rest, maxsplit=1)[0].rpartition("@")[2]
    if hostport.startswith("["):
        host, _, after = hostport[1:].partition("]")
        has_port, port = after.startswith(":"), after[1:]
        if after and not has_port:
            return False
    else:
        host, colon, port = hostport.partition(":")
        has_port = bool(colon)
    if not host or (has_port and not _PORT.match(port)):
        return False
    if not sep and not has_port and "." not in host:
        return False
    return _is_host(host)


def _text(value: str, max_len: int = 255) -> ErrorDetail | None:
    if not value:
        return _REQUIRED
    if len(value) > max_len:
        return ErrorDetail(
            "validation_length_out_of_range",
            f"The length must be between 1 and {max_len}.",
            {"max": max_len, "min": 1},
        )
    return None


def _meta_errors(meta: Mapping[str, Any]) -> dict[str, Any]:
    errors: dict[str, Any] = {}
    for key in ("appName", "senderName"):
        err = _text(meta[key])
        if err is not None:
            errors[key] = err
    if not meta["appURL"]:
        errors["appURL"] = _REQUIRED
    elif not _is_url(meta["appURL"]):
        errors["appURL"] = _INVALID_URL
    if not meta["senderAddress"]:
        errors["senderAddress"] = _REQUIRED
    elif not _EMAIL.match(meta["senderAddress"]):
        errors["senderAddress"] = _INVALID_EMAIL
    return errors


def _smtp_errors(smtp: Mapping[str, Any]) -> dict[str, Any]:
    errors: dict[str, Any] = {}
    if smtp["enabled"]:
        if not smtp["host"]:
            errors["host"] = _REQUIRED
        elif not _is_host(smtp["host"]):
            errors["host"] = _INVALID_HOST
        if not smtp["port"]:
            errors["port"] = _REQUIRED
    if smtp["authMethod"] not in _AUTH_METHODS:
        errors["authMethod"] = ErrorDetail("validation_in_invalid", "Must be a valid value.")
    if smtp["localName"] and not _is_host(smtp["localName"]):
        errors["localName"] = _INVALID_HOST
    return errors


def _s3_errors(s3: Mapping[str, Any]) -> dict[str, Any]:
    errors: dict[str, Any] = {}
    if s3["enabled"]:
        for key in ("bucket", "region", "endpoint", "accessKey", "secret"):
            if not s3[key]:
                errors[key] = _REQUIRED
    # checked even while S3 is off, as PocketBase does
    if s3["endpoint"] and not _is_url(s3["endpoint"]):
        errors["endpoint"] = _INVALID_URL
    return errors


def _backups_errors(backups: Mapping[str, Any]) -> dict[str, Any]:
    errors: dict[str, Any] = {}
    cron = backups["cron"]
    if cron:
        if cron not in _CRON_MACROS and len(cron.split()) != 5:
            errors["cron"] = ErrorDetail(
                "validation_invalid_cron",
                "Invalid cron expression - must be a valid macro or to have exactly 5 space "
                "separated segments.",
            )
        if not backups["cronMaxKeep"]:
            errors["cronMaxKeep"] = _REQUIRED
        elif backups["cronMaxKeep"] < 1:
            errors["cronMaxKeep"] = _min(1)
    s3 = _s3_errors(backups["s3"])
    if s3:
        errors["s3"] = s3
    return errors


def _rule_errors(rule: Mapping[str, Any]) -> dict[str, Any]:
    errors: dict[str, Any] = {}
    label = rule.get("label") or ""
    if not label:
        errors["label"] = _REQUIRED
    elif not RATE_LIMIT_LABEL.match(label):
        errors["label"] = ErrorDetail("validation_match_invalid", "Must be in a valid format.")
    for key in ("duration", "maxRequests"):
        value = rule.get(key) or 0
        if value == 0:
            errors[key] = _REQUIRED
        elif value < 1:
            errors[key] = _min(1)
    if (rule.get("audience") or "") not in AUDIENCES:
        errors["audience"] = ErrorDetail("validation_in_invalid", "Must be a valid value.")
    return errors


def _conflicts(a: Mapping[str, Any], b: Mapping[str, Any]) -> bool:
    if (a.get("label") or "") != (b.get("label") or ""):
        return False
    audiences = (a.get("audience") or "", b.get("audience") or "")
    return "" in audiences or audiences[0] == audiences[1]


def _rate_limit_errors(rate_limits: Mapping[str, Any]) -> dict[str, Any]:
    rules_errors: dict[str, Any] = {}
    rules = rate_limits["rules"]
    for i, rule in enumerate(rules):
        errs = _rule_errors(rule)
        if "label" not in errs and any(_conflicts(rule, other) for other in rules[:i]):
            label = str(rule.get("label"))
            errs["label"] = ErrorDetail(
                "validation_conflicting_rate_limit_rule",
                f"Rate limit rule configuration with label {label} already exists or "
                "conflicts with another rule.",
                {"label": label},
            )
        if errs:
            rules_errors[str(i)] = errs
    return {"rules": rules_errors} if rules_errors else {}


def _batch_errors(batch: Mapping[str, Any]) -> dict[str, Any]:
    errors: dict[str, Any] = {}
    for key in ("maxRequests", "timeout"):
        if batch["enabled"] and not batch[key]:
            errors[key] = _REQUIRED
    for key in ("maxRequests", "timeout", "maxBodySize"):
        if batch[key] < 0 and key not in errors:
            errors[key] = _min(0)
    return errors


def settings_errors(settings: Mapping[str, Any]) -> dict[str, Any]:
    """Field errors of a whole settings document, nested like the document."""
    sections = {
        "meta": _meta_errors(settings["meta"]),
        "smtp": _smtp_errors(settings["smtp"]),
        "s3": _s3_errors(settings["s3"]),
        "backups": _backups_errors(settings["backups"]),
        "rateLimits": _rate_limit_errors(settings["rateLimits"]),
        "batch": _batch_errors(settings["batch"]),
        "logs": {"maxDays": _min(0)} if settings["logs"]["maxDays"] < 0 else {},
    }
    return {name: errs for name, errs in sections.items() if errs}
