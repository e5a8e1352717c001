"""Filters compiled to SQL and run on real SQLite tables: exactly the expected rows match."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy.dialects import sqlite as sqlite_dialect

from backroom.core.clock import format_datetime
from backroom.core.collections.model import Collection, Schema
from backroom.core.context import AuthInfo, RequestContext
from backroom.core.fields.registry import field_from_json
from backroom.core.rules import FilterError, compile_filter, compile_sort
from backroom.storage.sql import ddl
from backroom.storage.sql_filter import render_order_by, render_where
from backroom.storage.sqlite.driver import sqlite3

DIALECT = sqlite_dialect.dialect()
NOW = datetime.now(UTC)


def _collection(cid: str, name: str, *fields: dict[str, Any]) -> Collection:
    base = {"name": "id", "type": "text", "primaryKey": True}
    return Collection(id=cid, name=name, fields=[field_from_json(d) for d in (base, *fields)])


AUTHORS = _collection(
    "pbc_authors",
    "authors",
    {"name": "name", "type": "text"},
    {"name": "age", "type": "number"},
)
POSTS = _collection(
    "pbc_posts",
    "posts",
    {"name": "title", "type": "text"},
    {"name": "views", "type": "number"},
    {"name": "published", "type": "bool"},
    {"name": "tags", "type": "select", "values": ["news", "tech", "art"], "maxSelect": 3},
    {"name": "author", "type": "relation", "collectionId": "pbc_authors", "maxSelect": 1},
    {"name": "editors", "type": "relation", "collectionId": "pbc_authors", "maxSelect": 5},
    {"name": "meta", "type": "json"},
    {"name": "owner", "type": "text"},
    {"name": "stamp", "type": "text"},
)
SCHEMA = Schema([AUTHORS, POSTS])


def _when(days: float) -> str:
    return format_datetime(NOW + timedelta(days=days))


AUTHOR_ROWS = [
    {"id": "a1", "name": "Ann", "age": 30},
    {"id": "a2", "name": "bob", "age": 20},
    {"id": "a3", "name": "Cid", "age": 40},
]
_POST_COLUMNS = ("id", "title", "views", "published", "tags", "author", "editors", "meta")
_POST_VALUES: list[tuple[Any, ...]] = [
    ("p1", "Hello world", 10, True, ["news", "tech"], "a1", ["a1", "a2"], {"color": "red", "n": 1}),
    ("p2", "hello_there", 0, False, ["news"], "a2", ["a2"], None),
    ("p3", "100% real", -5, True, [], "", [], {"color": "blue"}),
    ("p4", "", 2.5, False, ["tech"], "a3", ["a1", "a3"], {"color": "RED"}),
    ("p5", "x' OR 1=1--", 50, True, ["art", "news"], "a2", ["a3"], {}),
    ("p6", '") || 1=1 || ("', 7, False, ["news", "news"], "a1", ["a2", "a2"], [1, 2]),
    ("p7", "back\\slash", 3, True, ["art"], "a3", [], "text"),
    ("p8", "\u201csmart\u201d quotes", 99, False, [], "a1", ["a1"], None),
]
_OWNERS = {"p1": "u1", "p2": "", "p3": "u2", "p4": "u1", "p5": "", "p6": "u2", "p7": "", "p8": "u1"}
_STAMPS = {"p1": -2, "p2": 2, "p3": None, "p4": 0, "p5": -0.9, "p6": 0.9, "p7": -40, "p8": 400}
POST_ROWS: list[dict[str, Any]] = [
    {
        **dict(zip(_POST_COLUMNS, values, strict=True)),
        "owner": _OWNERS[values[0]],
        "stamp": "" if _STAMPS[values[0]] is None else _when(_STAMPS[values[0]]),
    }
    for values in _POST_VALUES
]
ALL = {r["id"] for r in POST_ROWS}


def _insert(conn: sqlite3.Connection, collection: Collection, rows: list[dict[str, Any]]) -> None:
    names = [f.name for f in collection.fields]
    marks = ", ".join("?" * len(names))
    for row in rows:
        values = [f.to_db(row[f.name]) for f in collection.fields]
        conn.execute(f"INSERT INTO {collection.name} ({', '.join(names)}) VALUES ({marks})", values)


@pytest.fixture(scope="module")
def db() -> Iterator[sqlite3.Connection]:
    conn = sqlite3.connect(":memory:")
    for collection in (AUTHORS, POSTS):
        for stmt in ddl.create_statements(DIALECT, collection):
            conn.execute(stmt)
    _insert(conn, AUTHORS, AUTHOR_ROWS)
    _insert(conn, POSTS, POST_ROWS)
    yield conn
    conn.close()


def _table(collection: Collection) -> Any:
    return sa.table(collection.name, *(sa.column(f.name) for f in collection.fields))


def _run(conn: sqlite3.Connection, stmt: Any, params: dict[str, Any]) -> list[tuple[Any, ...]]:
    compiled = stmt.compile(dialect=DIALECT)
    values = {**compiled.params, **params}
    names = compiled.positiontup or []
    return conn.execute(str(compiled), [values[n] for n in names]).fetchall()


def _ids(
    conn: sqlite3.Connection,
    source: str,
    ctx: RequestContext | None = None,
    *,
    superuser: bool = False,
) -> set[str]:
    plan = compile_filter(source, POSTS, SCHEMA, superuser=superuser)
    table = _table(POSTS)
    stmt = sa.select(table.c.id).where(render_where(plan, POSTS, table))
    rows = _run(conn, stmt, plan.bind_values(ctx or RequestContext(), NOW))
    return {r[0] for r in rows}


GUEST = RequestContext()
USER_1 = RequestContext(auth=AuthInfo("pbc_users", "users", {"id": "u1", "name": "Ann"}))
USER_2 = RequestContext(auth=AuthInfo("pbc_users", "users", {"id": "u2", "name": "Zed"}))

MATCHES: list[tuple[str, set[str], str]] = [
    # equality and comparisons
    ('title = "Hello world"', {"p1"}, "= matches the exact text"),
    ('title = "hello world"', set(), "= is case-sensitive"),
    ('title != "Hello world"', ALL - {"p1"}, "!= matches every other row"),
    ("views = 10", {"p1"}, "= matches a number"),
    ("views = 2.5", {"p4"}, "= matches a decimal number"),
    ("views > 10", {"p5", "p8"}, "> on numbers"),
    ("views >= 10", {"p1", "p5", "p8"}, ">= on numbers"),
    ("views < 0", {"p3"}, "< on a negative number"),
    ("views <= 2.5", {"p2", "p3", "p4"}, "<= on a decimal number"),
    ("10 < views", {"p5", "p8"}, "a literal on the left mirrors the operator"),
    ("views > -100 && views < 100", ALL, "a range covering every row"),
    ("published = true", {"p1", "p3", "p5", "p7"}, "= true on a bool"),
    ("published = false", {"p2", "p4", "p6", "p8"}, "= false on a bool"),
    ("published != true", {"p2", "p4", "p6", "p8"}, "!= true on a bool"),
    ('title > "x"', {"p5", "p8"}, "> on text compares code points"),
    ('title < "A"', {"p3", "p4", "p6"}, "< on text puts digits, punctuation and empty first"),
    ('owner = "u1"', {"p1", "p4", "p8"}, "= on another text field"),
    # contains
    ('title ~ "hello"', {"p1", "p2"}, "~ is a case-insensitive contains"),
    ('title ~ "WORLD"', {"p1"}, "~ ignores ASCII case in the value"),
    ('title !~ "hello"', ALL - {"p1", "p2"}, "!~ is the negation of ~"),
    ('title ~ "lo_"', {"p2"}, "an underscore in a ~ value is literal"),
    ('title ~ "o_w"', set(), "an underscore is not a one-character wildcard"),
    ('title ~ "%world"', {"p1"}, "a % in the value is a wildcard and disables wrapping"),
    ('title ~ "%Hello"', set(), "a value with % is matched as written, not wrapped"),
    ('title ~ "100%"', {"p3"}, "a trailing % matches a prefix"),
    ('title ~ "\\\\"', {"p7"}, "a backslash in a ~ value is literal"),
    ('title ~ "1=1"', {"p5", "p6"}, "~ finds text holding SQL fragments"),
    ('title ~ ""', ALL, "~ with an empty value matches every row"),
    # null and empty
    ('title = ""', {"p4"}, "= empty string matches the empty text"),
    ("title = null", {"p4"}, "null means the empty text"),
    ("title != null", ALL - {"p4"}, "!= null matches every non-empty text"),
    ("null = title", {"p4"}, "null on the left works the same"),
    ("author = null", {"p3"}, "null matches an empty single relation"),
    ("tags = null", set(), "null is not an empty list, as in PocketBase"),
    ("editors != null", ALL, "!= null holds for any list, even an empty one"),
    ("meta = null", {"p2", "p8"}, "null matches a null json value"),
    ("stamp = null", {"p3"}, "null matches an empty date text"),
    ("null = null", ALL, "null = null is always true"),
    ("null != null", set(), "null != null is always false"),
    # and / or / precedence
    ('published = true && title ~ "o"', {"p1", "p5"}, "&& requires both sides"),
    ('views = 0 || title = "Hello world"', {"p1", "p2"}, "|| accepts either side"),
    (
        "published = true || views > 50 && published = false",
        {"p1", "p3", "p5", "p7", "p8"},
        "&& binds tighter than ||",
    ),
    (
        "(published = true || views > 50) && published = false",
        {"p8"},
        "parentheses group before &&",
    ),
    (
        "views < 5 && (published = true || owner = 'u1') || views = 99",
        {"p3", "p4", "p7", "p8"},
        "a mixed expression with parentheses",
    ),
    # modifiers
    ('title:lower = "hello world"', {"p1"}, ":lower lower-cases the field"),
    ('title:lower ~ "smart"', {"p8"}, ":lower with ~"),
    ("title:length = 0", {"p4"}, ":length on empty text is 0"),
    ("title:length > 10", {"p1", "p2", "p5", "p6", "p8"}, ":length on text counts characters"),
    ("tags:length = 2", {"p1", "p5", "p6"}, ":length on a multiple select counts items"),
    ("tags:length = 0", {"p3", "p8"}, ":length of an empty list is 0"),
    ("editors:length >= 2", {"p1", "p4", "p6"}, ":length on a multiple relation"),
    # :each
    ('tags = \'["news","tech"]\'', {"p1"}, "a multiple field compares as its JSON text"),
    ('tags ?= "tech"', set(), "without :each the any-of form sees the JSON text"),
    ('tags:each ?= "tech"', {"p1", "p4"}, ":each with ?= matches any item"),
    ('tags:each = "news"', {"p2", "p6"}, ":each with = needs every item to match"),
    (
        'tags:each != "news"',
        {"p3", "p4", "p7", "p8"},
        ":each with != needs every item to differ; an empty list counts as one missing value",
    ),
    (
        'tags:each ?!= "news"',
        {"p1", "p3", "p4", "p5", "p7", "p8"},
        ":each with ?!= needs one differing item, or an empty list",
    ),
    ('tags:each ?~ "EC"', {"p1", "p4"}, ":each with ?~ is a contains on any item"),
    ('tags:each ~ "e"', {"p1", "p2", "p4", "p6"}, ":each with ~ needs every item to contain"),
    ('"tech" ?= tags:each', {"p1", "p4"}, ":each on the right mirrors the operator"),
    ('tags:each ?> "n"', {"p1", "p2", "p4", "p5", "p6"}, ":each with ?>"),
    # relation paths
    ('author.name = "Ann"', {"p1", "p6", "p8"}, "a single relation path"),
    ("author.age > 25", {"p1", "p4", "p6", "p7", "p8"}, "a number behind a single relation"),
    ('author.name:lower = "bob"', {"p2", "p5"}, ":lower behind a relation"),
    ("author.name = null", {"p3"}, "an empty relation has an empty name"),
    ('editors.name ?= "bob"', {"p1", "p2", "p6"}, "a multiple relation path with ?= is any"),
    ('editors.name = "bob"', {"p2", "p6"}, "a multiple relation path with = is all"),
    ("editors.age ?> 35", {"p4", "p5"}, "any related number above a bound"),
    ("editors.age > 25", {"p4", "p5", "p8"}, "every related number above a bound"),
    ("editors.age < 35", {"p1", "p2", "p6", "p8"}, "every related number below a bound"),
    (
        'editors.name != "bob"',
        {"p3", "p4", "p5", "p7", "p8"},
        "no related name equal to a value, no related records included",
    ),
    ('editors.name ?~ "N"', {"p1", "p4", "p8"}, "any related name containing a letter"),
    # json
    ('meta.color = "red"', {"p1"}, "a key inside a json field"),
    ('meta.color ~ "red"', {"p1", "p4"}, "~ inside a json field"),
    ("meta.n = 1", {"p1"}, "a number inside a json field"),
    ("meta.0 = 1", {"p6"}, "an array index inside a json field"),
    ("meta.color = null", ALL - {"p1", "p3", "p4"}, "a missing json key is empty"),
    # macros
    ("stamp < @now", {"p1", "p3", "p5", "p7"}, "@now splits past from future; empty sorts first"),
    ("stamp > @now", {"p2", "p6", "p8"}, "> @now is the future"),
    ("stamp > @yesterday && stamp < @tomorrow", {"p4", "p5", "p6"}, "between two macros"),
    ("views >= @year", set(), "@year is a number"),
    ("@hour >= 0 && @hour < 24 && @weekday <= 6", ALL, "the number macros have a range"),
    # injection strings
    ('title = "x\' OR 1=1--"', {"p5"}, "a quote-comment injection matches only its own row"),
    ('title = "\\") || 1=1 || (\\""', {"p6"}, "a filter-breakout string matches only its row"),
    ("title = 'x\\' OR 1=1--'", {"p5"}, "an escaped single quote is text"),
    ("title = \"' OR ''='\"", set(), "a classic always-true string matches nothing"),
    ('title = "\x00"', set(), "a NUL character matches nothing"),
    ('title = "\x00\' OR 1=1--"', set(), "a NUL before an injection matches nothing"),
    ('title = "\u201csmart\u201d quotes"', {"p8"}, "curly quotes are ordinary characters"),
    ('title = "\u201c OR 1=1 \u201d"', set(), "curly quotes do not end a string"),
    ('title = "a"; DROP TABLE posts; --"', None, "a second statement is a syntax error"),
    ('title = "\\"; DELETE FROM posts; --"', set(), "a statement inside a string is text"),
    ("title ~ \"%' OR '1'='1\"", set(), "an injection in a ~ value is text"),
]


@pytest.mark.parametrize(
    ("source", "expected"),
    [(s, e) for s, e, _ in MATCHES if e is not None],
    ids=[i for s, e, i in MATCHES if e is not None],
)
def test_a_filter_matches_exactly_the_expected_rows(
    db: sqlite3.Connection, source: str, expected: set[str]
) -> None:
    assert _ids(db, source) == expected


def _day(dt: datetime) -> datetime:
    return datetime(dt.year, dt.month, dt.day, tzinfo=UTC)


def _next_month(dt: datetime) -> datetime:
    return datetime(dt.year + dt.month // 12, dt.month % 12 + 1, 1, tzinfo=UTC)


_MS = timedelta(milliseconds=1)
WINDOWS: list[tuple[str, datetime, datetime, str]] = [
    ("today", _day(NOW), _day(NOW) + timedelta(days=1) - _MS, "today's window"),
    (
        "month",
        datetime(NOW.year, NOW.month, 1, tzinfo=UTC),
        _next_month(NOW) - _MS,
        "the month window",
    ),
    (
        "year",
        datetime(NOW.year, 1, 1, tzinfo=UTC),
        datetime(NOW.year + 1, 1, 1, tzinfo=UTC) - _MS,
        "the year window",
    ),
]


@pytest.mark.parametrize(
    ("name", "start", "end"), [w[:3] for w in WINDOWS], ids=[w[3] for w in WINDOWS]
)
def test_a_calendar_macro_window_holds_the_dates_within_it(
    db: sqlite3.Connection, name: str, start: datetime, end: datetime
) -> None:
    expected = {
        pid
        for pid, days in _STAMPS.items()
        if days is not None
        and start <= datetime.fromisoformat(_when(days).replace("Z", "+00:00")) <= end
    }
    assert "p4" in expected
    assert "p8" not in expected
    assert _ids(db, f"stamp >= @{name}Start && stamp <= @{name}End") == expected


def test_the_table_survives_every_injection(db: sqlite3.Connection) -> None:
    for source, _, _ in MATCHES:
        with contextlib.suppress(FilterError):
            _ids(db, source)
    assert db.execute("SELECT count(*) FROM posts").fetchone() == (len(POST_ROWS),)


@pytest.mark.parametrize(
    "source",
    [
        'title = "a"; DROP TABLE posts; --"',
        "title = \u201cx\u201d || 1=1",
        "title = 'x' -- comment",
        "title = x' OR 1=1--",
    ],
    ids=[
        "a second statement after a string is rejected",
        "unquoted curly quotes are rejected",
        "an SQL comment is rejected",
        "an unbalanced quote is rejected",
    ],
)
def test_an_injection_outside_a_string_is_a_filter_error(source: str) -> None:
    with pytest.raises(FilterError):
        compile_filter(source, POSTS, SCHEMA, superuser=False)


AUTH_CASES: list[tuple[str, RequestContext, set[str], str]] = [
    ("owner = @request.auth.id", GUEST, {"p2", "p5", "p7"}, "a guest's id is empty"),
    (
        '@request.auth.id != "" && owner = @request.auth.id',
        GUEST,
        set(),
        "the usual owner rule matches nothing for a guest",
    ),
    (
        '@request.auth.id != "" && owner = @request.auth.id',
        USER_1,
        {"p1", "p4", "p8"},
        "the usual owner rule matches the user's rows",
    ),
    ("owner = @request.auth.id", USER_2, {"p3", "p6"}, "another user sees other rows"),
    ('@request.auth.id = ""', GUEST, ALL, "a guest has an empty id"),
    ('@request.auth.id = ""', USER_1, set(), "a user has an id"),
    ("@request.auth.id = null", GUEST, ALL, "a guest's id is null too"),
    ("author.name = @request.auth.name", USER_1, {"p1", "p6", "p8"}, "an auth field is bound"),
    ("author.name = @request.auth.name", GUEST, {"p3"}, "a guest's fields are empty"),
    ('@request.auth.collectionName = "users"', USER_2, ALL, "the auth collection name"),
    (
        "editors ~ @request.auth.id",
        RequestContext(auth=AuthInfo("pbc_users", "users", {"id": "a3"})),
        {"p4", "p5"},
        "~ with a bound value wraps it in wildcards",
    ),
    (
        "editors:each ?= @request.auth.id",
        RequestContext(auth=AuthInfo("pbc_users", "users", {"id": "a2"})),
        {"p1", "p2", "p6"},
        ":each any-of against a bound id",
    ),
    (
        '@request.query.page = "2" && views = 0',
        RequestContext(query={"page": "2"}),
        {"p2"},
        "a query parameter is bound",
    ),
    (
        '@request.headers.x_token = "t"',
        RequestContext(headers={"x-token": "t"}),
        ALL,
        "a header name uses _ for -",
    ),
]


@pytest.mark.parametrize(
    ("source", "ctx", "expected"),
    [(s, c, e) for s, c, e, _ in AUTH_CASES],
    ids=[i for *_, i in AUTH_CASES],
)
def test_a_request_value_is_bound_per_request(
    db: sqlite3.Connection, source: str, ctx: RequestContext, expected: set[str]
) -> None:
    assert _ids(db, source, ctx) == expected


def test_one_compiled_filter_serves_different_users(db: sqlite3.Connection) -> None:
    plan = compile_filter("owner = @request.auth.id", POSTS, SCHEMA, superuser=False)
    table = _table(POSTS)
    stmt = sa.select(table.c.id).where(render_where(plan, POSTS, table))
    got = {
        name: {r[0] for r in _run(db, stmt, plan.bind_values(ctx, NOW))}
        for name, ctx in (("u1", USER_1), ("u2", USER_2))
    }
    assert got == {"u1": {"p1", "p4", "p8"}, "u2": {"p3", "p6"}}


def test_the_sql_holds_no_literal_from_the_filter() -> None:
    secret = "needle' OR 1=1--"
    plan = compile_filter(f'title = "{secret}" && views > 12345', POSTS, SCHEMA, superuser=False)
    table = _table(POSTS)
    sql = str(
        sa.select(table.c.id).where(render_where(plan, POSTS, table)).compile(dialect=DIALECT)
    )
    assert "needle" not in sql
    assert "12345" not in sql


def test_a_plain_operator_between_two_multi_valued_sides_is_rejected() -> None:
    plan = compile_filter("tags:each = editors.name", POSTS, SCHEMA, superuser=False)
    with pytest.raises(FilterError):
        render_where(plan, POSTS, _table(POSTS))


SORTS: list[tuple[str, list[str], str]] = [
    ("views", ["p3", "p2", "p4", "p7", "p6", "p1", "p5", "p8"], "ascending by number"),
    ("-views", ["p8", "p5", "p1", "p6", "p7", "p4", "p2", "p3"], "descending by number"),
    ("author.name,id", ["p3", "p1", "p6", "p8", "p4", "p7", "p2", "p5"], "by a relation path"),
    ("-published,-id", ["p7", "p5", "p3", "p1", "p8", "p6", "p4", "p2"], "by bool then id"),
    ("@rowid", ["p1", "p2", "p3", "p4", "p5", "p6", "p7", "p8"], "by insertion order"),
]


@pytest.mark.parametrize(
    ("source", "expected"), [(s, e) for s, e, _ in SORTS], ids=[i for *_, i in SORTS]
)
def test_a_sort_orders_the_rows(db: sqlite3.Connection, source: str, expected: list[str]) -> None:
    plan = compile_sort(source, POSTS, SCHEMA, superuser=False)
    table = _table(POSTS)
    stmt = sa.select(table.c.id).order_by(*render_order_by(plan, POSTS, table))
    assert [r[0] for r in _run(db, stmt, {})] == expected


# ---- random filters against a pure-Python evaluation -------------------------------------

FUZZ_TEXTS = sorted({r["title"] for r in POST_ROWS} | {"", "a", "hello", "Hello world", "zz"})
FUZZ_WORDS = ["hello", "HELLO", "o", "world", "100", "real", "OR", "smart", "x", "lash", "q"]


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


@st.composite
def _comparison(draw: Any) -> tuple[str, Any]:
    kind = draw(st.sampled_from(["title", "owner", "views", "published"]))
    if kind in ("title", "owner"):
        op = draw(st.sampled_from(["=", "!=", "<", ">", "~", "!~"]))
        if op in ("~", "!~"):
            value: Any = draw(st.sampled_from(FUZZ_WORDS))
        elif kind == "owner":
            value = draw(st.sampled_from(["", "u1", "u2", "u3", "U1"]))
        else:
            value = draw(st.sampled_from(FUZZ_TEXTS))
        return f"{kind} {op} {_quote(value)}", ("cmp", kind, op, value)
    if kind == "views":
        op = draw(st.sampled_from(["=", "!=", "<", ">", "<=", ">="]))
        value = draw(st.sampled_from([-6, -5, 0, 2, 2.5, 3, 10, 50, 99, 100]))
        return f"views {op} {value}", ("cmp", kind, op, value)
    op = draw(st.sampled_from(["=", "!="]))
    value = draw(st.booleans())
    return f"published {op} {str(value).lower()}", ("cmp", kind, op, value)


def _expression(depth: int) -> Any:
    term = _comparison() if depth == 0 else st.one_of(_comparison(), _group(depth - 1))
    chain = st.lists(st.tuples(st.sampled_from(["&&", "||"]), term), max_size=3)
    return st.tuples(term, chain).map(_join)


def _group(depth: int) -> Any:
    return _expression(depth).map(lambda e: (f"({e[0]})", e[1]))


def _join(parts: tuple[tuple[str, Any], list[tuple[str, tuple[str, Any]]]]) -> tuple[str, Any]:
    first, rest = parts
    source = first[0] + "".join(f" {op} {t[0]}" for op, t in rest)
    # && binds tighter than ||: split the chain at every || into groups of && terms.
    groups: list[list[Any]] = [[first[1]]]
    for op, term in rest:
        if op == "||":
            groups.append([term[1]])
        else:
            groups[-1].append(term[1])
    return source, ("or", [("and", g) for g in groups])


def _evaluate(node: Any, row: dict[str, Any]) -> bool:
    if node[0] == "or":
        return any(_evaluate(n, row) for n in node[1])
    if node[0] == "and":
        return all(_evaluate(n, row) for n in node[1])
    _, name, op, value = node
    have = row[name]
    if op == "~":
        return str(value).lower() in str(have).lower()
    if op == "!~":
        return str(value).lower() not in str(have).lower()
    return {
        "=": have == value,
        "!=": have != value,
        ">": have > value,
        ">=": have >= value,
        "<": have < value,
        "<=": have <= value,
    }[op]


@settings(max_examples=200, deadline=None, derandomize=True)
@given(_expression(2))
def test_random_filters_agree_with_python(db: sqlite3.Connection, case: Any) -> None:
    source, tree = case
    expected = {r["id"] for r in POST_ROWS if _evaluate(tree, r)}
    assert _ids(db, source) == expected, source
