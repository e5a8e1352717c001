"""Field values: client input to canonical values, and the input Backroom refuses.

PocketBase 0.40.6 stores a zero value for input it cannot convert (an object or ``"abc"`` for a
number, an object for a text); Backroom deliberately refuses it with ``validation_invalid_value``.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from backroom.core.fields.registry import field_from_json
from backroom.errors import ErrorDetail

TEXT = {"type": "text"}
EDITOR = {"type": "editor"}
NUMBER = {"type": "number"}
BOOL = {"type": "bool"}
EMAIL = {"type": "email"}
URL = {"type": "url"}
DATE = {"type": "date"}
SELECT = {"type": "select", "values": ["a", "b", "c"]}
SELECT_MULTI = {"type": "select", "values": ["a", "b", "c"], "maxSelect": 3}
RELATION = {"type": "relation", "collectionId": "c"}
RELATION_MULTI = {"type": "relation", "collectionId": "c", "maxSelect": 9}
FILE_MULTI = {"type": "file", "maxSelect": 2}
JSON = {"type": "json"}
GEO = {"type": "geoPoint"}
PASSWORD = {"type": "password"}

NORMALIZE: list[tuple[str, dict[str, Any], Any, Any]] = [
    ("a text keeps a string as is", TEXT, " ab ", " ab "),
    ("a text turns an integer into its digits", TEXT, 123, "123"),
    ("a text turns a float into its shortest form", TEXT, 1.5, "1.5"),
    ("a text turns an integral float into digits without a point", TEXT, 2.0, "2"),
    ("a text turns true into the word true", TEXT, True, "true"),
    ("a text turns false into the word false", TEXT, False, "false"),
    ("a text turns null into an empty string", TEXT, None, ""),
    ("a text turns a non-finite float into an empty string", TEXT, math.inf, ""),
    ("an editor keeps HTML as is", EDITOR, "<p>x</p>", "<p>x</p>"),
    ("an editor turns a number into text", EDITOR, 7, "7"),
    ("a number parses a decimal string", NUMBER, "12.5", 12.5),
    ("a number parses an integral string as an int", NUMBER, "12", 12),
    ("a number trims spaces around a numeric string", NUMBER, " 7 ", 7),
    ("a number parses exponent notation", NUMBER, "1e3", 1000),
    ("a number turns an integral float into an int", NUMBER, 5.0, 5),
    ("a number keeps a fractional float", NUMBER, -0.25, -0.25),
    ("a number turns true into one", NUMBER, True, 1),
    ("a number turns false into zero", NUMBER, False, 0),
    ("a number turns null into zero", NUMBER, None, 0),
    ("a number turns an empty string into zero", NUMBER, "", 0),
    ("a number turns a blank string into zero", NUMBER, "   ", 0),
    ("a number turns an infinite float into zero", NUMBER, math.inf, 0),
    ("a bool parses the string true", BOOL, "true", True),
    ("a bool parses an upper case TRUE", BOOL, "TRUE", True),
    ("a bool parses the string one", BOOL, "1", True),
    ("a bool parses a t", BOOL, "t", True),
    ("a bool parses an F", BOOL, "F", False),
    ("a bool parses the string zero", BOOL, "0", False),
    ("a bool parses the string false", BOOL, "false", False),
    ("a bool turns an empty string into false", BOOL, "", False),
    ("a bool turns a non-zero number into true", BOOL, 2, True),
    ("a bool turns zero into false", BOOL, 0, False),
    ("a bool turns null into false", BOOL, None, False),
    ("an email is kept as sent, spaces included", EMAIL, "  a@b.io ", "  a@b.io "),
    ("a url is kept as sent, spaces included", URL, " https://x.io/p ", " https://x.io/p "),
    ("a date-only input is midnight UTC", DATE, "2024-01-02", "2024-01-02 00:00:00.000Z"),
    (
        "an ISO date with an offset is converted to UTC",
        DATE,
        "2024-01-02T03:04:05+02:00",
        "2024-01-02 01:04:05.000Z",
    ),
    (
        "an offset without a colon is understood",
        DATE,
        "2024-01-02T03:04:05-0130",
        "2024-01-02 04:34:05.000Z",
    ),
    (
        "a date keeps milliseconds and drops finer digits",
        DATE,
        "2024-01-02 03:04:05.123456Z",
        "2024-01-02 03:04:05.123Z",
    ),
    ("a date without seconds is accepted", DATE, "2024-01-02 03:04", "2024-01-02 03:04:00.000Z"),
    (
        "a date in PocketBase's own format is kept",
        DATE,
        "2024-05-06 07:08:09.010Z",
        "2024-05-06 07:08:09.010Z",
    ),
    (
        "an aware datetime object is converted to UTC",
        DATE,
        datetime(2024, 1, 2, 3, 0, tzinfo=timezone(timedelta(hours=1))),
        "2024-01-02 02:00:00.000Z",
    ),
    ("an empty date stays empty", DATE, "", ""),
    ("a null date is empty", DATE, None, ""),
    ("a single select keeps one string", SELECT, "a", "a"),
    ("a single select keeps the last item of a list", SELECT, ["a", "b"], "b"),
    ("a single select turns an empty list into an empty string", SELECT, [], ""),
    ("a single select turns null into an empty string", SELECT, None, ""),
    ("a multiple select turns one string into a list", SELECT_MULTI, "a", ["a"]),
    ("a multiple select drops duplicates in order", SELECT_MULTI, ["b", "a", "b"], ["b", "a"]),
    ("a multiple select drops empty strings", SELECT_MULTI, ["", "a", ""], ["a"]),
    ("a multiple select turns null into an empty list", SELECT_MULTI, None, []),
    ("a multiple select turns numbers into strings", SELECT_MULTI, [1, "1", 2], ["1", "2"]),
    ("a single relation keeps one id", RELATION, "r1", "r1"),
    ("a multiple relation turns one id into a list", RELATION_MULTI, "r1", ["r1"]),
    (
        "a multiple file field keeps a list of names",
        FILE_MULTI,
        ["a.png", "b.png"],
        ["a.png", "b.png"],
    ),
    ("a json string holding an array is that array", JSON, "[1,2]", [1, 2]),
    ("a json string holding a quoted string is that string", JSON, '"x"', "x"),
    ("a json string that is not JSON stays a string", JSON, "abc", "abc"),
    ("a json object is kept", JSON, {"a": [1, None]}, {"a": [1, None]}),
    ("a json number is kept", JSON, 5, 5),
    ("a json null is kept", JSON, None, None),
    (
        "a geoPoint object keeps its coordinates",
        GEO,
        {"lon": 1.5, "lat": -2},
        {"lon": 1.5, "lat": -2},
    ),
    (
        "a geoPoint converts numeric strings",
        GEO,
        {"lon": "1.5", "lat": "2"},
        {"lon": 1.5, "lat": 2},
    ),
    ("a geoPoint parses a JSON string", GEO, '{"lon":3,"lat":4}', {"lon": 3, "lat": 4}),
    ("a geoPoint fills a missing coordinate with zero", GEO, {"lat": 4}, {"lon": 0, "lat": 4}),
    ("a geoPoint drops unknown keys", GEO, {"lon": 1, "lat": 2, "x": 3}, {"lon": 1, "lat": 2}),
    ("a null geoPoint is the origin", GEO, None, {"lon": 0, "lat": 0}),
    ("an empty geoPoint string is the origin", GEO, "", {"lon": 0, "lat": 0}),
    ("a password is left as given for hashing", PASSWORD, "s3cret!", "s3cret!"),
]


@pytest.mark.parametrize(
    ("spec", "raw", "expected"),
    [row[1:] for row in NORMALIZE],
    ids=[row[0] for row in NORMALIZE],
)
def test_normalize(spec: dict[str, Any], raw: Any, expected: Any) -> None:
    value = field_from_json({"name": "x", **spec}).normalize(raw)
    assert value == expected
    assert type(value) is type(expected)


def test_a_utc_datetime_object_keeps_its_milliseconds() -> None:
    f = field_from_json({"name": "x", **DATE})
    aware = datetime(2024, 1, 2, 3, 4, 5, 678000, tzinfo=UTC)
    assert f.normalize(aware) == "2024-01-02 03:04:05.678Z"


REFUSED: list[tuple[str, dict[str, Any], Any, str]] = [
    ("a number refuses an object", NUMBER, {"a": 1}, "validation_invalid_value"),
    ("a number refuses letters", NUMBER, "abc", "validation_invalid_value"),
    ("a number refuses a number followed by letters", NUMBER, "12px", "validation_invalid_value"),
    ("a number refuses a list", NUMBER, [1], "validation_invalid_value"),
    ("a number refuses the string nan", NUMBER, "nan", "validation_invalid_value"),
    ("a number refuses the string inf", NUMBER, "inf", "validation_invalid_value"),
    ("a text refuses an object", TEXT, {"a": 1}, "validation_invalid_value"),
    ("a text refuses a list", TEXT, ["a", "b"], "validation_invalid_value"),
    ("an editor refuses an object", EDITOR, {"html": "x"}, "validation_invalid_value"),
    ("an email refuses an object", EMAIL, {"a": 1}, "validation_invalid_value"),
    ("a url refuses a list", URL, ["http://x.io"], "validation_invalid_value"),
    ("a bool refuses a word it does not know", BOOL, "maybe", "validation_invalid_value"),
    ("a bool refuses yes rather than read it as false", BOOL, "yes", "validation_invalid_value"),
    ("a bool refuses on rather than read it as false", BOOL, "on", "validation_invalid_value"),
    ("a bool refuses a mixed-case tRuE", BOOL, "tRuE", "validation_invalid_value"),
    ("a bool refuses an object", BOOL, {"a": 1}, "validation_invalid_value"),
    ("a bool refuses a list", BOOL, [True], "validation_invalid_value"),
    ("a single select refuses an object", SELECT, {"a": 1}, "validation_invalid_value"),
    (
        "a multiple select refuses an object inside the list",
        SELECT_MULTI,
        ["a", {}],
        "validation_invalid_value",
    ),
    ("a relation refuses a nested list", RELATION_MULTI, [["r1"]], "validation_invalid_value"),
    ("a geoPoint refuses a string that is not JSON", GEO, "abc", "validation_invalid_value"),
    ("a geoPoint refuses a list", GEO, [1, 2], "validation_invalid_value"),
    ("a geoPoint refuses a number", GEO, 5, "validation_invalid_value"),
    ("a geoPoint refuses JSON that is not an object", GEO, "[1,2]", "validation_invalid_value"),
    (
        "a geoPoint refuses a coordinate that is not a number",
        GEO,
        {"lon": "x", "lat": 1},
        "validation_invalid_value",
    ),
    ("a date refuses text that is not a date", DATE, "bad", "validation_invalid_date"),
    ("a date refuses a day that does not exist", DATE, "2024-02-30", "validation_invalid_date"),
    ("a date refuses a number", DATE, 20240101, "validation_invalid_date"),
    ("a date refuses an object", DATE, {"a": 1}, "validation_invalid_date"),
    (
        "a date refuses a string longer than 64 characters",
        DATE,
        "2024-01-01" + " " * 60,
        "validation_invalid_date",
    ),
]


@pytest.mark.parametrize(
    ("spec", "raw", "code"),
    [row[1:] for row in REFUSED],
    ids=[row[0] for row in REFUSED],
)
def test_unconvertible_input_is_refused(spec: dict[str, Any], raw: Any, code: str) -> None:
    with pytest.raises(ValueError, match=code) as exc:
        field_from_json({"name": "x", **spec}).normalize(raw)
    detail = exc.value.args[0]
    assert isinstance(detail, ErrorDetail)
    assert detail.code == code
    assert detail.message in {"Invalid value.", "Must be a valid date."}


ZERO: list[tuple[str, dict[str, Any], Any]] = [
    ("a text is empty by default", TEXT, ""),
    ("a number is zero by default", NUMBER, 0),
    ("a bool is false by default", BOOL, False),
    ("a date is empty by default", DATE, ""),
    ("a single select is empty by default", SELECT, ""),
    ("a multiple select is an empty list by default", SELECT_MULTI, []),
    ("a json is null by default", JSON, None),
    ("a geoPoint is the origin by default", GEO, {"lon": 0, "lat": 0}),
]


@pytest.mark.parametrize(
    ("spec", "expected"), [row[1:] for row in ZERO], ids=[row[0] for row in ZERO]
)
def test_zero_value(spec: dict[str, Any], expected: Any) -> None:
    assert field_from_json({"name": "x", **spec}).zero() == expected
