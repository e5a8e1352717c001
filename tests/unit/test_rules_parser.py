"""The filter language: expressions parse to the expected tree; invalid ones raise FilterError."""

from __future__ import annotations

import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from backroom.core.collections.model import Collection, Schema
from backroom.core.fields.registry import field_from_json
from backroom.core.rules import FilterError, compile_filter, compile_sort
from backroom.core.rules.ast import And, Compare, Expr, Identifier, Literal, Or
from backroom.core.rules.parser import MAX_EXPRESSIONS, MAX_FILTER_LENGTH, MAX_NESTING, parse


def _id(*path: str, modifier: str = "") -> Identifier:
    return Identifier(tuple(path), modifier)


def _eq(name: str, value: object) -> Compare:
    return Compare("=", _id(name), Literal(value))


PARSED: list[tuple[str, Expr, str]] = [
    ('title = "a"', _eq("title", "a"), "a double-quoted string is a text literal"),
    ("title = 'a'", _eq("title", "a"), "a single-quoted string is a text literal"),
    ('title = "a\\"b"', _eq("title", 'a"b'), "a backslash escapes a double quote"),
    ("title = 'it\\'s'", _eq("title", "it's"), "a backslash escapes a single quote"),
    ('title = "a\\\\b"', _eq("title", "a\\b"), "a doubled backslash is one backslash"),
    ('title = ""', _eq("title", ""), "the empty string is a literal"),
    ("views = 10", _eq("views", 10), "an integer is an int literal"),
    ("views = -2", _eq("views", -2), "a negative integer is an int literal"),
    ("views = 2.5", _eq("views", 2.5), "a decimal is a float literal"),
    ("views = 1.0", _eq("views", 1.0), "a decimal with a zero fraction stays a float"),
    ("views=-3", _eq("views", -3), "no spaces are needed around operators"),
    ("done = true", _eq("done", True), "true is a boolean literal"),
    ("done = false", _eq("done", False), "false is a boolean literal"),
    ("title = null", _eq("title", None), "null is the null literal"),
    (
        '"a" = title',
        Compare("=", Literal("a"), _id("title")),
        "a literal may stand on the left",
    ),
    (
        "views > other",
        Compare(">", _id("views"), _id("other")),
        "two fields may be compared",
    ),
    *[
        (f"a {op} 1", Compare(op, _id("a"), Literal(1)), f"the {op} operator is parsed")
        for op in ("=", "!=", ">", ">=", "<", "<=", "~", "!~")
    ],
    *[
        (f"a ?{op} 1", Compare("?" + op, _id("a"), Literal(1)), f"the ?{op} operator is parsed")
        for op in ("=", "!=", ">", ">=", "<", "<=", "~", "!~")
    ],
    (
        'author.name = "Ann"',
        Compare("=", _id("author", "name"), Literal("Ann")),
        "a dotted name is a relation path",
    ),
    (
        "tags:each ?= 'x'",
        Compare("?=", _id("tags", modifier="each"), Literal("x")),
        "the each modifier is kept apart from the path",
    ),
    (
        "tags:length > 2",
        Compare(">", _id("tags", modifier="length"), Literal(2)),
        "the length modifier is parsed",
    ),
    (
        'title:lower = "x"',
        Compare("=", _id("title", modifier="lower"), Literal("x")),
        "the lower modifier is parsed",
    ),
    (
        "@request.body.title:isset = true",
        Compare("=", _id("@request", "body", "title", modifier="isset"), Literal(True)),
        "the isset modifier is parsed on a request path",
    ),
    (
        "owner = @request.auth.id",
        Compare("=", _id("owner"), _id("@request", "auth", "id")),
        "a request identifier is a dotted path starting with @request",
    ),
    (
        "created > @now",
        Compare(">", _id("created"), _id("@now")),
        "a date macro is an identifier",
    ),
    (
        "meta.items.0 = 1",
        Compare("=", _id("meta", "items", "0"), Literal(1)),
        "a numeric path segment is allowed after a dot",
    ),
    (
        "a = 1 && b = 2 || c = 3",
        Or((And((_eq("a", 1), _eq("b", 2))), _eq("c", 3))),
        "&& binds tighter than || on the left",
    ),
    (
        "a = 1 || b = 2 && c = 3",
        Or((_eq("a", 1), And((_eq("b", 2), _eq("c", 3))))),
        "&& binds tighter than || on the right",
    ),
    (
        "(a = 1 || b = 2) && c = 3",
        And((Or((_eq("a", 1), _eq("b", 2))), _eq("c", 3))),
        "parentheses override precedence",
    ),
    (
        "a = 1 && b = 2 && c = 3",
        And((_eq("a", 1), _eq("b", 2), _eq("c", 3))),
        "a chain of && is one flat And",
    ),
    (
        "a = 1 || b = 2 || c = 3",
        Or((_eq("a", 1), _eq("b", 2), _eq("c", 3))),
        "a chain of || is one flat Or",
    ),
    ("((a = 1))", _eq("a", 1), "redundant parentheses disappear"),
    (
        "a = 1 // the rest is a comment && b = 2",
        _eq("a", 1),
        "a // comment runs to the end of the line",
    ),
    (
        "a = 1 // first\n&& b = 2",
        And((_eq("a", 1), _eq("b", 2))),
        "a comment ends at a newline",
    ),
    (
        "\n\ta\t=\n1  ",
        _eq("a", 1),
        "any whitespace separates tokens",
    ),
    (
        'title = "x\' OR 1=1--"',
        _eq("title", "x' OR 1=1--"),
        "an injection attempt stays one string literal",
    ),
    (
        'title = "&& || ( ) // not a comment"',
        _eq("title", "&& || ( ) // not a comment"),
        "operators inside a string are text",
    ),
]


