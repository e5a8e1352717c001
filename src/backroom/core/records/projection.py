"""The ``fields`` query parameter: pick keys from serialized records, with ``:excerpt``."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from typing import Any

from backroom.errors import BadRequestError

__all__ = ["Projection", "parse_fields", "project"]

_PART_RE = re.compile(r"^(?P<path>[A-Za-z0-9_*.@]+)(?::excerpt\((?P<args>[^)]*)\))?$")
_TAG_RE = re.compile(r"<[^>]*>")
_SPACE_RE = re.compile(r"\s+")
_MAX_PARTS = 200


@dataclass
class Projection:
    """A tree of requested keys; ``excerpt`` holds (max chars, with ellipsis) per leaf."""

    keys: dict[str, Projection] = field(default_factory=dict)
    excerpt: tuple[int, bool] | None = None


def _excerpt_args(raw: str) -> tuple[int, bool]:
    parts = [p.strip() for p in raw.split(",")]
    if not parts or not parts[0].isdigit() or len(parts) > 2:
        raise BadRequestError("Invalid fields parameter.")
    ellipsis = len(parts) == 2 and parts[1].lower() in {"1", "true", "t"}
    return int(parts[0]), ellipsis


def _split_top_level(raw: str) -> list[str]:
    """Split on commas that are not inside parentheses."""
    parts: list[str] = []
    depth, start = 0, 0
    for i, ch in enumerate(raw):
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif ch == "," and depth == 0:
            parts.append(raw[start:i])
            start = i + 1
    parts.append(raw[start:])
    return parts


def parse_fields(raw: str) -> Projection | None:
    """None means every field; otherwise the tree of keys to keep."""
    raw = raw.strip()
    if not raw:
        return None
    parts = [p.strip() for p in _split_top_level(raw) if p.strip()]
    if len(parts) > _MAX_PARTS:
        raise BadRequestError("Invalid fields parameter.")
    root = Projection()
    for part in parts:
        m = _PART_RE.match(part)
        if m is None:
            raise BadRequestError("Invalid fields parameter.")
        node = root
        for key in m["path"].split("."):
            if not key:
                raise BadRequestError("Invalid fields parameter.")
            node = node.keys.setdefault(key, Projection())
        if m["args"] is not None:
            node.excerpt = _excerpt_args(m["args"])
    return root


def _excerpt(value: Any, limit: int, ellipsis: bool) -> Any:
    if not isinstance(value, str):
        return value
    text = _SPACE_RE.sub(" ", html.unescape(_TAG_RE.sub(" ", value))).strip()
    if len(text) > limit:
        text = text[:limit] + ("..." if ellipsis else "")
    return text


def project(data: Any, proj: Projection | None) -> Any:
    """Apply a projection to a serialized record (or a list of them)."""
    if proj is None or not proj.keys:
        return data
    if isinstance(data, list):
        return [project(item, proj) for item in data]
    if not isinstance(data, dict):
        return data
    star = proj.keys.get("*")
    out: dict[str, Any] = {}
    for key, value in data.items():
        sub = proj.keys.get(key)
        if sub is None and star is not None:
            sub = star
        if sub is None:
            continue
        value = project(value, sub) if sub.keys else value
        if sub.excerpt is not None:
            value = _excerpt(value, *sub.excerpt)
        out[key] = value
    return out
