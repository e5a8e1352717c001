"""Record and collection identifiers."""

from __future__ import annotations

import re
import secrets
import zlib

__all__ = ["ID_ALPHABET", "is_valid_id", "new_collection_id", "new_id", "random_string"]

ID_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789"
_ID_RE = re.compile(r"^[a-z0-9]{15}$")


def random_string(length: int, alphabet: str = ID_ALPHABET) -> str:
    """``length`` characters drawn uniformly from ``alphabet`` with the OS's CSPRNG."""
    size = len(alphabet)
    limit = 256 - 256 % size  # reject the bytes that would bias the modulo
    out: list[str] = []
    while len(out) < length:
        for byte in secrets.token_bytes(length * 2):
            if byte < limit:
                out.append(alphabet[byte % size])
                if len(out) == length:
                    break
    return "".join(out)


def new_id() -> str:
    return random_string(15)


def is_valid_id(value: str) -> bool:
    return bool(_ID_RE.match(value))


def new_collection_id(collection_type: str, name: str) -> str:
    """PocketBase's id for a new collection: ``pbc_`` + crc32 of its type and name."""
    return f"pbc_{zlib.crc32((collection_type + name).encode())}"
