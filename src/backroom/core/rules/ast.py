"""The syntax tree of a filter or rule expression."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = [
    "FUNCTIONS",
    "OPERATORS",
    "And",
    "Call",
    "Compare",
    "Expr",
    "Identifier",
    "Literal",
    "Operand",
    "Or",
]

OPERATORS = frozenset(
    {"=", "!=", ">", ">=", "<", "<=", "~", "!~"}
    | {"?" + op for op in ("=", "!=", ">", ">=", "<", "<=", "~", "!~")}
)


FUNCTIONS = {"geoDistance": (4, 4), "strftime": (2, 10)}
"""The functions of the language, with their least and most arguments."""


@dataclass(frozen=True, slots=True)
class Identifier:
    """A name such as ``title``, ``author.name``, ``tags:each`` or ``@request.auth.id``.
    ``@collection.posts:alias.title`` keeps its alias in the path segment (``posts:alias``)."""

    path: tuple[str, ...]
    modifier: str = ""  # each | length | lower | isset | changed


@dataclass(frozen=True, slots=True)
class Literal:
    value: Any  # str | int | float | bool | None


@dataclass(frozen=True, slots=True)
class Call:
    """A function call: ``geoDistance(lonA, latA, lonB, latB)``, ``strftime(format, time)``."""

    name: str
    args: tuple[Identifier | Literal, ...]


Operand = Identifier | Literal | Call


@dataclass(frozen=True, slots=True)
class Compare:
    op: str
    left: Operand
    right: Operand


@dataclass(frozen=True, slots=True)
class And:
    items: tuple[Expr, ...]


@dataclass(frozen=True, slots=True)
class Or:
    items: tuple[Expr, ...]


Expr = Compare | And | Or
