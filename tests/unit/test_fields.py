"""Field definitions: JSON shape, option checks and the registry.

The expected JSON of each type is what PocketBase 0.40.6 returned for a field created with only
``name`` and ``type`` (plus the options a type cannot be created without).
"""

from __future__ import annotations

from typing import Any

import pytest

from backroom.core.fields.base import ColumnKind, Field, field_id_for
from backroom.core.fields.registry import FIELD_TYPES, field_from_json
from backroom.errors import BadRequestError

COMMON = {"help": "", "hidden": False, "presentable": False, "system": False}

POCKETBASE_JSON: list[tuple[dict[str, Any], dict[str, Any]]] = [
    (
        {"name": "t", "type": "text"},
        {
            **COMMON,
            "autogeneratePattern": "",
            "id": "text2238339752",
            "max": 0,
            "min": 0,
            "name": "t",
            "pattern": "",
            "primaryKey": False,
            "required": False,
            "type": "text",
        },
    ),
    (
        {"name": "e", "type": "editor"},
        {
            **COMMON,
            "convertURLs": False,
            "id": "editor4024072794",
            "maxSize": 0,
            "name": "e",
            "required": False,
            "type": "editor",
        },
    ),
    (
        {"name": "n", "type": "number"},
        {
            **COMMON,
            "id": "number2013832146",
            "max": None,
            "min": None,
            "name": "n",
            "onlyInt": False,
            "required": False,
            "type": "number",
        },
    ),
    (
        {"name": "b", "type": "bool"},
        {**COMMON, "id": "bool1908338681", "name": "b", "required": False, "type": "bool"},
    ),
    (
        {"name": "em", "type": "email"},
        {
            **COMMON,
            "exceptDomains": [],
            "id": "email1783664888",
            "name": "em",
            "onlyDomains": [],
            "required": False,
            "type": "email",
        },
    ),
    (
        {"name": "u", "type": "url"},
        {
            **COMMON,
            "exceptDomains": [],
            "id": "url4067256894",
            "name": "u",
            "onlyDomains": [],
            "required": False,
            "type": "url",
        },
    ),
    (
        {"name": "d", "type": "date"},
        {
            **COMMON,
            "id": "date2564639436",
            "max": "",
            "min": "",
            "name": "d",
            "required": False,
            "type": "date",
        },
    ),
    (
        {"name": "ad", "type": "autodate", "onCreate": True},
        {
            "hidden": False,
            "id": "autodate2011229528",
            "name": "ad",
            "onCreate": True,
            "onUpdate": False,
            "presentable": False,
            "system": False,
            "type": "autodate",
        },
    ),
    (
        {"name": "s", "type": "select", "values": ["a"]},
        {
            **COMMON,
            "id": "select453955339",
            "maxSelect": 0,
            "name": "s",
            "required": False,
            "type": "select",
            "values": ["a"],
        },
    ),
    (
        {"name": "j", "type": "json"},
        {
            **COMMON,
            "id": "json2137352139",
            "maxSize": 0,
            "name": "j",
            "required": False,
            "type": "json",
        },
    ),
    (
        {"name": "f", "type": "file"},
        {
            **COMMON,
            "id": "file1993550816",
            "maxSelect": 0,
            "maxSize": 0,
            "mimeTypes": [],
            "name": "f",
            "protected": False,
            "required": False,
            "thumbs": [],
            "type": "file",
        },
    ),
    (
        {"name": "g", "type": "geoPoint"},
        {**COMMON, "id": "geoPoint30677878", "name": "g", "required": False, "type": "geoPoint"},
    ),
    (
        {"name": "r", "type": "relation", "collectionId": "_pb_users_auth_"},
        {
            **COMMON,
            "cascadeDelete": False,
            "collectionId": "_pb_users_auth_",
            "id": "relation1812594589",
            "maxSelect": 0,
            "minSelect": 0,
            "name": "r",
            "required": False,
            "type": "relation",
        },
    ),
    (
        {"name": "password", "type": "password", "min": 8, "required": True, "hidden": True},
        {
            **COMMON,
            "cost": 0,
            "hidden": True,
            "id": "password901924565",
            "max": 0,
            "min": 8,
            "name": "password",
            "pattern": "",
            "required": True,
            "type": "password",
        },
    ),
]


