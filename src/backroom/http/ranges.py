"""HTTP range requests (RFC 9110) and conditional GETs, answered as Go's ``ServeContent``
answers them, which is what PocketBase serves files with."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime

__all__ = ["NO_OVERLAP", "ByteRange", "RangeError", "http_date", "parse_http_date", "parse_range"]

NO_OVERLAP = "invalid range: failed to overlap"


class RangeError(Exception):
    """A Range header that cannot be served: 416 with this message."""


@dataclass(frozen=True, slots=True)
class ByteRange:
    start: int
    length: int

    @property
    def end(self) -> int:
        """One past the last byte."""
        return self.start + self.length

    def content_range(self, size: int) -> str:
        return f"bytes {self.start}-{self.end - 1}/{size}"


def _int(text: str) -> int | None:
    if not text or not text.isdigit() or not text.isascii():
        return None
    return int(text)


def parse_range(header: str, size: int) -> list[ByteRange]:
    """The ranges of a ``Range`` header over ``size`` bytes; [] means the whole content."""
    if not header:
        return []
    if not header.startswith("bytes="):
        raise RangeError("invalid range")
    ranges: list[ByteRange] = []
    no_overlap = False
    for part in header[len("bytes=") :].split(","):
        part = part.strip(" \t")
        if not part:
            continue
        start_text, dash, end_text = part.partition("-")
        if not dash:
            raise RangeError("invalid range")
        start_text, end_text = start_text.strip(" \t"), end_text.strip(" \t")
        if not start_text:
            suffix = _int(end_text)
            if suffix is None:
                raise RangeError("invalid range")
            suffix = min(suffix, size)
            ranges.append(ByteRange(size - suffix, suffix))
            continue
        start = _int(start_text)
        if start is None:
            raise RangeError("invalid range")
        if start >= size:
            no_overlap = True
            continue
        if not end_text:
            ranges.append(ByteRange(start, size - start))
            continue
        end = _int(end_text)
        if end is None or start > end:
            raise RangeError("invalid range")
        ranges.append(ByteRange(start, min(end, size - 1) - start + 1))
    if no_overlap and not ranges:
        raise RangeError(NO_OVERLAP)
    if sum(r.length for r in ranges) > size:
        return []  # asking for more than the whole: the whole it is
    return ranges


def http_date(moment: datetime) -> str:
    return format_datetime(moment.astimezone(UTC).replace(microsecond=0), usegmt=True)


def parse_http_date(text: str) -> datetime | None:
    try:
        parsed = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    return parsed if parsed.tzinfo is not None else None
