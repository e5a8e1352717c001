"""Field value checks, modifiers, storage round trips and values set on save."""

from __future__ import annotations

import math
import re
from typing import Any

import pytest

from backroom.core.fields.base import FieldContext
from backroom.core.fields.registry import field_from_json

NEW = FieldContext(is_new=True)
REQUIRED = ("validation_required", "Cannot be blank.", {})


def _update(**old: Any) -> FieldContext:
    return FieldContext(is_new=False, old=old)


CHECKS: list[
    tuple[str, dict[str, Any], Any, FieldContext, tuple[str, str, dict[str, Any]] | None]
] = [
    (
        "a required text refuses an empty string",
        {"type": "text", "required": True},
        "",
        NEW,
        REQUIRED,
    ),
    ("an optional empty text is fine", {"type": "text", "min": 3}, "", NEW, None),
    (
        "a text shorter than min is refused",
        {"type": "text", "min": 3},
        "ab",
        NEW,
        ("validation_min_text_constraint", "Must be at least 3 character(s).", {"min": 3}),
    ),
    (
        "a text longer than max is refused",
        {"type": "text", "max": 3},
        "abcd",
        NEW,
        ("validation_max_text_constraint", "Must be no more than 3 character(s).", {"max": 3}),
    ),
    (
        "a text length is counted in characters, not bytes",
        {"type": "text", "max": 3},
        "ééé",
        NEW,
        None,
    ),
    (
        "a text of exactly 5000 characters fits the default max",
        {"type": "text"},
        "a" * 5000,
        NEW,
        None,
    ),
    (
        "a text over 5000 characters is refused by the default max",
        {"type": "text"},
        "a" * 5001,
        NEW,
        (
            "validation_max_text_constraint",
            "Must be no more than 5000 character(s).",
            {"max": 5000},
        ),
    ),
    (
        "a text that does not match the pattern is refused",
        {"type": "text", "pattern": "^[a-z]+$"},
        "ab1",
        NEW,
        ("validation_invalid_format", "Invalid value format.", {}),
    ),
    (
        "a text pattern may match anywhere in the value",
        {"type": "text", "pattern": "[0-9]"},
        "ab1",
        NEW,
        None,
    ),
    ("a primary key may not be empty", {"type": "text", "primaryKey": True}, "", NEW, REQUIRED),
    (
        "a primary key may not change on update",
        {"type": "text", "primaryKey": True},
        "b",
        _update(x="a"),
        ("validation_pk_change", "The record primary key cannot be changed.", {}),
    ),
    (
        "a primary key kept on update is fine",
        {"type": "text", "primaryKey": True},
        "a",
        _update(x="a"),
        None,
    ),
    (
        "a required editor refuses an empty string",
        {"type": "editor", "required": True},
        "",
        NEW,
        REQUIRED,
    ),
    (
        "an editor over maxSize bytes is refused",
        {"type": "editor", "maxSize": 4},
        "ééé",
        NEW,
        (
            "validation_content_size_limit",
            "The maximum allowed content size is 4 bytes.",
            {"maxSize": 4},
        ),
    ),
    (
        "an editor at exactly maxSize bytes is fine",
        {"type": "editor", "maxSize": 4},
        "éé",
        NEW,
        None,
    ),
    (
        "an editor over five MiB is refused by the default",
        {"type": "editor"},
        "a" * ((5 << 20) + 1),
        NEW,
        (
            "validation_content_size_limit",
            "The maximum allowed content size is 5242880 bytes.",
            {"maxSize": 5242880},
        ),
    ),
    ("a required number refuses zero", {"type": "number", "required": True}, 0, NEW, REQUIRED),
    ("zero is only checked against required", {"type": "number", "min": 5}, 0, NEW, None),
    (
        "an int-only number refuses a fraction",
        {"type": "number", "onlyInt": True},
        1.5,
        NEW,
        ("validation_only_int_constraint", "Decimal numbers are not allowed.", {}),
    ),
    ("an int-only number accepts an integer", {"type": "number", "onlyInt": True}, 2, NEW, None),
    (
        "a number below min is refused",
        {"type": "number", "min": 5},
        3,
        NEW,
        ("validation_min_number_constraint", "Must be greater or equal than 5.", {"min": 5}),
    ),
    (
        "a number above a fractional max is refused",
        {"type": "number", "max": 2.5},
        3,
        NEW,
        ("validation_max_number_constraint", "Must be less or equal than 2.5.", {"max": 2.5}),
    ),
    ("a number on its bounds is fine", {"type": "number", "min": 1, "max": 3}, 3, NEW, None),
    (
        "a number that is not finite is refused",
        {"type": "number"},
        math.nan,
        NEW,
        ("validation_invalid_number", "Must be a valid number.", {}),
    ),
    (
        "a number check refuses a string",
        {"type": "number"},
        "5",
        NEW,
        ("validation_invalid_number", "Must be a valid number.", {}),
    ),
    ("a required bool refuses false", {"type": "bool", "required": True}, False, NEW, REQUIRED),
    ("a required bool accepts true", {"type": "bool", "required": True}, True, NEW, None),
    ("an optional bool accepts false", {"type": "bool"}, False, NEW, None),
    (
        "a required email refuses an empty string",
        {"type": "email", "required": True},
        "",
        NEW,
        REQUIRED,
    ),
    ("a plain email is fine", {"type": "email"}, "a.b+c@mail.example.io", NEW, None),
    (
        "an email without a dot in its domain is refused",
        {"type": "email"},
        "a@b",
        NEW,
        ("validation_is_email", "Must be a valid email address.", {}),
    ),
    (
        "an email with a space is refused",
        {"type": "email"},
        "a b@c.io",
        NEW,
        ("validation_is_email", "Must be a valid email address.", {}),
    ),
    (
        "an email with a local part over 64 characters is refused",
        {"type": "email"},
        "a" * 65 + "@c.io",
        NEW,
        ("validation_is_email", "Must be a valid email address.", {}),
    ),
    (
        "an email domain label may not start with a hyphen",
        {"type": "email"},
        "a@-b.io",
        NEW,
        ("validation_is_email", "Must be a valid email address.", {}),
    ),
    (
        "an email in a denied domain is refused whatever its case",
        {"type": "email", "exceptDomains": ["b.io"]},
        "a@B.IO",
        NEW,
        ("validation_email_domain_not_allowed", "Email domain is not allowed.", {}),
    ),
    (
        "an email outside the allowed domains is refused",
        {"type": "email", "onlyDomains": ["x.io"]},
        "a@b.io",
        NEW,
        ("validation_email_domain_not_allowed", "Email domain is not allowed.", {}),
    ),
    (
        "an email in an allowed domain is fine",
        {"type": "email", "onlyDomains": ["X.io"]},
        "a@x.io",
        NEW,
        None,
    ),
    (
        "a url with a single-label host is fine, as in PocketBase",
        {"type": "url"},
        "http://x",
        NEW,
        None,
    ),
    ("an ftp url is fine", {"type": "url"}, "ftp://files.x.io/a.txt", NEW, None),
    ("a url without a scheme is fine, as in PocketBase", {"type": "url"}, "x.io/a?b=1", NEW, None),
    (
        "a url without a scheme needs a dotted host",
        {"type": "url"},
        "localhost",
        NEW,
        ("validation_invalid_url", "Must be a valid url.", {}),
    ),
    (
        "a url without a scheme cannot slip past the denied domains",
        {"type": "url", "exceptDomains": ["x.io"]},
        "X.io/a",
        NEW,
        ("validation_url_domain_not_allowed", "Url domain is not allowed.", {}),
    ),
    (
        "an email with a surrounding space is refused, as in PocketBase",
        {"type": "email"},
        " a@x.io",
        NEW,
        ("validation_is_email", "Must be a valid email address.", {}),
    ),
    (
        "a required url refuses an empty string",
        {"type": "url", "required": True},
        "",
        NEW,
        REQUIRED,
    ),
    (
        "a javascript url is refused",
        {"type": "url"},
        "javascript:alert(1)",
        NEW,
        ("validation_invalid_url", "Must be a valid url.", {}),
    ),
    (
        "a url without a host is refused",
        {"type": "url"},
        "http://",
        NEW,
        ("validation_invalid_url", "Must be a valid url.", {}),
    ),
    (
        "a url with a space is refused",
        {"type": "url"},
        "http://a b.io",
        NEW,
        ("validation_invalid_url", "Must be a valid url.", {}),
    ),
    (
        "a url in a denied domain is refused",
        {"type": "url", "exceptDomains": ["x.io"]},
        "https://X.io/p",
        NEW,
        ("validation_url_domain_not_allowed", "Url domain is not allowed.", {}),
    ),
    (
        "a url outside the allowed domains is refused",
        {"type": "url", "onlyDomains": ["x.io"]},
        "https://y.io",
        NEW,
        ("validation_url_domain_not_allowed", "Url domain is not allowed.", {}),
    ),
    (
        "a required date refuses an empty string",
        {"type": "date", "required": True},
        "",
        NEW,
        REQUIRED,
    ),
    (
        "a date before min is refused",
        {"type": "date", "min": "2024-01-01"},
        "2023-12-31 23:59:59.999Z",
        NEW,
        (
            "validation_min_date_constraint",
            "Must be no earlier than 2024-01-01 00:00:00.000Z.",
            {"min": "2024-01-01 00:00:00.000Z"},
        ),
    ),
    (
        "a date after max is refused",
        {"type": "date", "max": "2024-01-01T00:00:00+01:00"},
        "2024-01-01 00:00:00.000Z",
        NEW,
        (
            "validation_max_date_constraint",
            "Must be no later than 2023-12-31 23:00:00.000Z.",
            {"max": "2023-12-31 23:00:00.000Z"},
        ),
    ),
    (
        "a date on its bounds is fine",
        {"type": "date", "min": "2024-01-01", "max": "2024-01-01"},
        "2024-01-01 00:00:00.000Z",
        NEW,
        None,
    ),
    (
        "a select refuses a value not in its list",
        {"type": "select", "values": ["a", "b"]},
        "z",
        NEW,
        ("validation_invalid_value", "Invalid value z.", {"value": "z"}),
    ),
    (
        "a multiple select refuses more than maxSelect values",
        {"type": "select", "values": ["a", "b", "c"], "maxSelect": 2},
        ["a", "b", "c"],
        NEW,
        ("validation_too_many_values", "Select no more than 2.", {"maxSelect": 2}),
    ),
    (
        "a single select refuses a list of two",
        {"type": "select", "values": ["a", "b"]},
        ["a", "b"],
        NEW,
        ("validation_too_many_values", "Select no more than 1.", {"maxSelect": 1}),
    ),
    (
        "a required multiple select refuses an empty list",
        {"type": "select", "values": ["a"], "maxSelect": 2, "required": True},
        [],
        NEW,
        REQUIRED,
    ),
    (
        "a select value from its list is fine",
        {"type": "select", "values": ["a", "b"]},
        "b",
        NEW,
        None,
    ),
    (
        "a relation with fewer than minSelect ids is refused",
        {"type": "relation", "collectionId": "c", "minSelect": 2, "maxSelect": 5},
        ["r1"],
        NEW,
        ("validation_not_enough_values", "Select at least 2.", {"minSelect": 2}),
    ),
    (
        "an empty optional relation is not held to minSelect",
        {"type": "relation", "collectionId": "c", "minSelect": 2, "maxSelect": 5},
        [],
        NEW,
        None,
    ),
    (
        "a relation with more than maxSelect ids is refused",
        {"type": "relation", "collectionId": "c", "maxSelect": 2},
        ["r1", "r2", "r3"],
        NEW,
        ("validation_too_many_values", "Select no more than 2.", {"maxSelect": 2}),
    ),
    (
        "a required single relation refuses an empty id",
        {"type": "relation", "collectionId": "c", "required": True},
        "",
        NEW,
        REQUIRED,
    ),
    (
        "a file field with more than maxSelect names is refused, in PocketBase's words",
        {"type": "file", "maxSelect": 2},
        ["a", "b", "c"],
        NEW,
        ("validation_too_many_files", "The maximum allowed files is 2.", {"maxSelect": 2}),
    ),
    (
        "a required file field refuses no file",
        {"type": "file", "required": True},
        "",
        NEW,
        REQUIRED,
    ),
    ("a required json refuses null", {"type": "json", "required": True}, None, NEW, REQUIRED),
    (
        "a required json refuses an empty string",
        {"type": "json", "required": True},
        "",
        NEW,
        REQUIRED,
    ),
    (
        "a required json refuses an empty list",
        {"type": "json", "required": True},
        [],
        NEW,
        REQUIRED,
    ),
    (
        "a required json refuses an empty object",
        {"type": "json", "required": True},
        {},
        NEW,
        REQUIRED,
    ),
    (
        "a json over maxSize is refused",
        {"type": "json", "maxSize": 10},
        {"a": "123456789"},
        NEW,
        (
            "validation_json_size_limit",
            "The maximum allowed JSON size is 10 bytes.",
            {"maxSize": 10},
        ),
    ),
    ("a json within maxSize is fine", {"type": "json", "maxSize": 10}, [1, 2], NEW, None),
    (
        "a longitude over 180 is refused",
        {"type": "geoPoint"},
        {"lon": 181, "lat": 0},
        NEW,
        ("validation_invalid_longitude", "Longitude must be between -180 and 180 degrees.", {}),
    ),
    (
        "a latitude under -90 is refused",
        {"type": "geoPoint"},
        {"lon": 0, "lat": -91},
        NEW,
        ("validation_invalid_latitude", "Latitude must be between -90 and 90 degrees.", {}),
    ),
    (
        "a longitude that is not finite is refused",
        {"type": "geoPoint"},
        {"lon": math.inf, "lat": 0},
        NEW,
        ("validation_invalid_longitude", "Longitude must be between -180 and 180 degrees.", {}),
    ),
    (
        "coordinates on the limits are fine",
        {"type": "geoPoint"},
        {"lon": -180, "lat": 90},
        NEW,
        None,
    ),
    (
        "a required geoPoint refuses the origin",
        {"type": "geoPoint", "required": True},
        {"lon": 0, "lat": 0},
        NEW,
        REQUIRED,
    ),
    (
        "an optional geoPoint accepts the origin",
        {"type": "geoPoint"},
        {"lon": 0, "lat": 0},
        NEW,
        None,
    ),
    (
        "a required password refuses an empty string",
        {"type": "password", "required": True},
        "",
        NEW,
        REQUIRED,
    ),
    (
        "a password shorter than min is refused",
        {"type": "password", "min": 8},
        "short",
        NEW,
        ("validation_min_text_constraint", "Must be at least 8 character(s).", {}),
    ),
    (
        "a password over 1024 characters is refused by default",
        {"type": "password"},
        "a" * 1025,
        NEW,
        (
            "validation_max_text_constraint",
            "Must be less than 1024 character(s).",
            {},
        ),
    ),
    (
        "a password that does not match the pattern is refused",
        {"type": "password", "pattern": "[0-9]"},
        "abcdefgh",
        NEW,
        ("validation_invalid_format", "Invalid value format.", {}),
    ),
    ("an autodate value is never refused", {"type": "autodate", "onCreate": True}, "", NEW, None),
]


