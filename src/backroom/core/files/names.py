"""Stored file names, normalized as PocketBase names them: ``snake_name_<10 random>.ext``."""

from __future__ import annotations

import re
import secrets

__all__ = ["file_key", "normalize_name", "thumb_key", "thumbs_prefix"]

_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789"
_WORD_SPLIT = re.compile(r"[^0-9A-Za-z]+")
_EXT_INVALID = re.compile(r"[^0-9A-Za-z_.*\-+=#]+")
_MAX_EXT = 20
_MAX_NAME = 100


def _random(n: int = 10) -> str:
    return "".join(secrets.choice(_ALPHABET) for _ in range(n))


def _snakecase(text: str) -> str:
    words = [w for w in _WORD_SPLIT.split(text) if w]
    out: list[str] = []
    for word in words:
        chars: list[str] = []
        for i, ch in enumerate(word):
            if ch.isupper() and i > 0 and not word[i - 1].isupper():
                chars.append("_")
            chars.append(ch.lower())
        out.append("".join(chars))
    return "_".join(out)


def _extension(name: str) -> str:
    """The extension with its dot; two parts when there are two (``.tar.gz``, and also
    ``.photo.png`` for ``my.photo.png``, as PocketBase reads it)."""
    primary = name.rfind(".")
    if primary < 0:
        return ""
    secondary = name.rfind(".", 0, primary)
    return name[secondary:] if secondary >= 0 else name[primary:]


def _base(name: str) -> str:
    """The last path element, as Go's ``filepath.Base`` gives it for an upload's name."""
    stripped = name.rstrip("/")
    if not stripped:
        return "/" if name else "."
    return stripped.rsplit("/", 1)[-1]


def normalize_name(original: str, sniffed_ext: str = "") -> str:
    """A safe stored name for an upload called ``original``: letters, digits, ``_`` and a
    cleaned extension, never a path. ``sniffed_ext`` stands in when the name has none."""
    name = _base(original)
    ext = _extension(name)
    clean_ext = _EXT_INVALID.sub("", ext)
    if not clean_ext:
        clean_ext = sniffed_ext
    if len(clean_ext) > _MAX_EXT:
        clean_ext = "." + clean_ext[-_MAX_EXT:]
    stem = _snakecase(name[: len(name) - len(ext)] if ext else name)
    if len(stem) < 3:
        stem += _random()
    elif len(stem) > _MAX_NAME:
        stem = stem[:_MAX_NAME]
    return f"{stem}_{_random()}{clean_ext}"


def file_key(collection_id: str, record_id: str, name: str) -> str:
    return f"{collection_id}/{record_id}/{name}"


def thumbs_prefix(collection_id: str, record_id: str, name: str) -> str:
    return f"{collection_id}/{record_id}/thumbs_{name}"


def thumb_key(collection_id: str, record_id: str, name: str, size: str) -> str:
    return f"{thumbs_prefix(collection_id, record_id, name)}/{size}_{name}"
