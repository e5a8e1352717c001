"""Typed settings, from command-line flags and ``BACKROOM_*`` environment variables.

Every setting is documented in docs/configuration.md (a test checks it).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields
from pathlib import Path

__all__ = ["Settings"]


def _env(name: str, default: str) -> str:
    return os.environ.get(f"BACKROOM_{name.upper()}", default)


def _list(raw: str) -> tuple[str, ...]:
    return tuple(item.strip() for item in raw.split(",") if item.strip())


@dataclass(frozen=True)
class Settings:
    """How one Backroom process runs."""

    data_dir: Path = field(default_factory=lambda: Path(_env("dir", "br_data")))
    http: str = field(default_factory=lambda: _env("http", "127.0.0.1:8090"))
    dev: bool = field(default_factory=lambda: _env("dev", "") in {"1", "true"})
    durability: str = field(default_factory=lambda: _env("durability", "normal"))
    readers: int = field(default_factory=lambda: int(_env("readers", "2")))
    body_limit: int = field(default_factory=lambda: int(_env("body_limit", str(32 << 20))))
    query_timeout: float = field(default_factory=lambda: float(_env("query_timeout", "5")))
    session_max_age: int = field(default_factory=lambda: int(_env("session_max_age", "0")))
    realtime_idle_timeout: float = field(
        default_factory=lambda: float(_env("realtime_idle_timeout", "300"))
    )
    realtime_max_clients: int = field(
        default_factory=lambda: int(_env("realtime_max_clients", "10000"))
    )
    realtime_max_clients_per_ip: int = field(
        default_factory=lambda: int(_env("realtime_max_clients_per_ip", "1000"))
    )
    realtime_queue: int = field(default_factory=lambda: int(_env("realtime_queue", "1000")))
    origins: tuple[str, ...] = field(
        default_factory=lambda: tuple(
            o.strip() for o in _env("origins", "*").split(",") if o.strip()
        )
    )

    @classmethod
    def names(cls) -> list[str]:
        return [f.name for f in fields(cls)]
