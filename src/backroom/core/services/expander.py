"""Serialize records and attach ``expand``, each relation checked against its viewRule."""

from __future__ import annotations

from typing import Any

from backroom.core.collections.model import Collection, Schema
from backroom.core.context import RequestContext
from backroom.core.ports import RecordQuery, Storage
from backroom.core.records.expand import ExpandTree
from backroom.core.records.serialize import record_json

__all__ = ["Expander"]


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

    async def _load(
        self, ctx: RequestContext, target: Collection, ids: list[str]
    ) -> list[dict[str, Any]]:
        filters: list[Any] = []
        if not ctx.is_superuser:
            rule = target.rule("viewRule")
            if rule is None:
                return []
            if rule:
                filters.append(self._access.rule(target, rule, ctx))
        query = RecordQuery(target, filters, ids=ids, bind=self._access.bind(filters, ctx))
        return (await self._storage.query(query)).items
