"""Parse tokens into an expression tree, within PocketBase's limits.

Precedence: ``&&`` binds tighter than ``||``; parentheses group. The parser is recursive
but nesting is capped, so deeply nested input fails with a clean error.
"""

from __future__ import annotations

from backroom.core.rules.ast import (
    FUNCTIONS,
    OPERATORS,
    And,
    Call,
    Compare,
    Expr,
    Identifier,
    Literal,
    Operand,
    Or,
)
from backroom.core.rules.errors import FilterError
from backroom.core.rules.lexer import Token, tokenize

__all__ = ["MAX_EXPRESSIONS", "MAX_FILTER_LENGTH", "MAX_NESTING", "parse"]

MAX_FILTER_LENGTH = 3500
MAX_EXPRESSIONS = 200
MAX_NESTING = 50
_MODIFIERS = frozenset({"each", "length", "lower", "isset", "changed"})


class _Parser:
    def __init__(self, tokens: list[Token]) -> None:
        self.tokens = tokens
        self.pos = 0
        self.compares = 0

    def peek(self) -> Token | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def take(self) -> Token:
        tok = self.peek()
        if tok is None:
            raise FilterError("unexpected end of expression")
        self.pos += 1
        return tok

    def parse_or(self, depth: int) -> Expr:
        items = [self.parse_and(depth)]
        while (tok := self.peek()) is not None and tok.kind == "or":
            self.take()
            items.append(self.parse_and(depth))
        return items[0] if len(items) == 1 else Or(tuple(items))

    def parse_and(self, depth: int) -> Expr:
        items = [self.parse_primary(depth)]
        while (tok := self.peek()) is not None and tok.kind == "and":
            self.take()
            items.append(self.parse_primary(depth))
        return items[0] if len(items) == 1 else And(tuple(items))

    def parse_primary(self, depth: int) -> Expr:
        tok = self.peek()
        if tok is not None and tok.kind == "lparen":
            if depth >= MAX_NESTING:
                raise FilterError("the expression is nested too deeply")
            self.take()
            expr = self.parse_or(depth + 1)
            if self.take().kind != "rparen":
                raise FilterError("missing closing parenthesis")
            return expr
        left = self.parse_operand()
        op = self.take()
        if op.kind != "op" or op.text not in OPERATORS:
            raise FilterError(f"expected an operator at position {op.pos}")
        right = self.parse_operand()
        self.compares += 1
        if self.compares > MAX_EXPRESSIONS:
            raise FilterError(f"more than {MAX_EXPRESSIONS} expressions")
        return Compare(op.text, left, right)

    def parse_operand(self) -> Operand:
        tok = self.peek()
        nxt = self.tokens[self.pos + 1] if self.pos + 1 < len(self.tokens) else None
        if tok is not None and tok.kind == "ident" and nxt is not None and nxt.kind == "lparen":
            return self.parse_call()
        return self.parse_value()

    def parse_call(self) -> Call:
        name = self.take()
        if name.text not in FUNCTIONS:
            raise FilterError(f"unknown function {name.text!r}")
        self.take()  # the opening parenthesis
        args: list[Identifier | Literal] = []
        while True:
            args.append(self.parse_value())
            sep = self.take()
            if sep.kind == "rparen":
                break
            if sep.kind != "comma":
                raise FilterError(f"expected ',' or ')' at position {sep.pos}")
        least, most = FUNCTIONS[name.text]
        if not least <= len(args) <= most:
            raise FilterError(f"{name.text}() takes {least} to {most} arguments")
        return Call(name.text, tuple(args))

    def parse_value(self) -> Identifier | Literal:
        tok = self.take()
        if tok.kind == "string":
            return Literal(tok.text)
        if tok.kind == "number":
            value = float(tok.text)
            return Literal(int(value) if value.is_integer() and "." not in tok.text else value)
        if tok.kind == "ident":
            if tok.text in ("true", "false"):
                return Literal(tok.text == "true")
            if tok.text == "null":
                return Literal(None)
            return _identifier(tok.text)
        raise FilterError(f"unexpected token at position {tok.pos}")


def _identifier(text: str) -> Identifier:
    """Split ``a.b:modifier``; only ``@collection.name:alias`` may carry a ``:`` elsewhere."""
    segments = text.split(".")
    last, _, modifier = segments[-1].partition(":")
    segments[-1] = last
    if modifier and modifier not in _MODIFIERS:
        raise FilterError(f"unknown modifier {modifier!r}")
    for i, segment in enumerate(segments[:-1]):
        if ":" in segment and not (i == 1 and segments[0] == "@collection"):
            raise FilterError(f"unexpected ':' in {text!r}")
    if len(segments) == 2 and segments[0] == "@collection" and modifier:
        raise FilterError(f"missing field after {text!r}")
    return Identifier(tuple(segments), modifier)


def parse(source: str) -> Expr:
    if len(source) > MAX_FILTER_LENGTH:
        raise FilterError(f"the expression is longer than {MAX_FILTER_LENGTH} characters")
    tokens = tokenize(source)
    if not tokens:
        raise FilterError("empty expression")
    parser = _Parser(tokens)
    expr = parser.parse_or(0)
    if parser.peek() is not None:
        raise FilterError("unexpected trailing input")
    return expr
