"""The type of a file read from its first bytes, never from its name or the client's word.

The names follow the detector PocketBase uses, so a file sniffs to the same type on both.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass

__all__ = ["SNIFF_BYTES", "Sniffed", "sniff"]

SNIFF_BYTES = 3072

_OCTET = "application/octet-stream"
_TEXT = "text/plain; charset=utf-8"
_BINARY = frozenset([*range(0x00, 0x09), 0x0B, *range(0x0E, 0x1B), *range(0x1C, 0x20)])
_HTML_TAGS = (
    b"<!DOCTYPE HTML",
    b"<HTML",
    b"<HEAD",
    b"<SCRIPT",
    b"<IFRAME",
    b"<H1",
    b"<DIV",
    b"<FONT",
    b"<TABLE",
    b"<A",
    b"<STYLE",
    b"<TITLE",
    b"<B",
    b"<BODY",
    b"<BR",
    b"<P",
    b"<!--",
)
_MAGIC: tuple[tuple[bytes, str, str], ...] = (
    (b"%PDF-", "application/pdf", ".pdf"),
    (b"\x89PNG\r\n\x1a\n", "image/png", ".png"),
    (b"\xff\xd8\xff", "image/jpeg", ".jpg"),
    (b"GIF87a", "image/gif", ".gif"),
    (b"GIF89a", "image/gif", ".gif"),
    (b"II*\x00", "image/tiff", ".tiff"),
    (b"MM\x00*", "image/tiff", ".tiff"),
    (b"\x00\x00\x01\x00", "image/x-icon", ".ico"),
    (b"MThd", "audio/midi", ".midi"),
    (b".snd", "audio/basic", ".au"),
    (b"\x1f\x8b", "application/gzip", ".gz"),
    (b"BZh", "application/x-bzip2", ".bz2"),
    (b"\xfd7zXZ\x00", "application/x-xz", ".xz"),
    (b"7z\xbc\xaf\x27\x1c", "application/x-7z-compressed", ".7z"),
    (b"Rar!\x1a\x07", "application/x-rar-compressed", ".rar"),
    (b"SQLite format 3\x00", "application/vnd.sqlite3", ".sqlite"),
    (b"\x00asm", "application/wasm", ".wasm"),
    (b"\x7fELF", "application/x-elf", ""),
    (b"\x28\xb5\x2f\xfd", "application/zstd", ".zst"),
)


_XML_KINDS = (
    (b"<html", "application/xhtml+xml", ".html"),
    (b"<rss", "application/rss+xml", ".rss"),
    (b"<feed", "application/atom+xml", ".atom"),
)


@dataclass(frozen=True, slots=True)
class Sniffed:
    mime: str
    ext: str

    @property
    def is_image(self) -> bool:
        """One of the kinds a thumbnail is made of."""
        return self.mime in ("image/png", "image/jpg", "image/jpeg", "image/gif", "image/webp")


_MP3_BITRATES = (0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320)
_MP3_RATES = (44100, 48000, 32000)
_DIB_SIZES = (12, 16, 40, 52, 56, 64, 108, 124)
_ZIP_MEMBERS = (
    ("word/", "application/vnd.openxmlformats-officedocument.wordprocessingml.document", ".docx"),
    ("xl/", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", ".xlsx"),
    ("ppt/", "application/vnd.openxmlformats-officedocument.presentationml.presentation", ".pptx"),
    ("META-INF/MANIFEST.MF", "application/java-archive", ".jar"),
    ("AndroidManifest.xml", "application/vnd.android.package-archive", ".apk"),
)


def _mp3_frame(head: bytes, at: int) -> int:
    """The length of the MPEG-1 layer III frame at ``at``; 0 when there is none; -1 when the
    sample ends first."""
    if at + 4 > len(head):
        return -1
    b1, b2 = head[at + 1], head[at + 2]
    if head[at] != 0xFF or b1 & 0xFE != 0xFA:
        return 0
    bitrate, rate, padding = b2 >> 4, (b2 >> 2) & 3, (b2 >> 1) & 1
    if not 0 < bitrate < 15 or rate == 3:
        return 0
    return 144_000 * _MP3_BITRATES[bitrate] // _MP3_RATES[rate] + padding


def _mp3(head: bytes) -> bool:
    at = 0
    if head.startswith(b"ID3") and len(head) >= 10:
        size = (head[6] & 0x7F) << 21 | (head[7] & 0x7F) << 14 | (head[8] & 0x7F) << 7 | head[9]
        at = 10 + size + (10 if head[5] & 0x10 else 0)
        if at >= len(head):
            return True  # the tag fills the whole sample
    first = _mp3_frame(head, at)
    if first <= 0:
        return False
    return _mp3_frame(head, at + first) > 0


def _zip(head: bytes) -> Sniffed:
    """A zip, or the document format built on one, from the member names in the sample."""
    at = 0
    first = True
    while head[at : at + 4] == b"PK\x03\x04" and at + 30 <= len(head):
        name_len = int.from_bytes(head[at + 26 : at + 28], "little")
        extra_len = int.from_bytes(head[at + 28 : at + 30], "little")
        size = int.from_bytes(head[at + 18 : at + 22], "little")
        name = head[at + 30 : at + 30 + name_len].decode("latin-1")
        if first and name == "mimetype":
            start = at + 30 + name_len + extra_len
            inner = head[start : start + size].decode("ascii", "replace").strip()
            if inner.startswith("application/"):
                return Sniffed(inner, "")
        first = False
        for prefix, mime, ext in _ZIP_MEMBERS:
            if name.startswith(prefix):
                return Sniffed(mime, ext)
        if not name_len or (not size and head[at + 6] & 0x08):
            break  # sizes only after the data: the next header cannot be found from here
        at += 30 + name_len + extra_len + size
    return Sniffed("application/zip", ".zip")


def _container(head: bytes) -> Sniffed | None:
    if head[:4] == b"RIFF" and len(head) >= 12:
        kind = head[8:12]
        if kind == b"WEBP":
            return Sniffed("image/webp", ".webp")
        if kind == b"WAVE":
            return Sniffed("audio/wav", ".wav")
        if kind == b"AVI ":
            return Sniffed("video/x-msvideo", ".avi")
    if head[:4] == b"FORM" and head[8:12] in (b"AIFF", b"AIFC"):
        return Sniffed("audio/aiff", ".aiff")
    if head[4:8] == b"ftyp":
        brand = head[8:12]
        if brand == b"qt  ":
            return Sniffed("video/quicktime", ".mov")
        if brand.startswith(b"3gp"):
            return Sniffed("video/3gpp", ".3gp")
        if brand in (b"M4A ", b"M4B "):
            return Sniffed("audio/x-m4a", ".m4a")
        if brand in (b"avif", b"avis"):
            return Sniffed("image/avif", ".avif")
        if brand in (b"heic", b"heix", b"mif1"):
            return Sniffed("image/heic", ".heic")
        return Sniffed("video/mp4", ".mp4")
    if head[:4] == b"\x1a\x45\xdf\xa3":
        if b"webm" in head[:64]:
            return Sniffed("video/webm", ".webm")
        return Sniffed("video/x-matroska", ".mkv")
    if head[:4] == b"OggS":
        if head[28:35] == b"\x01vorbis" or head[28:36] == b"OpusHead":
            return Sniffed("audio/ogg", ".oga")
        if head[28:35] == b"\x80theora":
            return Sniffed("video/ogg", ".ogv")
        return Sniffed("application/ogg", ".ogg")
    if head[:4] == b"PK\x03\x04":
        return _zip(head)
    if head[:4] == b"PK\x05\x06":
        return Sniffed("application/zip", ".zip")
    if head[:2] == b"BM" and int.from_bytes(head[14:18], "little") in _DIB_SIZES:
        return Sniffed("image/bmp", ".bmp")
    if head[:4] == b"fLaC" and head[5:8] == b"\x00\x00\x22":
        return Sniffed("audio/flac", ".flac")
    if _mp3(head):
        return Sniffed("audio/mpeg", ".mp3")
    return None


def _is_text(head: bytes) -> bool:
    return not any(b in _BINARY for b in head)


def _markup(head: bytes) -> Sniffed | None:
    body = head.lstrip(b"\t\n\x0c\r ")
    upper = body[:64].upper()
    for tag in _HTML_TAGS:
        if upper.startswith(tag) and len(body) > len(tag) and body[len(tag)] in b" >":
            return Sniffed("text/html; charset=utf-8", ".html")
    if b"<svg" in head:
        return Sniffed("image/svg+xml", ".svg")
    if body.startswith(b"<?xml"):
        for tag, mime, ext in _XML_KINDS:
            if tag in head:
                return Sniffed(mime, ext)
        return Sniffed("text/xml; charset=utf-8", ".xml")
    return None


def _csv(head: bytes, complete: bool, sep: str) -> bool:
    lines = head.decode("utf-8", "replace").splitlines()
    if not complete and lines:
        lines = lines[:-1]  # the last line may be cut short
    rows = [line for line in lines if line]
    if len(rows) < 2:
        return False
    try:
        counts = {len(row) for row in csv.reader(rows, delimiter=sep)}
    except csv.Error:
        return False
    return len(counts) == 1 and counts.pop() > 1


def _json(head: bytes, complete: bool) -> bool:
    body = head.strip()
    if not complete or not body or body[:1] not in (b"{", b"["):
        return False
    try:
        json.loads(body)
    except ValueError:
        return False
    return True


def _utf8(head: bytes, complete: bool) -> bool:
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as err:
        # a character cut at the end of the sample is still text
        return (
            not complete and err.start >= len(head) - 3 and err.reason.startswith("unexpected end")
        )
    return True


def sniff(head: bytes, *, complete: bool) -> Sniffed:
    """What ``head`` (the first ``SNIFF_BYTES`` of a file, ``complete`` when that is all
    of it) holds."""
    if head.startswith(b"\xef\xbb\xbf"):
        return Sniffed(_TEXT, ".txt")
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        charset = "utf-16le" if head[0] == 0xFF else "utf-16be"
        return Sniffed(f"text/plain; charset={charset}", ".txt")
    for magic, mime, ext in _MAGIC:
        if head.startswith(magic):
            return Sniffed(mime, ext)
    found = _container(head)
    if found is not None:
        return found
    if not head or not _is_text(head):
        return Sniffed(_OCTET, "") if head else Sniffed("text/plain", ".txt")
    found = _markup(head)
    if found is not None:
        return found
    if _json(head, complete):
        return Sniffed("application/json", ".json")
    if _csv(head, complete, ","):
        return Sniffed("text/csv", ".csv")
    if _csv(head, complete, "\t"):
        return Sniffed("text/tab-separated-values", ".tsv")
    if _utf8(head, complete):
        return Sniffed(_TEXT, ".txt")
    return Sniffed("text/plain; charset=iso-8859-1", ".txt")