@pytest.mark.parametrize(
    ("given", "expected"),
    POCKETBASE_JSON,
    ids=[
        f"a {given['type']} field has PocketBase's keys and defaults"
        for given, _ in POCKETBASE_JSON
    ],
)
def test_to_json_matches_pocketbase(given: dict[str, Any], expected: dict[str, Any]) -> None:
    assert field_from_json(given).to_json() == expected


def test_every_registered_type_is_covered_by_the_pocketbase_table() -> None:
    assert {given["type"] for given, _ in POCKETBASE_JSON} == set(FIELD_TYPES)


def test_pocketbase_id_field_round_trips_through_json() -> None:
    pb_id = {
        "autogeneratePattern": "[a-z0-9]{15}",
        "help": "",
        "hidden": False,
        "id": "text3208210256",
        "max": 15,
        "min": 15,
        "name": "id",
        "pattern": "^[a-z0-9]+$",
        "presentable": False,
        "primaryKey": True,
        "required": True,
        "system": True,
        "type": "text",
    }
    assert field_from_json(pb_id).to_json() == pb_id
    assert field_id_for("text", "id") == "text3208210256"


def test_a_given_id_is_kept_and_unknown_keys_are_ignored() -> None:
    f = field_from_json({"id": "my_id", "name": "x", "type": "bool", "bogus": 1})
    assert f.id == "my_id"
    assert "bogus" not in f.to_json()


def test_a_null_option_takes_the_default() -> None:
    f = field_from_json({"name": "x", "type": "text", "max": None, "pattern": None})
    assert (f.to_json()["max"], f.to_json()["pattern"]) == (0, "")


@pytest.mark.parametrize(
    ("given", "kind", "default", "multiple"),
    [
        ({"type": "text"}, ColumnKind.TEXT, "", False),
        ({"type": "editor"}, ColumnKind.TEXT, "", False),
        ({"type": "number"}, ColumnKind.NUMBER, 0, False),
        ({"type": "bool"}, ColumnKind.BOOL, False, False),
        ({"type": "email"}, ColumnKind.TEXT, "", False),
        ({"type": "url"}, ColumnKind.TEXT, "", False),
        ({"type": "date"}, ColumnKind.TEXT, "", False),
        ({"type": "autodate", "onCreate": True}, ColumnKind.TEXT, "", False),
        ({"type": "select", "values": ["a"]}, ColumnKind.TEXT, "", False),
        ({"type": "select", "values": ["a"], "maxSelect": 1}, ColumnKind.TEXT, "", False),
        ({"type": "select", "values": ["a"], "maxSelect": 2}, ColumnKind.JSON, "[]", True),
        ({"type": "relation", "collectionId": "c"}, ColumnKind.TEXT, "", False),
        ({"type": "relation", "collectionId": "c", "maxSelect": 5}, ColumnKind.JSON, "[]", True),
        ({"type": "file", "maxSelect": 3}, ColumnKind.JSON, "[]", True),
        ({"type": "json"}, ColumnKind.JSON, None, False),
        ({"type": "password"}, ColumnKind.TEXT, "", False),
        ({"type": "geoPoint"}, ColumnKind.JSON, '{"lon":0,"lat":0}', False),
    ],
    ids=[
        "text is stored as text defaulting to an empty string",
        "editor is stored as text",
        "number is stored as a number defaulting to zero",
        "bool is stored as a bool defaulting to false",
        "email is stored as text",
        "url is stored as text",
        "date is stored as text",
        "autodate is stored as text",
        "a select without maxSelect is single and stored as text",
        "a select with maxSelect one is still single",
        "a select with maxSelect two is multiple and stored as a JSON array",
        "a single relation is stored as text",
        "a multiple relation is stored as a JSON array",
        "a multiple file field is stored as a JSON array",
        "json is stored as nullable JSON",
        "password is stored as text",
        "geoPoint is stored as a JSON object defaulting to the origin",
    ],
)
def test_column_shape(
    given: dict[str, Any], kind: ColumnKind, default: Any, multiple: bool
) -> None:
    f = field_from_json({"name": "x", **given})
    assert (f.column.kind, f.column.default, f.is_multiple) == (kind, default, multiple)


