"""File keys: ``/``-separated relative paths that cannot climb out of a store's root."""

from __future__ import annotations

__all__ = ["split_key"]


def split_key(key: str) -> list[str]:
    """The parts of ``key``; ``ValueError`` for an empty part, ``.``, ``..``, a backslash or a
    NUL, so a key always names something inside the store's root on any backend."""
    parts = key.split("/")
    if not key or any(p in ("", ".", "..") or "\\" in p or "\x00" in p for p in parts):
        raise ValueError(f"invalid file key {key!r}")
    return parts
