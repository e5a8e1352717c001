"""Typed settings, from command-line flags and ``BACKROOM_*`` environment variables.

Every setting is documented in docs/configuration.md (a test checks it).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields
from pathlib import Path

__all__ = ["Settings", "parse_workers"]


def _env(name: str, default: str) -> str:
    return os.environ.get(f"BACKROOM_{name.upper()}", default)


def _list(raw: str) -> tuple[str, ...]:
    return tuple(item.strip() for item in raw.split(",") if item.strip())


def parse_workers(raw: str) -> int:
    """A number of worker processes, at least 1, or ``auto``: one per core this process may
    run on."""
    if raw.strip().lower() == "auto":
        if hasattr(os, "sched_getaffinity"):
            return max(1, len(os.sched_getaffinity(0)))
        return os.cpu_count() or 1
    n = int(raw)
    if n < 1:
        raise ValueError("workers must be at least 1, or 'auto'")
    return n


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
    workers: int = field(default_factory=lambda: parse_workers(_env("workers", "1")))
    redis_url: str = field(default_factory=lambda: _env("redis_url", ""))
    redis_channel: str = field(default_factory=lambda: _env("redis_channel", "backroom"))
    broker_socket: str = field(default_factory=lambda: _env("broker_socket", ""))
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
