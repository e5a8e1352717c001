"""What ``@request.body`` holds for a rule: modifiers replaced by the values they produce,
as PocketBase replaces them (``doc+`` with one new file shows the whole resulting list)."""

from __future__ import annotations

from typing import Any

import pytest

from backroom.core.collections.model import Collection
from backroom.core.fields.registry import field_from_json
from backroom.core.records.build import resolve_modifiers

C = Collection(
    id="c",
    name="c",
    fields=[
        field_from_json({"name": "doc", "type": "file", "maxSelect": 5}),
        field_from_json({"name": "tags", "type": "select", "values": ["a", "b"], "maxSelect": 2}),
        field_from_json({"name": "n", "type": "number"}),
        field_from_json({"name": "t", "type": "text"}),
    ],
)
OLD = {"doc": ["x.txt"], "tags": ["a"], "n": 5, "t": ""}


@pytest.mark.parametrize(
    ("body", "seen"),
    [
        ({"doc+": "y.txt"}, {"doc": ["x.txt", "y.txt"]}),
        ({"+doc": ["y.txt"]}, {"doc": ["y.txt", "x.txt"]}),
        ({"doc-": "x.txt"}, {"doc": []}),
        ({"doc": [], "doc+": "y.txt"}, {"doc": ["y.txt"]}),
        ({"tags+": "b"}, {"tags": ["a", "b"]}),
        ({"n+": 2}, {"n": 7}),
        ({"n-": "x"}, {"n-": "x"}),  # a value the field refuses stays as sent
        ({"t": "plain", "zzz+": 1}, {"t": "plain", "zzz+": 1}),
    ],
)
def test_modifiers_are_resolved_against_the_current_record(
    body: dict[str, Any], seen: dict[str, Any]
) -> None:
    assert resolve_modifiers(C, OLD, body) == seen
