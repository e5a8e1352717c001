"""The syntax tree of a filter or rule expression."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["OPERATORS", "And", "Compare", "Expr", "Identifier", "Literal", "Operand", "Or"]

OPERATORS = frozenset(
    {"=", "!=", ">", ">=", "<", "<=", "~", "!~"}
    | {"?" + op for op in ("=", "!=", ">", ">=", "<", "<=", "~", "!~")}
)


@dataclass(frozen=True, slots=True)
class Identifier:
    """A name such as ``title``, ``author.name``, ``tags:each`` or ``@request.auth.id``."""

    path: tuple[str, ...]
    modifier: str = ""  # each | length | lower | isset | changed


@dataclass(frozen=True, slots=True)
class Literal:
    value: Any  # str | int | float | bool | None


Operand = Identifier | Literal


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