@pytest.mark.parametrize(
    ("spec", "value", "ctx", "expected"),
    [row[1:] for row in CHECKS],
    ids=[row[0] for row in CHECKS],
)
def test_validate(
    spec: dict[str, Any],
    value: Any,
    ctx: FieldContext,
    expected: tuple[str, str, dict[str, Any]] | None,
) -> None:
    err = field_from_json({"name": "x", **spec}).validate(value, ctx)
    if expected is None:
        assert err is None
    else:
        assert err is not None
        assert (err.code, err.message, err.params) == expected


# ---- pathological input -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("spec", "value", "code"),
    [
        ({"type": "email"}, "a" * 5000 + "@", "validation_is_email"),
        ({"type": "email"}, "a" * 2040 + "@", "validation_is_email"),
        ({"type": "email"}, "a@" + "a." * 1020, "validation_is_email"),
        ({"type": "email"}, "x@" + "a-" * 1000 + "a.io", "validation_is_email"),
        ({"type": "url"}, "http://" + "a." * 1000 + "x" * 5000, "validation_invalid_url"),
        ({"type": "url"}, "a" * 5000 + "@", "validation_invalid_url"),
    ],
    ids=[
        "an email of 5000 letters and an at sign is refused",
        "an email of 2040 letters and an at sign is refused",
        "an email with a thousand empty-ended labels is refused",
        "an email with a 2000-character label is refused",
        "a url over 2048 characters is refused",
        "a url without a scheme made of 5000 letters is refused",
    ],
)
def test_pathological_values_are_refused(spec: dict[str, Any], value: str, code: str) -> None:
    err = field_from_json({"name": "x", **spec}).validate(value, NEW)
    assert err is not None
    assert err.code == code