@pytest.mark.parametrize(
    ("source", "expected"), [(s, e) for s, e, _ in PARSED], ids=[i for *_, i in PARSED]
)
def test_an_expression_parses_to_the_expected_tree(source: str, expected: Expr) -> None:
    assert parse(source) == expected


def _nested(depth: int) -> str:
    return "(" * depth + "a = 1" + ")" * depth


def _chain(count: int) -> str:
    return " && ".join(["a=1"] * count)


INVALID_SYNTAX: list[tuple[str, str]] = [
    ("", "an empty expression is rejected"),
    ("   // only a comment", "an expression of only a comment is rejected"),
    ("title", "a lone identifier is rejected"),
    ("title =", "a missing right operand is rejected"),
    ("= 1", "a missing left operand is rejected"),
    ("a == 1", "the == operator is rejected"),
    ("a === 1", "the === operator is rejected"),
    ("a <> 1", "the <> operator is rejected"),
    ("a ?? 1", "the ?? operator is rejected"),
    ("a !== 1", "the !== operator is rejected"),
    ("a =~ 1", "the =~ operator is rejected"),
    ("a like 1", "a word is not an operator"),
    ("a = 1 & b = 2", "a single & is rejected"),
    ("a = 1 | b = 2", "a single | is rejected"),
    ("a = 1 && ", "a dangling && is rejected"),
    ("|| a = 1", "a leading || is rejected"),
    ("a = 1 b = 2", "two comparisons without a joiner are rejected"),
    ("(a = 1", "a missing closing parenthesis is rejected"),
    ("a = 1)", "an extra closing parenthesis is rejected"),
    ("()", "empty parentheses are rejected"),
    ('a = "open', "an unterminated double-quoted string is rejected"),
    ("a = 'open", "an unterminated single-quoted string is rejected"),
    ("a = 1 2", "a trailing literal is rejected"),
    ("a = 1e5", "exponent notation is rejected"),
    ("a = 1abc", "a number glued to letters is rejected"),
    ("a = $x", "an unknown character is rejected"),
    ("a = 1; DROP TABLE posts", "a semicolon is rejected"),
    ("a = \x00", "a NUL byte outside a string is rejected"),
    ("tags:bogus = 1", "an unknown modifier is rejected"),
    ("tags:each:length = 1", "two modifiers are rejected"),
    ("a.b. = 1", "a trailing dot is rejected"),
    ("a = (1)", "a parenthesised operand is rejected"),
    ("x" * (MAX_FILTER_LENGTH + 1), "an expression longer than 3500 characters is rejected"),
    (
        "a = " + '"' + "x" * MAX_FILTER_LENGTH + '"',
        "a long string literal counts towards the 3500 characters",
    ),
    (_chain(MAX_EXPRESSIONS + 1), "more than 200 comparisons are rejected"),
    (_nested(MAX_NESTING + 1), "51 levels of parentheses are rejected"),
    (_nested(1500), "1500 levels of parentheses fail cleanly"),
    ("(" * 1700, "1700 unclosed parentheses fail cleanly"),
]


