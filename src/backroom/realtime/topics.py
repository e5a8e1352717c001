"""Subscription strings as PocketBase reads them.

A subscription is ``<topic>`` or ``<topic>?options=<url-encoded JSON>``, where the JSON is
``{"query": {...}, "headers": {...}}`` as the SDKs send it. Events are named by the whole
string, options included. The topic of a record is ``<collection>/<id>`` (checked against
the viewRule) or ``<collection>/*`` (the listRule), the collection by name or id; a bare
``<collection>`` is the older spelling of ``<collection>/*``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import orjson

__all__ = ["Subscription", "record_topics"]

_WORD_SPLIT = re.compile(r"[\W_]+")


def _snakecase(name: str) -> str:
    """``X-Token`` -> ``x_token``, ``someName`` -> ``some_name``, as PocketBase names headers."""
    words: list[str] = []
    for word in _WORD_SPLIT.split(name):
        if not word:
            continue
        out = []
        for i, ch in enumerate(word):
            if ch.isupper() and i > 0 and not word[i - 1].isupper():
                out.append("_")
            out.append(ch)
        words.append("".join(out))
    return "_".join(words).lower()


def _text(value: Any) -> str:
    """A JSON value as the string PocketBase casts it to."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(int(value)) if isinstance(value, float) and value.is_integer() else str(value)
    return ""


def _options(raw: str) -> tuple[dict[str, str], dict[str, str]]:
    if "?" not in raw:
        return {}, {}
    try:
        query = urlsplit(raw).query
    except ValueError:
        return {}, {}
    encoded = next((v for k, v in parse_qsl(query, keep_blank_values=True) if k == "options"), "")
    if not encoded:
        return {}, {}
    try:
        data = orjson.loads(encoded)
    except orjson.JSONDecodeError:
        return {}, {}
    if not isinstance(data, dict):
        return {}, {}
    q = data.get("query")
    h = data.get("headers")
    query_out = {str(k): _text(v) for k, v in q.items()} if isinstance(q, dict) else {}
    # rules read headers by their dashed, lower-case names (``@request.headers.x_token``)
    headers_out = (
        {_snakecase(str(k)).replace("_", "-"): _text(v) for k, v in h.items()}
        if isinstance(h, dict)
        else {}
    )
    return query_out, headers_out


@dataclass(frozen=True, slots=True)
class Subscription:
    raw: str
    topic: str
    query: tuple[tuple[str, str], ...]
    headers: tuple[tuple[str, str], ...]

    @classmethod
    def parse(cls, raw: str) -> Subscription:
        query, headers = _options(raw)
        return cls(
            raw,
            raw.split("?", 1)[0],
            tuple(sorted(query.items())),
            tuple(sorted(headers.items())),
        )

    def option(self, name: str) -> str:
        return next((v for k, v in self.query if k == name), "")


def record_topics(collection_id: str, name: str, record_id: str) -> tuple[list[str], list[str]]:
    """(topics checked against the viewRule, topics checked against the listRule)."""
    return (
        [f"{name}/{record_id}", f"{collection_id}/{record_id}"],
        [f"{name}/*", f"{collection_id}/*", name, collection_id],
    )
