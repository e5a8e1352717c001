"""Committed record changes as broker payloads: one compact JSON message per transaction.

Secrets stay home: a password hash never travels, and a ``tokenKey`` travels only as a
digest, enough for every process to tell that a subscriber's sessions were revoked.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import orjson

from backroom.core.records.changes import RecordChange

__all__ = ["CHANNEL", "WireChange", "decode_changes", "encode_changes", "token_digest"]

CHANNEL = "realtime.records"
_PASSWORD = "password"
_TOKEN_KEY = "tokenKey"


def token_digest(token_key: Any) -> str:
    return hashlib.blake2b(str(token_key or "").encode(), digest_size=12).hexdigest()


@dataclass(frozen=True, slots=True)
class WireChange:
    action: str
    collection_id: str
    record: dict[str, Any]


def _record(change: RecordChange) -> dict[str, Any]:
    record = dict(change.record)
    if change.collection.is_auth:
        record.pop(_PASSWORD, None)
        record[_TOKEN_KEY] = token_digest(record.get(_TOKEN_KEY))
    return record


def encode_changes(changes: Sequence[RecordChange]) -> bytes:
    return orjson.dumps([[c.action, c.collection.id, _record(c)] for c in changes])


def decode_changes(payload: bytes) -> list[WireChange]:
    out = []
    for item in orjson.loads(payload):
        action, collection_id, record = item
        if isinstance(record, Mapping):
            out.append(WireChange(str(action), str(collection_id), dict(record)))
    return out
