"""Stored names, sniffed types, thumbnail sizes and byte ranges: the pure parts of files."""

from __future__ import annotations

import re

import pytest

from backroom.core.files.mime import sniff
from backroom.core.files.names import normalize_name
from backroom.core.files.thumbs import parse_thumb_size
from backroom.http.body import infer_value
from backroom.http.ranges import ByteRange, RangeError, parse_range

_RAND = r"[a-z0-9]{10}"


@pytest.mark.parametrize(
    ("original", "pattern"),
    [
        ("My Photo.png", rf"my_photo_{_RAND}\.png"),
        ("report.tar.gz", rf"report_{_RAND}\.tar\.gz"),
        ("my.photo.png", rf"my{_RAND}_{_RAND}\.photo\.png"),
        ("CamelCaseName.txt", rf"camel_case_name_{_RAND}\.txt"),
        ("../../etc/passwd", rf"passwd_{_RAND}\.txt"),
        ("a.png\x00.html", rf"a{_RAND}_{_RAND}\.png\.html"),
        ("Résumé 2024.pdf", rf"r_sum_2024_{_RAND}\.pdf"),
        ("x" * 300 + ".txt", rf"x{{100}}_{_RAND}\.txt"),
        ("noext", rf"noext_{_RAND}\.txt"),
        ("a." + "e" * 40, rf"a{_RAND}_{_RAND}\.e{{20}}"),
    ],
)
def test_names_are_normalized_like_pocketbase(original: str, pattern: str) -> None:
    assert re.fullmatch(pattern, normalize_name(original, ".txt"))


def test_names_are_random_each_time() -> None:
    assert normalize_name("a.txt") != normalize_name("a.txt")


@pytest.mark.parametrize(
    ("head", "mime"),
    [
        (b"\x89PNG\r\n\x1a\n....", "image/png"),
        (b"\xff\xd8\xff\xe0", "image/jpeg"),
        (b"GIF89a", "image/gif"),
        (b"RIFF\0\0\0\0WEBPVP8 ", "image/webp"),
        (b"%PDF-1.7", "application/pdf"),
        (b"\0\0\0\x18ftypmp42", "video/mp4"),
        (b"<html><body>x</body></html>", "text/html; charset=utf-8"),
        (b"  <!DOCTYPE html>", "text/html; charset=utf-8"),
        (b'<svg xmlns="http://www.w3.org/2000/svg"/>', "image/svg+xml"),
        (b'<?xml version="1.0"?><svg/>', "image/svg+xml"),
        (b'<?xml version="1.0"?><a/>', "text/xml; charset=utf-8"),
        (b'{"a": 1}', "application/json"),
        (b"hello world", "text/plain; charset=utf-8"),
        (b"\x00\x01\x02binary", "application/octet-stream"),
        (b"\x1f\x8b\x08", "application/gzip"),
        (b"PK\x03\x04", "application/zip"),
    ],
)
def test_sniffing(head: bytes, mime: str) -> None:
    assert sniff(head, complete=True).mime == mime


@pytest.mark.parametrize(
    ("spec", "src", "box"),
    [
        ("100x100", (300, 200), (100, 100)),
        ("40x30f", (300, 200), (40, 26)),
        ("40x30f", (20, 10), (20, 10)),
        ("0x30", (300, 200), (45, 30)),
        ("40x0", (300, 200), (40, 27)),
        ("10x10t", (5, 5), (10, 10)),
    ],
)
def test_thumb_sizes(spec: str, src: tuple[int, int], box: tuple[int, int]) -> None:
    size = parse_thumb_size(spec)
    assert size is not None
    assert size.box(*src) == box


@pytest.mark.parametrize("spec", ["0x0", "10", "10x", "x10", "10x10q", "-1x5", "10X10", ""])
def test_bad_thumb_sizes(spec: str) -> None:
    assert parse_thumb_size(spec) is None


@pytest.mark.parametrize(
    ("header", "ranges"),
    [
        ("", []),
        ("bytes=0-9", [ByteRange(0, 10)]),
        ("bytes=-5", [ByteRange(95, 5)]),
        ("bytes=90-", [ByteRange(90, 10)]),
        ("bytes=90-500", [ByteRange(90, 10)]),
        ("bytes=0-1, 5-6", [ByteRange(0, 2), ByteRange(5, 2)]),
        ("bytes=0-99,0-99", []),  # more than the whole: the whole
        ("bytes=-500", [ByteRange(0, 100)]),
        ("bytes=", []),
    ],
)
def test_ranges(header: str, ranges: list[ByteRange]) -> None:
    assert parse_range(header, 100) == ranges


@pytest.mark.parametrize(
    ("header", "message"),
    [
        ("bytes=100-", "invalid range: failed to overlap"),
        ("bytes=5-1", "invalid range"),
        ("items=0-1", "invalid range"),
        ("bytes=x-1", "invalid range"),
        ("bytes=1", "invalid range"),
        ("bytes=--1", "invalid range"),
    ],
)
def test_bad_ranges(header: str, message: str) -> None:
    with pytest.raises(RangeError, match=f"^{re.escape(message)}$"):
        parse_range(header, 100)


@pytest.mark.parametrize(
    ("raw", "value"),
    [
        ("1", 1),
        ("-2.5", -2.5),
        ("0.1", 0.1),
        ("100", 100),
        ("1.50", "1.50"),
        ("007", "007"),
        ("1e3", "1e3"),
        ("12345678901234567890", "12345678901234567890"),
        ("true", True),
        ("false", False),
        ("True", "True"),
        ("", ""),
        ("x", "x"),
    ],
)
def test_form_values_are_typed_like_pocketbase(raw: str, value: object) -> None:
    got = infer_value(raw)
    assert got == value
    assert type(got) is type(value)