def test_a_url_with_a_thousand_labels_is_checked_and_accepted() -> None:
    f = field_from_json({"name": "x", "type": "url"})
    assert f.validate("http://" + "a." * 1000, NEW) is None


# ---- modifiers ----------------------------------------------------------------------------

MULTI = {"type": "select", "values": ["a", "b", "c", "d"], "maxSelect": 4}
SINGLE = {"type": "select", "values": ["a", "b"]}
MODIFIERS: list[tuple[str, dict[str, Any], Any, str, Any, Any]] = [
    ("plus adds to a number", {"type": "number"}, 5, "+", 2, 7),
    ("plus adds a numeric string to a number", {"type": "number"}, 5, "+", "2.5", 7.5),
    ("minus subtracts from a number", {"type": "number"}, 5, "-", 7, -2),
    ("plus on an unset number starts from zero", {"type": "number"}, None, "+", 3, 3),
    ("adding fractions back to whole gives an int", {"type": "number"}, 0.5, "+", 0.5, 1),
    ("prepend leaves a number as it is", {"type": "number"}, 5, "^", 2, 5),
    ("plus appends to a multiple select", MULTI, ["a"], "+", "b", ["a", "b"]),
    ("plus appends a list to a multiple select", MULTI, ["a"], "+", ["b", "c"], ["a", "b", "c"]),
    ("plus skips values already present", MULTI, ["a", "b"], "+", ["b", "c"], ["a", "b", "c"]),
    ("prepend puts values first", MULTI, ["a"], "^", ["b", "c"], ["b", "c", "a"]),
    ("prepend skips values already present", MULTI, ["a", "b"], "^", ["b", "c"], ["c", "a", "b"]),
    ("minus removes values", MULTI, ["a", "b", "c"], "-", ["a", "c"], ["b"]),
    ("minus of an absent value changes nothing", MULTI, ["a"], "-", "z", ["a"]),
    ("minus of every value leaves an empty list", MULTI, ["a"], "-", "a", []),
    ("plus on a single select keeps the added value", SINGLE, "a", "+", "b", "b"),
    ("minus on a single select clears its value", SINGLE, "a", "-", "a", ""),
    ("minus of another value keeps a single select", SINGLE, "a", "-", "b", "a"),
    (
        "plus appends ids to a multiple relation",
        {"type": "relation", "collectionId": "c", "maxSelect": 9},
        ["r1"],
        "+",
        "r2",
        ["r1", "r2"],
    ),
    (
        "minus removes file names",
        {"type": "file", "maxSelect": 3},
        ["a.png", "b.png"],
        "-",
        ["a.png"],
        ["b.png"],
    ),
    ("plus leaves a text as it is", {"type": "text"}, "x", "+", "y", "x"),
    ("minus leaves a bool as it is", {"type": "bool"}, True, "-", True, True),
    ("plus leaves a json as it is", {"type": "json"}, [1], "+", [2], [1]),
]


