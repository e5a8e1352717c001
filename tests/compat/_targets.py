"""A server under comparison: its client and a superuser token."""

from __future__ import annotations

from dataclasses import dataclass

import httpx


@dataclass
class Target:
    name: str
    client: httpx.Client
    token: str

    def su(self) -> dict[str, str]:
        return {"Authorization": self.token}
