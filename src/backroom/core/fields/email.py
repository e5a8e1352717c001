"""The email field."""

from __future__ import annotations

import re
from dataclasses import dataclass

from backroom.core.fields.domains import DomainField
from backroom.errors import ErrorDetail

__all__ = ["EmailField"]

# Linear: no nested quantifiers, and the input is capped at 2048 characters before matching.
_LOCAL_RE = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}$")
_LABEL_RE = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$")


def _email_domain(value: str) -> str | None:
    local, sep, domain = value.rpartition("@")
    if not sep or not _LOCAL_RE.match(local) or len(domain) > 253:
        return None
    labels = domain.split(".")
    if len(labels) < 2 or not all(_LABEL_RE.match(label) for label in labels):
        return None
    return domain


@dataclass(kw_only=True)
class EmailField(DomainField):
    type = "email"

    def domain_of(self, value: str) -> str | None:
        return _email_domain(value)

    def invalid(self) -> ErrorDetail:
        return ErrorDetail("validation_is_email", "Must be a valid email address.")

    def domain_not_allowed(self) -> ErrorDetail:
        return ErrorDetail("validation_email_domain_not_allowed", "Email domain is not allowed.")