@pytest.mark.parametrize(
    ("spec", "current", "modifier", "raw", "expected"),
    [row[1:] for row in MODIFIERS],
    ids=[row[0] for row in MODIFIERS],
)
def test_apply_modifier(
    spec: dict[str, Any], current: Any, modifier: str, raw: Any, expected: Any
) -> None:
    value = field_from_json({"name": "x", **spec}).apply_modifier(current, modifier, raw)
    assert value == expected
    assert type(value) is type(expected)


@pytest.mark.parametrize(
    ("spec", "raw"),
    [({"type": "number"}, "abc"), ({"type": "number"}, {"a": 1}), (MULTI, [{"a": 1}])],
    ids=[
        "adding letters to a number is refused",
        "adding an object to a number is refused",
        "appending an object to a select is refused",
    ],
)
def test_a_modifier_with_unconvertible_input_is_refused(spec: dict[str, Any], raw: Any) -> None:
    with pytest.raises(ValueError, match="validation_invalid_value") as exc:
        field_from_json({"name": "x", **spec}).apply_modifier(None, "+", raw)
    assert exc.value.args[0].code == "validation_invalid_value"


# ---- storage ------------------------------------------------------------------------------

ROUND_TRIPS: list[tuple[str, dict[str, Any], Any, Any]] = [
    ("a text is stored as is", {"type": "text"}, "héllo", "héllo"),
    ("a number is stored as is", {"type": "number"}, 12.5, 12.5),
    ("a bool true is stored as one", {"type": "bool"}, True, 1),
    ("a bool false is stored as zero", {"type": "bool"}, False, 0),
    (
        "a date is stored as its text",
        {"type": "date"},
        "2024-01-02 00:00:00.000Z",
        "2024-01-02 00:00:00.000Z",
    ),
    ("a single select is stored as text", SINGLE, "a", "a"),
    ("a multiple select is stored as a compact JSON array", MULTI, ["a", "b"], '["a","b"]'),
    ("an empty multiple select is stored as an empty array", MULTI, [], "[]"),
    (
        "a json object is stored as compact JSON",
        {"type": "json"},
        {"a": [1, None]},
        '{"a":[1,null]}',
    ),
    ("a json string is stored as a JSON string", {"type": "json"}, "x", '"x"'),
    ("a json null is stored as NULL", {"type": "json"}, None, None),
    (
        "a geoPoint is stored as a compact JSON object",
        {"type": "geoPoint"},
        {"lon": 1.5, "lat": 2},
        '{"lon":1.5,"lat":2}',
    ),
]


