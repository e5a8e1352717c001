"""Tokens of the filter language."""

from __future__ import annotations

import re
from dataclasses import dataclass

from backroom.core.rules.errors import FilterError

__all__ = ["Token", "tokenize"]

_TOKEN_RE = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<comment>//[^\n]*)
  | (?P<string>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')
  | (?P<number>-?\d+(?:\.\d+)?(?![A-Za-z_]))
  | (?P<op>\?!~|\?!=|\?>=|\?<=|\?=|\?>|\?<|\?~|!~|!=|>=|<=|=|>|<|~)
  | (?P<and>&&)
  | (?P<or>\|\|)
  | (?P<lparen>\()
  | (?P<rparen>\))
  | (?P<comma>,)
  | (?P<ident>@?[A-Za-z_][A-Za-z0-9_]*(?::[A-Za-z0-9_]+)?(?:\.[A-Za-z0-9_@]+(?::[A-Za-z0-9_]+)?)*)
    """,
    re.VERBOSE,
)
_ESCAPE_RE = re.compile(r"\\(.)", re.DOTALL)


@dataclass(frozen=True, slots=True)
class Token:
    kind: str  # string number op and or lparen rparen comma ident
    text: str
    pos: int


def _unquote(raw: str) -> str:
    return _ESCAPE_RE.sub(lambda m: m.group(1), raw[1:-1])


def tokenize(source: str) -> list[Token]:
    tokens: list[Token] = []
    pos = 0
    while pos < len(source):
        m = _TOKEN_RE.match(source, pos)
        if m is None:
            raise FilterError(f"unexpected character at position {pos}")
        kind = m.lastgroup or ""
        text = m.group(kind)
        if kind == "string":
            tokens.append(Token(kind, _unquote(text), pos))
        elif kind not in ("ws", "comment"):
            tokens.append(Token(kind, text, pos))
        pos = m.end()
    return tokens