@pytest.mark.parametrize(
    "source", [s for s, _ in INVALID_SYNTAX], ids=[i for _, i in INVALID_SYNTAX]
)
def test_an_invalid_expression_raises_a_filter_error(source: str) -> None:
    with pytest.raises(FilterError) as info:
        parse(source)
    assert info.value.detail


LIMITS_OK: list[tuple[str, str]] = [
    (_chain(MAX_EXPRESSIONS), "exactly 200 comparisons are accepted"),
    (_nested(MAX_NESTING), "exactly 50 levels of parentheses are accepted"),
    (
        'a = "' + "x" * (MAX_FILTER_LENGTH - 6) + '"',
        "exactly 3500 characters are accepted",
    ),
]


@pytest.mark.parametrize("source", [s for s, _ in LIMITS_OK], ids=[i for _, i in LIMITS_OK])
def test_an_expression_at_a_limit_is_accepted(source: str) -> None:
    assert len(source) <= MAX_FILTER_LENGTH
    parse(source)


def test_deep_nesting_fails_fast_without_recursion_error() -> None:
    started = time.perf_counter()
    for depth in (1500, 1700):
        with pytest.raises(FilterError):
            parse(_nested(depth))
    assert time.perf_counter() - started < 1.0


def test_many_comparisons_fail_fast() -> None:
    source = "||".join(["a=1"] * 700)
    assert len(source) <= MAX_FILTER_LENGTH
    started = time.perf_counter()
    with pytest.raises(FilterError):
        parse(source)
    assert time.perf_counter() - started < 1.0


def test_an_error_message_never_echoes_sql() -> None:
    with pytest.raises(FilterError) as info:
        parse("a = 1; SELECT * FROM _superusers")
    assert "SELECT" not in info.value.detail


NODES = Collection(
    id="pbc_nodes",
    name="nodes",
    fields=[
        field_from_json(d)
        for d in (
            {"name": "id", "type": "text", "primaryKey": True},
            {"name": "title", "type": "text"},
            {"name": "views", "type": "number"},
            {"name": "secret", "type": "text", "hidden": True},
            {"name": "password", "type": "password", "hidden": True},
            {"name": "meta", "type": "json"},
            {"name": "tags", "type": "select", "values": ["a", "b"], "maxSelect": 2},
            {"name": "parent", "type": "relation", "collectionId": "pbc_nodes", "maxSelect": 1},
            {"name": "kids", "type": "relation", "collectionId": "pbc_nodes", "maxSelect": 5},
            {"name": "lost", "type": "relation", "collectionId": "pbc_gone", "maxSelect": 1},
        )
    ],
)
SCHEMA = Schema([NODES])


def _path(hops: int, last: str = "title") -> str:
    return ".".join(["parent"] * hops + [last])