# ---- validate_definition ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ({"type": "text", "pattern": "^[a-z"}, {"pattern": "validation_invalid_regex"}),
        (
            {"type": "text", "autogeneratePattern": "(("},
            {"autogeneratePattern": "validation_invalid_regex"},
        ),
        ({"type": "text", "pattern": "x" * 1001}, {"pattern": "validation_invalid_regex"}),
        (
            {"type": "text", "min": 10, "max": 5},
            {"max": "validation_min_greater_equal_than_required"},
        ),
        (
            {"type": "text", "min": -1},
            {"min": "validation_min_greater_equal_than_required"},
        ),
        (
            {"type": "text", "max": -1},
            {"max": "validation_min_greater_equal_than_required"},
        ),
        ({"type": "text", "min": 10, "max": 0}, {}),
        ({"type": "text", "min": 3, "max": 3, "pattern": "^a+$"}, {}),
        (
            {"type": "password", "pattern": "[", "min": 9, "max": 2},
            {
                "pattern": "validation_invalid_regex",
                "max": "validation_min_greater_equal_than_required",
            },
        ),
        ({"type": "number", "min": 5, "max": 1}, {"max": "validation_min_number_constraint"}),
        ({"type": "number", "min": 1, "max": 1}, {}),
        ({"type": "number", "max": -3}, {}),
        ({"type": "select"}, {"values": "validation_required"}),
        ({"type": "select", "values": []}, {"values": "validation_required"}),
        ({"type": "relation"}, {"collectionId": "validation_required"}),
        (
            {"type": "relation", "collectionId": "c", "minSelect": 3, "maxSelect": 2},
            {"minSelect": "validation_max_less_equal_than_required"},
        ),
        (
            {"type": "relation", "collectionId": "c", "minSelect": -1},
            {"minSelect": "validation_max_less_equal_than_required"},
        ),
        ({"type": "relation", "collectionId": "c", "minSelect": 2, "maxSelect": 2}, {}),
        (
            {"type": "autodate"},
            {"onCreate": "validation_required", "onUpdate": "validation_required"},
        ),
        ({"type": "autodate", "onUpdate": True}, {}),
        ({"type": "date", "min": "yesterday"}, {"min": "validation_invalid_date"}),
        ({"type": "date", "max": "2024-13-01"}, {"max": "validation_invalid_date"}),
        ({"type": "date", "min": "2024-01-01", "max": "2025-01-01 10:00:00.000Z"}, {}),
        (
            {"type": "email", "exceptDomains": ["a.io"], "onlyDomains": ["b.io"]},
            {
                "exceptDomains": "validation_either_except_or_only",
                "onlyDomains": "validation_either_except_or_only",
            },
        ),
        (
            {"type": "url", "exceptDomains": ["a.io"], "onlyDomains": ["b.io"]},
            {
                "exceptDomains": "validation_either_except_or_only",
                "onlyDomains": "validation_either_except_or_only",
            },
        ),
        ({"type": "url", "onlyDomains": ["b.io"]}, {}),
    ],
    ids=[
        "a text pattern that does not compile is an invalid regex",
        "an autogenerate pattern that does not compile is an invalid regex",
        "a text pattern longer than 1000 characters is refused",
        "a text max below its min is refused on max",
        "a negative text min is refused",
        "a negative text max is refused",
        "a text max of zero means the default and is not below min",
        "a consistent text definition has no errors",
        "a password reports both a bad pattern and a max below min",
        "a number max below its min is refused",
        "a number min equal to max is fine",
        "a number max alone may be negative",
        "a select without values is refused",
        "a select with an empty values list is refused",
        "a relation without collectionId is refused",
        "a relation minSelect above maxSelect is refused",
        "a negative relation minSelect is refused",
        "a relation minSelect equal to maxSelect is fine",
        "an autodate set by neither create nor update is refused on both options",
        "an autodate set on update only is fine",
        "a date min that is not a date is refused",
        "a date max with a month thirteen is refused",
        "date bounds that parse are fine",
        "an email with both domain lists is refused on both",
        "a url with both domain lists is refused on both",
        "a url with an allow list only is fine",
    ],
)
def test_validate_definition_codes(given: dict[str, Any], expected: dict[str, str]) -> None:
    errors = field_from_json({"name": "x", **given}).validate_definition()
    assert {key: err.code for key, err in errors.items()} == expected


