"""Serialize records and attach ``expand``, each relation checked against its viewRule."""

from __future__ import annotations

import re
from typing import Any

from backroom.core.collections.model import Collection, Schema
from backroom.core.context import RequestContext
from backroom.core.ports import RecordQuery, Storage
from backroom.core.records.expand import ExpandTree
from backroom.core.records.serialize import record_json

__all__ = ["Expander"]

_VIA_RE = re.compile(r"^([A-Za-z0-9_]+)_via_([A-Za-z0-9_]+)$")
_MAX_BACK_EXPAND = 1000


class Expander:
    def __init__(self, schema: Schema, storage: Storage, access: Any) -> None:
        self._schema = schema
        self._storage = storage
        self._access = access

    async def serialize(
        self,
        ctx: RequestContext,
        c: Collection,
        records: list[dict[str, Any]],
        tree: ExpandTree | None,
    ) -> list[dict[str, Any]]:
        out = [record_json(c, r, ctx) for r in records]
        if tree:
            for key, subtree in tree.items():
                await self._expand_one(ctx, c, records, out, key, subtree)
        return out

    async def _expand_one(
        self,
        ctx: RequestContext,
        c: Collection,
        records: list[dict[str, Any]],
        out: list[dict[str, Any]],
        key: str,
        subtree: ExpandTree,
    ) -> None:
        via = _VIA_RE.match(key)
        if via is not None:
            await self._expand_back(ctx, c, records, out, key, subtree, via.group(1), via.group(2))
            return
        f = c.field(key)
        if f is None or f.type != "relation":
            return
        target = self._schema.get(str(getattr(f, "collectionId", "")))
        if target is None:
            return
        for o in out:
            o.setdefault("expand", {})
        wanted: list[str] = []
        for r in records:
            value = r.get(key)
            wanted.extend(value if isinstance(value, list) else [value] if value else [])
        if not wanted:
            return
        related = await self._load(ctx, target, list(dict.fromkeys(wanted)))
        if not related:
            return
        serialized = await self.serialize(ctx, target, related, subtree or None)
        by_id = {s["id"]: s for s in serialized}
        for r, o in zip(records, out, strict=True):
            value = r.get(key)
            if isinstance(value, list):
                found = [by_id[i] for i in value if i in by_id]
                if found:
                    o.setdefault("expand", {})[key] = found
            elif value and value in by_id:
                o.setdefault("expand", {})[key] = by_id[value]

    async def _expand_back(
        self,
        ctx: RequestContext,
        c: Collection,
        records: list[dict[str, Any]],
        out: list[dict[str, Any]],
        key: str,
        subtree: ExpandTree,
        name: str,
        field_name: str,
    ) -> None:
        """``comments_via_post``: the records of ``comments`` whose ``post`` points here,
        each checked against comments' viewRule, as a list (at most 1,000 per record)."""
        target = self._schema.get(name)
        f = target.field(field_name) if target is not None else None
        if target is None or f is None or getattr(f, "collectionId", "") != c.id:
            return
        filters = self._view_filters(ctx, target)
        if filters is None:
            return
        for o in out:
            o.setdefault("expand", {})
        ids = [str(r["id"]) for r in records]
        query = RecordQuery(
            target,
            filters,
            referencing=(field_name, ids),
            limit=_MAX_BACK_EXPAND * len(ids),
            bind=self._access.bind(filters, ctx),
        )
        related = (await self._storage.query(query)).items
        if not related:
            return
        serialized = await self.serialize(ctx, target, related, subtree or None)
        by_owner: dict[str, list[dict[str, Any]]] = {}
        for raw, item in zip(related, serialized, strict=True):
            value = raw.get(field_name)
            for owner in value if isinstance(value, list) else [value]:
                by_owner.setdefault(str(owner), []).append(item)
        for r, o in zip(records, out, strict=True):
            found = by_owner.get(str(r["id"]), [])[:_MAX_BACK_EXPAND]
            if found:
                o.setdefault("expand", {})[key] = found

    def _view_filters(self, ctx: RequestContext, target: Collection) -> list[Any] | None:
        """The viewRule as filters; None when the caller may view nothing."""
        if ctx.is_superuser:
            return []
        rule = target.rule("viewRule")
        if rule is None:
            return None
        return [self._access.rule(target, rule, ctx)] if rule else []

    async def _load(
        self, ctx: RequestContext, target: Collection, ids: list[str]
    ) -> list[dict[str, Any]]:
        filters = self._view_filters(ctx, target)
        if filters is None:
            return []
        query = RecordQuery(target, filters, ids=ids, bind=self._access.bind(filters, ctx))
        return (await self._storage.query(query)).items