@pytest.mark.parametrize(
    ("spec", "value", "stored"),
    [row[1:] for row in ROUND_TRIPS],
    ids=[row[0] for row in ROUND_TRIPS],
)
def test_storage_round_trip(spec: dict[str, Any], value: Any, stored: Any) -> None:
    f = field_from_json({"name": "x", **spec})
    assert f.to_db(value) == stored
    back = f.from_db(f.to_db(value))
    assert back == value
    assert type(back) is type(value)


FROM_DB: list[tuple[str, dict[str, Any], Any, Any]] = [
    ("a stored integral float reads as an int", {"type": "number"}, 5.0, 5),
    ("a stored numeric string reads as a number", {"type": "number"}, "7", 7),
    ("a stored bool one reads as true", {"type": "bool"}, 1, True),
    ("a stored NULL multiple value reads as an empty list", MULTI, None, []),
    ("a stored empty multiple value reads as an empty list", MULTI, "", []),
    ("a stored plain string for a multiple value reads as one item", MULTI, "a", ["a"]),
    ("a stored JSON string for a multiple value reads as one item", MULTI, '"a"', ["a"]),
    ("a stored NULL single value reads as an empty string", SINGLE, None, ""),
    ("a stored invalid json reads as null", {"type": "json"}, "{bad", None),
    ("a stored json number is passed through", {"type": "json"}, 3, 3),
    (
        "a stored invalid geoPoint reads as the origin",
        {"type": "geoPoint"},
        "bad",
        {"lon": 0, "lat": 0},
    ),
]


