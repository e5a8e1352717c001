"""Email and URL fields: values with a domain that may be allow- or deny-listed."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from backroom.core.fields.base import Field, FieldContext
from backroom.core.fields.common import REQUIRED, as_text
from backroom.errors import ErrorDetail

__all__ = ["DomainField"]


@dataclass(kw_only=True)
class DomainField(Field):
    """Base of email and url: ``exceptDomains`` and ``onlyDomains`` may not both be set."""

    exceptDomains: list[str] = field(default_factory=list)
    onlyDomains: list[str] = field(default_factory=list)
    required: bool = False

    def validate_definition(self) -> dict[str, ErrorDetail]:
        if self.exceptDomains and self.onlyDomains:
            both = ErrorDetail(
                "validation_either_except_or_only",
                "Either exceptDomains or onlyDomains is allowed.",
            )
            return {"exceptDomains": both, "onlyDomains": both}
        return {}

    def normalize(self, raw: Any) -> str:
        return as_text(raw)  # not stripped: PocketBase refuses surrounding spaces

    def domain_of(self, value: str) -> str | None:
        raise NotImplementedError

    def invalid(self) -> ErrorDetail:
        raise NotImplementedError

    def domain_not_allowed(self) -> ErrorDetail:
        raise NotImplementedError

    def validate(self, value: Any, ctx: FieldContext) -> ErrorDetail | None:
        if not value:
            return REQUIRED if self.required else None
        domain = self.domain_of(str(value)) if len(str(value)) <= 2048 else None
        if domain is None:
            return self.invalid()
        # Domains compare ignoring case (PocketBase compares them exactly, so "BAD.com" slips
        # past its exceptDomains ["bad.com"]).
        domain = domain.lower()
        if self.exceptDomains and domain in {d.lower() for d in self.exceptDomains}:
            return self.domain_not_allowed()
        if self.onlyDomains and domain not in {d.lower() for d in self.onlyDomains}:
            return self.domain_not_allowed()
        return None