@pytest.mark.parametrize(
    ("given", "option", "message", "params"),
    [
        (
            {"type": "text", "min": 10, "max": 5},
            "max",
            "Must be no less than 10.",
            {"threshold": 10},
        ),
        ({"type": "text", "min": -2}, "min", "Must be no less than 0.", {"threshold": 0}),
        (
            {"type": "number", "min": 2.5, "max": 1},
            "max",
            "Must be greater or equal than 2.5.",
            {"min": 2.5},
        ),
        (
            {"type": "number", "min": 5.0, "max": 1},
            "max",
            "Must be greater or equal than 5.",
            {"min": 5},
        ),
        (
            {"type": "relation", "collectionId": "c", "minSelect": 4, "maxSelect": 2},
            "minSelect",
            "Must be no greater than 2.",
            {"threshold": 2},
        ),
        ({"type": "select"}, "values", "Cannot be blank.", {}),
        (
            {"type": "autodate"},
            "onCreate",
            "Either onCreate or onUpdate must be enabled.",
            {},
        ),
    ],
    ids=[
        "a text max below min names min as the threshold",
        "a negative text min names zero as the threshold",
        "a number max below a fractional min prints the fraction",
        "a number max below an integral min prints no decimal point",
        "a relation minSelect above maxSelect names maxSelect",
        "a select without values says it cannot be blank",
        "an autodate set by nothing says one of the two must be enabled",
    ],
)
def test_validate_definition_messages(
    given: dict[str, Any], option: str, message: str, params: dict[str, Any]
) -> None:
    err = field_from_json({"name": "x", **given}).validate_definition()[option]
    assert (err.message, err.params) == (message, params)


def test_an_invalid_regex_message_carries_the_compile_error() -> None:
    err = field_from_json({"name": "x", "type": "text", "pattern": "a("}).validate_definition()
    assert err["pattern"].message.startswith("Error parsing regexp: ")


# ---- registry errors ---------------------------------------------------------------------

FORMAT_ERROR = "Failed to load the submitted data due to invalid formatting."


@pytest.mark.parametrize(
    "given",
    [
        {"name": "x", "type": "nope"},
        {"name": "x"},
        {"name": "x", "type": "Text"},
        {"name": "x", "type": 1},
        {"name": 5, "type": "text"},
        {"id": ["a"], "name": "x", "type": "text"},
        {"name": "x", "type": "text", "max": "5"},
        {"name": "x", "type": "text", "max": 5.5},
        {"name": "x", "type": "text", "max": True},
        {"name": "x", "type": "text", "required": "true"},
        {"name": "x", "type": "text", "required": 1},
        {"name": "x", "type": "text", "pattern": 3},
        {"name": "x", "type": "number", "min": "1"},
        {"name": "x", "type": "number", "max": False},
        {"name": "x", "type": "select", "values": "a,b"},
        {"name": "x", "type": "select", "values": ["a", 2]},
        {"name": "x", "type": "email", "onlyDomains": {"a": 1}},
        {"name": "x", "type": "date", "min": 20240101},
        {"name": "x", "type": "autodate", "onCreate": "yes"},
        {"name": "x", "type": "relation", "collectionId": 7},
        {"name": "x", "type": "file", "maxSelect": 1.5},
        {"name": "x", "type": "bool", "hidden": "no"},
    ],
    ids=[
        "an unknown type is refused",
        "a missing type is refused",
        "a type is case sensitive",
        "a type that is not a string is refused",
        "a name that is not a string is refused",
        "an id that is not a string is refused",
        "an integer option given as a string is refused",
        "an integer option given as a fraction is refused",
        "an integer option given as a bool is refused",
        "a bool option given as a string is refused",
        "a bool option given as a number is refused",
        "a string option given as a number is refused",
        "a number bound given as a string is refused",
        "a number bound given as a bool is refused",
        "a list option given as a string is refused",
        "a list option holding a number is refused",
        "a list option given as an object is refused",
        "a date bound given as a number is refused",
        "an autodate flag given as a string is refused",
        "a relation collectionId given as a number is refused",
        "a file maxSelect given as a fraction is refused",
        "a common flag given as a string is refused",
    ],
)
def test_registry_refuses_bad_json(given: dict[str, Any]) -> None:
    with pytest.raises(BadRequestError) as exc:
        field_from_json(given)
    assert exc.value.message == FORMAT_ERROR


def test_registry_maps_each_type_name_to_its_class() -> None:
    for name, cls in FIELD_TYPES.items():
        assert issubclass(cls, Field)
        assert cls.type == name
        assert type(field_from_json({"name": "x", "type": name})) is cls


def test_a_number_bound_may_be_a_float_or_an_int() -> None:
    f = field_from_json({"name": "x", "type": "number", "min": 1, "max": 2.5})
    assert (f.to_json()["min"], f.to_json()["max"]) == (1, 2.5)