@pytest.mark.parametrize(
    ("spec", "stored", "expected"), [row[1:] for row in FROM_DB], ids=[row[0] for row in FROM_DB]
)
def test_from_db_tolerates_odd_stored_values(
    spec: dict[str, Any], stored: Any, expected: Any
) -> None:
    value = field_from_json({"name": "x", **spec}).from_db(stored)
    assert value == expected
    assert type(value) is type(expected)


# ---- values set on save --------------------------------------------------------------------

NOW = "2025-03-04 05:06:07.089Z"
OLD = "2020-01-01 00:00:00.000Z"
AUTODATE: list[tuple[str, dict[str, Any], bool, Any]] = [
    ("an onCreate autodate is set on create", {"onCreate": True}, True, NOW),
    ("an onCreate autodate keeps its old value on update", {"onCreate": True}, False, OLD),
    ("an onUpdate autodate is set on update", {"onUpdate": True}, False, NOW),
    ("an onUpdate autodate stays empty on create", {"onUpdate": True}, True, ""),
    ("an autodate set on both is set on create", {"onCreate": True, "onUpdate": True}, True, NOW),
    ("an autodate set on both is set on update", {"onCreate": True, "onUpdate": True}, False, NOW),
]


@pytest.mark.parametrize(
    ("options", "is_new", "expected"),
    [row[1:] for row in AUTODATE],
    ids=[row[0] for row in AUTODATE],
)
def test_autodate_on_save(options: dict[str, Any], is_new: bool, expected: str) -> None:
    f = field_from_json({"name": "x", "type": "autodate", **options})
    ctx = FieldContext(is_new=is_new, now=NOW, old={} if is_new else {"x": OLD})
    assert f.on_save("2001-01-01 00:00:00.000Z", ctx) == expected


