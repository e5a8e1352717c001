"""The url field."""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from backroom.core.fields.domains import DomainField
from backroom.errors import ErrorDetail

__all__ = ["URLField"]


_SCHEMES = frozenset({"http", "https", "ftp", "ftps", "ws", "wss"})
_LABEL_RE = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9])?$")


def _url_host(value: str) -> str | None:
    """The host of a web URL; ``example.com/path`` without a scheme counts, as in PocketBase,
    and then needs a dotted domain name."""
    if any(c.isspace() for c in value):
        return None
    schemeless = "://" not in value
    try:
        parts = urlsplit(f"http://{value}" if schemeless else value)
        parts.port  # noqa: B018 - raises ValueError on an invalid port
    except ValueError:
        return None
    host = parts.hostname
    if parts.scheme.lower() not in _SCHEMES or not host:
        return None
    if schemeless:
        labels = host.split(".")
        if len(labels) < 2 or not all(_LABEL_RE.match(label) for label in labels):
            return None
    return host


@dataclass(kw_only=True)
class URLField(DomainField):
    type = "url"

    def domain_of(self, value: str) -> str | None:
        return _url_host(value)

    def invalid(self) -> ErrorDetail:
        return ErrorDetail("validation_invalid_url", "Must be a valid url.")

    def domain_not_allowed(self) -> ErrorDetail:
        return ErrorDetail("validation_url_domain_not_allowed", "Url domain is not allowed.")