RESOLVE_OK: list[tuple[str, bool, str]] = [
    ('title = "a"', False, "a plain field resolves"),
    ("meta.color = 'red'", False, "a key inside a json field resolves"),
    ("tags:each ?= 'a'", False, "each on a multiple select resolves"),
    ("kids.title ?= 'a'", False, "a path through a multiple relation resolves"),
    (f"{_path(6)} = 'x'", False, "a relation path 6 deep resolves"),
    ("secret = 'x'", True, "a hidden field resolves for a superuser"),
    ("parent = @request.auth.id || @request.auth.id = ''", False, "the auth id resolves"),
    ("@request.query.page = '1'", False, "a query parameter resolves"),
    ("@request.headers.x_token = '1'", False, "a request header resolves"),
    ("@request.body.title:isset = true", False, "isset on a body key resolves"),
    ("@request.method = 'GET' && @request.context = 'default'", False, "method and context"),
    ("@request.auth.collectionName = 'users'", False, "the auth collection name resolves"),
    ("@request.auth.author.name = 1", False, "an auth relation path resolves (empty for a guest)"),
    ("@collection.nodes.title ?= title", False, "@collection resolves"),
    ("@collection.nodes:other.title ?= 'a'", False, "@collection with an alias resolves"),
    ("nodes_via_parent.title ?= 'a'", False, "a back-relation resolves"),
    ("nodes_via_parent.parent.title ?= 'a'", False, "a path on from a back-relation resolves"),
    ("@request.body.title:changed = false", False, "changed on a body field resolves"),
    ("@request.body.tags:each ?= 'a'", False, "each on a body list resolves"),
    ("@request.body.tags:length > 1", False, "length of a body list resolves"),
    ("geoDistance(1, 2.5, views, -3) < 10", False, "geoDistance resolves"),
    ("strftime('%Y-%m', title, 'start of month') = '2024-01'", False, "strftime resolves"),
    *[
        (f"title > @{name}", False, f"the @{name} macro resolves")
        for name in ("now", "yesterday", "tomorrow", "todayStart", "todayEnd", "monthStart")
    ],
    *[
        (f"views = @{name}", False, f"the @{name} macro resolves")
        for name in ("second", "minute", "hour", "day", "month", "year", "weekday")
    ],
]


@pytest.mark.parametrize(
    ("source", "superuser"),
    [(s, su) for s, su, _ in RESOLVE_OK],
    ids=[i for *_, i in RESOLVE_OK],
)
def test_a_valid_filter_compiles(source: str, superuser: bool) -> None:
    plan = compile_filter(source, NODES, SCHEMA, superuser=superuser)
    assert plan.cache_key == source


RESOLVE_INVALID: list[tuple[str, bool, str]] = [
    ("nope = 1", True, "an unknown field is rejected"),
    ("parent.nope = 1", True, "an unknown field of a related collection is rejected"),
    ("secret = 'x'", False, "a hidden field is rejected for a guest or user"),
    ("parent.secret = 'x'", False, "a hidden field behind a relation is rejected"),
    ("password = 'x'", False, "the password field is rejected for a user"),
    ("password = 'x'", True, "the password field is rejected even for a superuser"),
    ("password:length > 0", True, "a modifier does not unlock the password field"),
    ("title.name = 'x'", True, "a path through a text field is rejected"),
    ("lost.title = 'x'", True, "a relation to a missing collection is rejected"),
    (f"{_path(7)} = 'x'", True, "a relation path 7 deep is rejected"),
    (f"{_path(20)} = 'x'", True, "a relation path 20 deep is rejected"),
    ("title:isset = true", True, "isset on a record field is rejected"),
    ("title:changed = true", True, "changed on a record field is rejected"),
    ("@nope = 1", True, "an unknown macro is rejected"),
    ("@request = 1", True, "a bare @request is rejected"),
    ("@request.auth = 1", True, "a bare @request.auth is rejected"),
    ("@request.cookies.a = 1", True, "an unknown request section is rejected"),
    ("@collection.nope.title = 'a'", True, "@collection of a missing collection is rejected"),
    ("@collection.nodes = 'a'", True, "@collection without a field is rejected"),
    ("@collection.nodes:a:b.title = 'a'", True, "two aliases are rejected"),
    ("nodes_via_nope.title = 'a'", True, "a back-relation through a missing field is rejected"),
    ("nodes_via_title.title = 'a'", True, "a back-relation through a text field is rejected"),
    ("nope_via_parent.title = 'a'", True, "a back-relation from a missing collection"),
    ("title:lower.x = 'a'", True, "a modifier inside a path is rejected"),
    ("nope(title) = 1", True, "an unknown function is rejected"),
    ("geoDistance(1, 2, 3) < 1", True, "geoDistance with three arguments is rejected"),
    ("strftime('%Y') = '2024'", True, "strftime without a time is rejected"),
    ("geoDistance(1, 2, 3, 4 < 1", True, "an unclosed call is rejected"),
]


