"""A stored record to PocketBase's record JSON."""

from __future__ import annotations

from typing import Any

from backroom.core.collections.model import Collection
from backroom.core.context import RequestContext

__all__ = ["NEVER_SHOWN", "record_json"]

NEVER_SHOWN = frozenset({"password", "tokenKey"})


def _visible_names(c: Collection, superuser: bool) -> list[tuple[str, bool]]:
    """(name, is_password) of the fields the caller sees: hidden fields only for
    superusers, a password always as "", ``password`` and ``tokenKey`` never."""
    return [
        (f.name, f.type == "password")
        for f in c.fields
        if f.name not in NEVER_SHOWN and (superuser or not f.hidden)
    ]


_names_cache: dict[tuple[str, int, bool], list[tuple[str, bool]]] = {}


def record_json(c: Collection, record: dict[str, Any], ctx: RequestContext) -> dict[str, Any]:
    superuser = ctx.is_superuser
    key = (c.id, c.version, superuser)
    names = _names_cache.get(key)
    if names is None:
        names = _names_cache[key] = _visible_names(c, superuser)
    out: dict[str, Any] = {"collectionId": c.id, "collectionName": c.name}
    for name, is_password in names:
        out[name] = "" if is_password else record.get(name)
    if c.is_auth and "email" in out and not superuser and not record.get("emailVisibility"):
        auth = ctx.auth
        if auth is None or auth.collection_id != c.id or auth.id != record.get("id"):
            del out["email"]
    return out
