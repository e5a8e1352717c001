"""RequestContext: the plain data a rule sees as ``@request.*``; any transport builds it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = ["AuthInfo", "RequestContext"]


@dataclass(frozen=True, slots=True)
class AuthInfo:
    """The authenticated record: its collection and its stored fields (hidden ones included)."""

    collection_id: str
    collection_name: str
    record: Mapping[str, Any]

    @property
    def id(self) -> str:
        return str(self.record.get("id", ""))

    @property
    def is_superuser(self) -> bool:
        return self.collection_name == "_superusers"


@dataclass(slots=True)
class RequestContext:
    auth: AuthInfo | None = None
    method: str = "GET"
    context: str = "default"  # default | oauth2 | otp | password | realtime | protectedFile
    headers: Mapping[str, str] = field(default_factory=dict)
    query: Mapping[str, str] = field(default_factory=dict)
    body: Mapping[str, Any] = field(default_factory=dict)
    client_ip: str = ""  # not visible to rules; for per-address limits and logs

    @property
    def is_superuser(self) -> bool:
        return self.auth is not None and self.auth.is_superuser
