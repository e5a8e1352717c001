"""Regex options: checking them, and generating values for ``autogeneratePattern``.

The generator understands what id-like patterns use: literal characters and character classes
(``[a-z0-9]``), each optionally followed by ``{n}``.
"""

from __future__ import annotations

import re
from functools import lru_cache

from backroom.core.ids import random_string

__all__ = ["generate", "invalid_regex"]

_TOKEN_RE = re.compile(r"\[(?P<cls>[^\]]+)\]|(?P<lit>[A-Za-z0-9_\-])")
_COUNT_RE = re.compile(r"\{(\d{1,3})\}")


def invalid_regex(pattern: str) -> str | None:
    """The compile error of a user pattern, or None when it is valid (or empty)."""
    if not pattern:
        return None
    if len(pattern) > 1000:
        return "Error parsing regexp: the pattern is too long."
    try:
        re.compile(pattern)
    except re.error as err:
        return f"Error parsing regexp: {err}."
    return None


def _expand_class(spec: str) -> str:
    chars: list[str] = []
    i = 0
    while i < len(spec):
        if i + 2 < len(spec) and spec[i + 1] == "-":
            chars.extend(chr(c) for c in range(ord(spec[i]), ord(spec[i + 2]) + 1))
            i += 3
        else:
            chars.append(spec[i])
            i += 1
    return "".join(dict.fromkeys(chars))


@lru_cache(maxsize=256)
def _plan(pattern: str) -> tuple[tuple[str, int], ...]:
    """(alphabet, count) per token of ``pattern``: parsed once, drawn from on every insert."""
    plan: list[tuple[str, int]] = []
    pos = 0
    while pos < len(pattern):
        m = _TOKEN_RE.match(pattern, pos)
        if m is None:
            raise ValueError(f"unsupported autogenerate pattern: {pattern!r}")
        alphabet = _expand_class(m["cls"]) if m["cls"] else m["lit"]
        pos = m.end()
        count = 1
        cm = _COUNT_RE.match(pattern, pos)
        if cm is not None:
            count = int(cm.group(1))
            pos = cm.end()
        plan.append((alphabet, count))
    return tuple(plan)


def generate(pattern: str) -> str:
    return "".join(random_string(count, alphabet) for alphabet, count in _plan(pattern))