@pytest.mark.parametrize(
    ("source", "superuser"),
    [(s, su) for s, su, _ in RESOLVE_INVALID],
    ids=[i for *_, i in RESOLVE_INVALID],
)
def test_an_unresolvable_filter_raises_a_filter_error(source: str, superuser: bool) -> None:
    with pytest.raises(FilterError):
        compile_filter(source, NODES, SCHEMA, superuser=superuser)


SORT_OK: list[tuple[str, str]] = [
    ("-views,title", "two fields sort, one descending"),
    ("+title", "a plus sign sorts ascending"),
    ("@random", "a random sort is accepted"),
    ("-@rowid", "a rowid sort is accepted"),
    ("parent.parent.title", "a single relation path sorts"),
    (",".join(["title"] * 8), "exactly 8 sort expressions are accepted"),
    (" title , -views ", "spaces around sort items are ignored"),
]


@pytest.mark.parametrize("source", [s for s, _ in SORT_OK], ids=[i for _, i in SORT_OK])
def test_a_valid_sort_compiles(source: str) -> None:
    plan = compile_sort(source, NODES, SCHEMA, superuser=False)
    assert plan.items


def test_a_sort_keeps_direction_and_order() -> None:
    plan = compile_sort("-views,title,-@random", NODES, SCHEMA, superuser=False)
    assert [(i.ref.field.name if i.ref else i.special, i.descending) for i in plan.items] == [
        ("views", True),
        ("title", False),
        ("random", True),
    ]


SORT_INVALID: list[tuple[str, bool, str]] = [
    (",".join(["title"] * 9), True, "9 sort expressions are rejected"),
    ("nope", True, "an unknown sort field is rejected"),
    ("secret", False, "a hidden sort field is rejected for a user"),
    ("password", True, "the password field cannot be sorted by"),
    ("kids.title", True, "a multiple relation path cannot be sorted by"),
    ("@request.auth.id", True, "a request identifier cannot be sorted by"),
    ("@now", True, "a macro cannot be sorted by"),
    ("title = 1", True, "an expression is not a sort field"),
    ("title)", True, "a stray parenthesis is rejected"),
    (_path(7), True, "a relation path 7 deep cannot be sorted by"),
    ("title," * 600, True, "an overlong sort is rejected"),
]


@pytest.mark.parametrize(
    ("source", "superuser"),
    [(s, su) for s, su, _ in SORT_INVALID],
    ids=[i for *_, i in SORT_INVALID],
)
def test_an_invalid_sort_raises_a_filter_error(source: str, superuser: bool) -> None:
    with pytest.raises(FilterError):
        compile_sort(source, NODES, SCHEMA, superuser=superuser)


def test_a_hidden_sort_field_is_allowed_for_a_superuser() -> None:
    assert compile_sort("-secret", NODES, SCHEMA, superuser=True).items[0].descending


_ALPHABET = "ab_.:@()'\"=!<>~?&|, 0123456789\\\n\x00é\u201c"


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet=_ALPHABET, max_size=80) | st.text(max_size=40))
def test_any_input_either_compiles_or_raises_a_filter_error(source: str) -> None:
    """Row R1: no input makes the parser or resolver fail any other way."""
    outcome: object
    try:
        outcome = compile_filter(source, NODES, SCHEMA, superuser=False).cache_key
    except FilterError as err:
        outcome = err
    assert outcome == source or isinstance(outcome, FilterError)
