"""Resolve identifiers against a collection: fields, relation and back-relation paths,
``@collection.*``, ``@request.*`` and macros."""

from __future__ import annotations

import json
import re
import zlib
from datetime import datetime
from typing import Any

from backroom.core.collections.model import Collection, Schema
from backroom.core.context import RequestContext
from backroom.core.rules.ast import Call, Identifier, Literal
from backroom.core.rules.errors import FilterError
from backroom.core.rules.macros import MACROS
from backroom.core.rules.plan import (
    ROW,
    ChangedRef,
    ColumnRef,
    FuncRef,
    Hop,
    Origin,
    ParamRef,
    ParamSource,
    Resolved,
    Value,
)

__all__ = ["MAX_JOINS", "MAX_RELATION_DEPTH", "Resolver"]

MAX_RELATION_DEPTH = 6
MAX_JOINS = 32
_NEVER_FILTERABLE = frozenset({"password"})
_VIA_RE = re.compile(r"^([A-Za-z0-9_]+)_via_([A-Za-z0-9_]+)$")


def _scalar(value: Any) -> Any:
    if isinstance(value, list | dict):
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    if value is None:
        return ""
    return value


def _auth_value(name: str) -> ParamSource:
    def get(ctx: RequestContext, now: datetime) -> Any:
        auth = ctx.auth
        if auth is None:
            return ""
        if name == "collectionName":
            return auth.collection_name
        if name == "collectionId":
            return auth.collection_id
        return _scalar(auth.record.get(name, ""))

    return get


