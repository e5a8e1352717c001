"""The ``expand`` query parameter: relation paths to load, at most six levels deep."""

from __future__ import annotations

import re

from backroom.errors import BadRequestError

__all__ = ["MAX_EXPAND_DEPTH", "ExpandTree", "parse_expand"]

MAX_EXPAND_DEPTH = 6
_NAME_RE = re.compile(r"^[A-Za-z0-9_]+$")
_MAX_PATHS = 50

ExpandTree = dict[str, "ExpandTree"]


def parse_expand(raw: str) -> ExpandTree:
    tree: ExpandTree = {}
    paths = [p.strip() for p in raw.split(",") if p.strip()]
    if len(paths) > _MAX_PATHS:
        raise BadRequestError("Failed to expand: too many expand paths.")
    for path in paths:
        parts = path.split(".")
        if len(parts) > MAX_EXPAND_DEPTH:
            raise BadRequestError(
                f"Failed to expand: the expand depth must be at most {MAX_EXPAND_DEPTH}."
            )
        node = tree
        for part in parts:
            if not _NAME_RE.match(part):
                raise BadRequestError("Failed to expand: invalid expand path.")
            node = node.setdefault(part, {})
    return tree
