"""Resolve identifiers against a collection: fields, relation paths, ``@request.*``, macros."""

from __future__ import annotations

import json
import zlib
from datetime import datetime
from typing import Any

from backroom.core.collections.model import Collection, Schema
from backroom.core.context import RequestContext
from backroom.core.rules.ast import Identifier
from backroom.core.rules.errors import FilterError
from backroom.core.rules.macros import MACROS
from backroom.core.rules.plan import ColumnRef, Hop, ParamRef, ParamSource

__all__ = ["MAX_RELATION_DEPTH", "Resolver"]

MAX_RELATION_DEPTH = 6
_NEVER_FILTERABLE = frozenset({"password"})


def _auth_value(name: str) -> ParamSource:
    def get(ctx: RequestContext, now: datetime) -> Any:
        auth = ctx.auth
        if auth is None:
            return ""
        if name == "collectionName":
            return auth.collection_name
        if name == "collectionId":
            return auth.collection_id
        value = auth.record.get(name, "")
        return _scalar(value)

    return get


def _scalar(value: Any) -> Any:
    if isinstance(value, list | dict):
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    if value is None:
        return ""
    return value


def _mapping_value(kind: str, key: str, modifier: str) -> ParamSource:
    def get(ctx: RequestContext, now: datetime) -> Any:
        source: Any = {"query": ctx.query, "headers": ctx.headers, "body": ctx.body}[kind]
        lookup = key.replace("_", "-") if kind == "headers" else key
        present = lookup in source
        if modifier == "isset":
            return present
        return _scalar(source.get(lookup, "")) if present else ""

    return get


class Resolver:
    def __init__(self, collection: Collection, schema: Schema, superuser: bool, key: str) -> None:
        self.collection = collection
        self.schema = schema
        self.superuser = superuser
        self.params: dict[str, ParamSource] = {}
        self._prefix = f"q{zlib.crc32(key.encode())}_"

    def _param(self, source: ParamSource, modifier: str = "") -> ParamRef:
        name = f"{self._prefix}{len(self.params)}"
        self.params[name] = source
        return ParamRef(name, modifier)

    def resolve(self, ident: Identifier) -> ColumnRef | ParamRef:
        head = ident.path[0]
        if head.startswith("@"):
            return self._special(ident)
        return self.field_path(ident.path, ident.modifier)

    def _special(self, ident: Identifier) -> ParamRef:
        path, modifier = ident.path, ident.modifier
        macro = MACROS.get(path[0][1:])
        if macro is not None and len(path) == 1:
            return self._param(lambda ctx, now: macro(now), modifier)
        if path[0] != "@request" or len(path) < 2:
            raise FilterError(f"unknown identifier {'.'.join(path)!r}")
        kind = path[1]
        if kind == "auth" and len(path) == 3:
            return self._param(_auth_value(path[2]), modifier)
        if kind in ("query", "headers", "body") and len(path) == 3:
            return self._param(_mapping_value(kind, path[2], modifier), modifier)
        if kind == "method" and len(path) == 2:
            return self._param(lambda ctx, now: ctx.method, modifier)
        if kind == "context" and len(path) == 2:
            return self._param(lambda ctx, now: ctx.context, modifier)
        raise FilterError(f"unsupported identifier {'.'.join(path)!r}")

    def field_path(self, path: tuple[str, ...], modifier: str = "") -> ColumnRef:
        if len(path) > MAX_RELATION_DEPTH + 1:
            raise FilterError("the relation path is too deep")
        current = self.collection
        hops: list[Hop] = []
        for i, name in enumerate(path[:-1]):
            f = self._field(current, name)
            if f.type == "json":
                return ColumnRef(tuple(hops), current, f, modifier, tuple(path[i + 1 :]))
            if f.type != "relation":
                raise FilterError(f"{name!r} is not a relation field")
            target = self.schema.get(str(getattr(f, "collectionId", "")))
            if target is None:
                raise FilterError(f"the collection of {name!r} does not exist")
            hops.append(Hop(current, f, target))
            current = target
        f = self._field(current, path[-1])
        if modifier in ("isset", "changed"):
            raise FilterError(f"the {modifier!r} modifier applies to @request.body only")
        return ColumnRef(tuple(hops), current, f, modifier)

    def _field(self, collection: Collection, name: str) -> Any:
        f = collection.field(name)
        if f is None or f.type in _NEVER_FILTERABLE:
            raise FilterError(f"unknown field {name!r}")
        if f.hidden and not self.superuser:
            raise FilterError(f"unknown field {name!r}")
        return f