class Resolver:
    def __init__(
        self,
        collection: Collection,
        schema: Schema,
        superuser: bool,
        key: str,
        auth: Collection | None = None,
    ) -> None:
        self.collection = collection
        self.schema = schema
        self.superuser = superuser
        self.auth = auth
        self.params: dict[str, ParamSource] = {}
        self._prefix = f"q{zlib.crc32(key.encode())}_"
        self._joins = 0

    def _param(self, source: ParamSource, modifier: str = "", nullable: bool = False) -> ParamRef:
        name = f"{self._prefix}{len(self.params)}"
        self.params[name] = source
        return ParamRef(name, modifier, nullable)

    def resolve(self, ident: Identifier | Literal | Call) -> Resolved:
        if isinstance(ident, Literal):
            return Value(ident.value)
        if isinstance(ident, Call):
            args = tuple(self.resolve(a) for a in ident.args)
            if any(isinstance(a, ChangedRef | FuncRef) for a in args):
                raise FilterError(f"invalid argument of {ident.name}()")
            return FuncRef(ident.name, args)  # type: ignore[arg-type]
        head = ident.path[0]
        if head.startswith("@"):
            return self._special(ident)
        return self.field_path(ident.path, ident.modifier)

    def _special(self, ident: Identifier) -> Resolved:
        path, modifier = ident.path, ident.modifier
        macro = MACROS.get(path[0][1:])
        if macro is not None and len(path) == 1:
            return self._param(lambda ctx, now: macro(now), modifier)
        if path[0] == "@collection" and len(path) >= 3:
            return self._other_collection(path, modifier)
        if path[0] != "@request" or len(path) < 2:
            raise FilterError(f"unknown identifier {'.'.join(path)!r}")
        kind = path[1]
        if kind == "auth" and len(path) == 3:
            return self._param(_auth_value(path[2]), modifier)
        if kind == "auth" and len(path) > 3:
            return self._auth_path(path[2:], modifier)
        if kind == "body" and len(path) == 3:
            return self._body(path[2], modifier)
        if kind in ("query", "headers") and len(path) == 3:
            return self._param(_mapping_value(kind, path[2], modifier), modifier)
        if kind == "method" and len(path) == 2:
            return self._param(lambda ctx, now: ctx.method, modifier)
        if kind == "context" and len(path) == 2:
            return self._param(lambda ctx, now: ctx.context, modifier)
        raise FilterError(f"unsupported identifier {'.'.join(path)!r}")

    def _other_collection(self, path: tuple[str, ...], modifier: str) -> ColumnRef:
        name, _, alias = path[1].partition(":")
        other = self.schema.get(name)
        if other is None:
            raise FilterError(f"unknown collection {name!r}")
        return self.field_path(path[2:], modifier, Origin("collection", other, alias))

    def _auth_path(self, path: tuple[str, ...], modifier: str) -> Resolved:
        if self.auth is None:
            return Value(None)  # a guest: every value of the missing record is empty
        auth_id = self._param(_auth_value("id"))
        return self.field_path(path, modifier, Origin("auth", self.auth, param=auth_id.name))

    def _body(self, name: str, modifier: str) -> Resolved:
        f = self.collection.field(name)
        if modifier in ("isset", "length", "each"):
            return self._param(_body_value(f, name, modifier), modifier)
        value = self._param(_body_value(f, name, ""), modifier, nullable=True)
        if modifier == "changed":
            if f is None or f.type in _NEVER_FILTERABLE:
                raise FilterError(f"unknown field {name!r}")
            isset = self._param(_body_value(f, name, "isset"))
            return ChangedRef(isset, ParamRef(value.name), ColumnRef((), self.collection, f))
        return value

    def field_path(
        self, path: tuple[str, ...], modifier: str = "", origin: Origin = ROW
    ) -> ColumnRef:
        if len(path) > MAX_RELATION_DEPTH + 1:
            raise FilterError("the relation path is too deep")
        current = origin.collection if origin.collection is not None else self.collection
        hops: list[Hop] = []
        for i, name in enumerate(path[:-1]):
            via = _VIA_RE.match(name)
            if via is not None:
                hops.append(self._back_hop(current, via.group(1), via.group(2)))
                current = hops[-1].target
                continue
            f = self._field(current, name)
            if f.type == "json" or (f.type == "geoPoint" and path[i + 1 :] in (("lon",), ("lat",))):
                return ColumnRef(tuple(hops), current, f, modifier, tuple(path[i + 1 :]), origin)
            if f.type != "relation":
                raise FilterError(f"{name!r} is not a relation field")
            target = self.schema.get(str(getattr(f, "collectionId", "")))
            if target is None:
                raise FilterError(f"the collection of {name!r} does not exist")
            hops.append(Hop(current, f, target))
            current = target
        self._joins += len(hops) + (origin.kind != "row")
        if self._joins > MAX_JOINS:
            raise FilterError("the expression joins too many collections")
        f = self._field(current, path[-1])
        if modifier in ("isset", "changed"):
            raise FilterError(f"the {modifier!r} modifier applies to @request.body only")
        # a hidden email matches nothing, so a filter cannot probe it (BAD_INPUTS R3)
        guard = current.is_auth and f.name == "email" and not self.superuser
        return ColumnRef(tuple(hops), current, f, modifier, (), origin, guard)

    def _back_hop(self, current: Collection, name: str, field_name: str) -> Hop:
        other = self.schema.get(name)
        if other is None:
            raise FilterError(f"unknown collection {name!r}")
        f = self._field(other, field_name)
        if f.type != "relation" or getattr(f, "collectionId", "") != current.id:
            raise FilterError(f"{name}.{field_name} is not a relation to {current.name}")
        return Hop(current, f, other, back=True)

    def _field(self, collection: Collection, name: str) -> Any:
        f = collection.field(name)
        if f is None or f.type in _NEVER_FILTERABLE:
            raise FilterError(f"unknown field {name!r}")
        if f.hidden and not self.superuser:
            raise FilterError(f"unknown field {name!r}")
        return f


def _mapping_value(kind: str, key: str, modifier: str) -> ParamSource:
    def get(ctx: RequestContext, now: datetime) -> Any:
        source: Any = ctx.query if kind == "query" else ctx.headers
        lookup = key.replace("_", "-") if kind == "headers" else key
        present = lookup in source
        if modifier == "isset":
            return present
        return _scalar(source.get(lookup, "")) if present else ""

    return get


def _body_value(f: Any, key: str, modifier: str) -> ParamSource:
    """A body value, converted by its field as the record will store it (PocketBase compares
    normalized values too); a value the field refuses is compared as sent."""

    def get(ctx: RequestContext, now: datetime) -> Any:
        present = key in ctx.body
        if modifier == "isset":
            return present
        raw = ctx.body.get(key)
        value = raw
        if f is not None and present:
            try:
                value = f.normalize(raw)
            except ValueError:
                value = raw
        if modifier == "length":
            return len(value) if isinstance(value, list | str) else 0
        if modifier == "each":
            if isinstance(value, list):
                items = value
            else:
                items = [] if not present or value in (None, "") else [value]
            return json.dumps(items, separators=(",", ":"), ensure_ascii=False)
        return _scalar(value) if present else None

    return get