def test_an_autodate_is_read_only_for_clients() -> None:
    f = field_from_json({"name": "x", "type": "autodate", "onCreate": True})
    assert f.read_only
    assert not field_from_json({"name": "x", "type": "date"}).read_only


@pytest.mark.parametrize(
    ("pattern", "regex"),
    [
        ("[a-z0-9]{15}", r"[a-z0-9]{15}"),
        ("[A-Z]{4}", r"[A-Z]{4}"),
        ("inv_[0-9]{6}", r"inv_[0-9]{6}"),
        ("[a-c]", r"[a-c]"),
        ("[abc]{3}-[0-9]{2}", r"[abc]{3}-[0-9]{2}"),
    ],
    ids=[
        "the id pattern gives fifteen lower-case letters and digits",
        "an upper-case class with a count gives that many letters",
        "a literal prefix is kept before the generated digits",
        "a class without a count gives one character",
        "classes, literals and counts may be mixed",
    ],
)
def test_text_autogenerate_pattern(pattern: str, regex: str) -> None:
    f = field_from_json({"name": "x", "type": "text", "autogeneratePattern": pattern})
    values = {f.on_save("", NEW) for _ in range(20)}
    assert all(re.fullmatch(regex, v) for v in values)
    assert f.validate(next(iter(values)), NEW) is None


def test_generated_ids_differ() -> None:
    f = field_from_json({"name": "x", "type": "text", "autogeneratePattern": "[a-z0-9]{15}"})
    assert len({f.on_save("", NEW) for _ in range(50)}) == 50


@pytest.mark.parametrize(
    ("value", "ctx", "expected"),
    [("given", NEW, "given"), ("", _update(x="old"), "")],
    ids=[
        "a value given on create is not replaced by a generated one",
        "nothing is generated on update",
    ],
)
def test_text_autogenerate_only_fills_new_empty_values(
    value: str, ctx: FieldContext, expected: str
) -> None:
    f = field_from_json({"name": "x", "type": "text", "autogeneratePattern": "[a-z]{5}"})
    assert f.on_save(value, ctx) == expected


def test_a_text_without_autogenerate_pattern_stays_empty_on_save() -> None:
    assert field_from_json({"name": "x", "type": "text"}).on_save("", NEW) == ""
