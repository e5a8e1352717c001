"""Filling a mail template's placeholders, and the plain-text part of an HTML mail."""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from html.parser import HTMLParser
from typing import Any

__all__ = ["html_to_text", "record_placeholders", "render"]

_PLACEHOLDER = re.compile(r"\{[A-Z_]+(?::[A-Za-z0-9_]+)?\}")


def render(template: str, values: Mapping[str, str], *, escape: bool) -> str:
    """Replace every known ``{NAME}`` in one pass, so a value that itself looks like a
    placeholder stays as it is; in HTML the values are escaped."""

    def sub(m: re.Match[str]) -> str:
        value = values.get(m.group(0))
        if value is None:
            return m.group(0)
        return html.escape(value) if escape else value

    return _PLACEHOLDER.sub(sub, template)


def _text_value(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ",".join(_text_value(v) for v in value)
    return str(value)


def record_placeholders(record: Mapping[str, Any], hidden: set[str]) -> dict[str, str]:
    """``{RECORD:field}`` for every field of the record but the hidden ones."""
    return {f"{{RECORD:{k}}}": _text_value(v) for k, v in record.items() if k not in hidden}


class _TextExtractor(HTMLParser):
    _BREAKS = frozenset({"p", "div", "br", "tr", "li", "h1", "h2", "h3", "h4", "h5", "h6"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._href: list[str | None] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("style", "script", "head"):
            self._skip += 1
        elif tag == "a":
            self._href.append(dict(attrs).get("href"))
        elif tag in self._BREAKS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("style", "script", "head"):
            self._skip = max(0, self._skip - 1)
        elif tag == "a" and self._href:
            href = self._href.pop()
            if href:
                self.parts.append(f" ({href})")
        elif tag in self._BREAKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(re.sub(r"\s+", " ", data))


def html_to_text(body: str) -> str:
    parser = _TextExtractor()
    parser.feed(body)
    parser.close()
    lines = [" ".join(line.split()) for line in "".join(parser.parts).splitlines()]
    text = "\n".join(lines)
    return re.sub(r"\n{3,}", "\n\n", text).strip()
