"""The url field."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from backroom.core.fields.domains import DomainField
from backroom.errors import ErrorDetail

__all__ = ["URLField"]


def _url_host(value: str) -> str | None:
    if any(c.isspace() for c in value):
        return None
    try:
        parts = urlsplit(value)
    except ValueError:
        return None
    if (
        parts.scheme.lower() not in {"http", "https", "ftp", "ftps", "ws", "wss"}
        or not parts.hostname
    ):
        return None
    return parts.hostname


@dataclass(kw_only=True)
class URLField(DomainField):
    type = "url"

    def domain_of(self, value: str) -> str | None:
        return _url_host(value)

    def invalid(self) -> ErrorDetail:
        return ErrorDetail("validation_invalid_url", "Must be a valid url.")
