"""Use cases on collections: list, view, create, update, delete, truncate, import."""

from __future__ import annotations

import copy
import logging
from collections.abc import Mapping
from typing import Any

from backroom.core.auth.mfa_options import apply_mfa_input
from backroom.core.auth.oauth2_options import keep_client_secrets
from backroom.core.auth.option_checks import CHECKED_OPTIONS, apply_checked_option
from backroom.core.collections.codec import option_names, rule_names
from backroom.core.collections.indexes import parse_index, rename_index_table
from backroom.core.collections.model import Collection, Schema
from backroom.core.collections.system import ensure_system_fields, rotate_token_secret
from backroom.core.collections.validate import RuleChecker, validate_collection
from backroom.core.context import RequestContext
from backroom.core.fields.base import Field
from backroom.core.fields.registry import field_from_json
from backroom.core.ids import new_collection_id
from backroom.core.ports import Clock, FileStore, Peers, Storage, Transaction, UniqueViolation
from backroom.core.services.collections_import import import_collections
from backroom.core.services.collections_list import list_collections
from backroom.core.services.file_writes import FileWrites, has_files
from backroom.core.services.records import ListParams
from backroom.core.services.relations import delete_with_references
from backroom.core.services.system_refs import forget_refs_to
from backroom.errors import (
    BadRequestError,
    ErrorDetail,
    ForbiddenError,
    NotFoundError,
    UnauthorizedError,
    ValidationError,
)

__all__ = ["CollectionService", "referenced_by", "require_superuser"]

log = logging.getLogger("backroom.collections")

_ONLY_SUPERUSERS = "Only superusers can perform this action."


def require_superuser(ctx: RequestContext) -> None:
    if ctx.auth is None:
        raise UnauthorizedError()
    if not ctx.is_superuser:
        raise ForbiddenError(_ONLY_SUPERUSERS)


def _parse_fields(raw: Any, old: Collection | None) -> list[Field]:
    if not isinstance(raw, list):
        raise BadRequestError("Failed to load the submitted data due to invalid formatting.")
    out: list[Field] = []
    errors: dict[str, Any] = {}
    for i, item in enumerate(raw):
        if not isinstance(item, Mapping):
            errors[str(i)] = ErrorDetail("validation_invalid_value", "Invalid field definition.")
            continue
        data = dict(item)
        if old is not None and not data.get("id") and data.get("name"):
            # the same field, unless its type changed: then it is a new field of that name
            prev = old.field(str(data["name"]))
            if prev is not None and prev.type == data.get("type", prev.type):
                data["id"] = prev.id
        try:
            out.append(field_from_json(data))
        except ValidationError as err:
            errors[str(i)] = err.data
    if errors:
        raise ValidationError(data={"fields": errors})
    return out


def _apply_input(c: Collection, data: Mapping[str, Any], old: Collection | None) -> None:
    errors: dict[str, Any] = {}
    if "name" in data:
        c.name = data["name"] if isinstance(data["name"], str) else ""
    if "fields" in data:
        c.fields = _parse_fields(data["fields"], old)
    if "indexes" in data:
        raw = data["indexes"]
        if not isinstance(raw, list) or not all(isinstance(i, str) for i in raw):
            errors["indexes"] = ErrorDetail("validation_invalid_value", "Invalid value.")
        else:
            c.indexes = list(raw)
    for rule in rule_names(c.type):
        if rule in data:
            value = data[rule]
            if value is not None and not isinstance(value, str):
                errors[rule] = ErrorDetail("validation_invalid_rule", "Invalid rule.")
            else:
                c.rules[rule] = value
    if c.is_auth and "mfa" in data:
        apply_mfa_input(c, data["mfa"])
    for key, value in data.items():
        if c.is_auth and key in CHECKED_OPTIONS:
            apply_checked_option(c, key, value)
        elif key in option_names(c.type) and key != "mfa" and isinstance(value, Mapping):
            current = c.options.get(key)
            if isinstance(current, dict):
                current.update(value)
            else:
                c.options[key] = dict(value)
    if errors:
        raise ValidationError(data=errors)


def referenced_by(schema: Schema, c: Collection) -> list[Collection]:
    """Other collections with a relation field pointing at ``c``."""
    return [
        other
        for other in schema
        if other.id != c.id
        and any(
            f.type == "relation" and getattr(f, "collectionId", "") == c.id for f in other.fields
        )
    ]


def _self_referencing(c: Collection) -> bool:
    return any(f.type == "relation" and getattr(f, "collectionId", "") == c.id for f in c.fields)


def _unique_index_error(c: Collection, err: UniqueViolation) -> Any:
    """The error for a unique index that existing records break, on that index, worded as
    PocketBase (and SQLite) word it."""
    columns = {f.lower() for f in err.fields}
    for i, raw in enumerate(c.indexes):
        idx = parse_index(raw)
        if idx is not None and idx.unique and {col.name.lower() for col in idx.columns} == columns:
            failed = ", ".join(f"{c.name}.{col.name}" for col in idx.columns)
            return {
                str(i): ErrorDetail(
                    "validation_invalid_index_expression",
                    f"Failed to create index {idx.name} - constraint failed: "
                    f"UNIQUE constraint failed: {failed} (2067).",
                )
            }
    return ErrorDetail("validation_not_unique", "The index values are not unique.")


class CollectionService:
    def __init__(
        self,
        schema: Schema,
        storage: Storage,
        clock: Clock,
        check_rule: RuleChecker,
        files: FileStore | None = None,
        peers: Peers | None = None,
    ) -> None:
        self.schema = schema
        self.storage = storage
        self._clock = clock
        self._check_rule = check_rule
        self._files = files
        self._peers = peers

    async def announce(self) -> None:
        """After a committed change: return once the other processes have it too."""
        if self._peers is not None:
            await self._peers.changed("collections")

    def get(self, id_or_name: str) -> Collection:
        c = self.schema.get(id_or_name)
        if c is None:
            raise NotFoundError("Missing collection context.")
        return c

    async def list_page(self, ctx: RequestContext, params: ListParams) -> dict[str, Any]:
        require_superuser(ctx)
        return await list_collections(self.schema, self.storage, ctx, params, self._clock.now_dt())

    def view(self, ctx: RequestContext, id_or_name: str) -> Collection:
        require_superuser(ctx)
        c = self.schema.get(id_or_name)
        if c is None:
            raise NotFoundError()
        return c

    def _new_from_input(self, data: Mapping[str, Any]) -> Collection:
        ctype = data.get("type") or "base"
        cid = data.get("id")
        raw_name = data.get("name")
        name = raw_name if isinstance(raw_name, str) else ""
        now = self._clock.now()
        c = Collection(
            id=cid if isinstance(cid, str) and cid else new_collection_id(str(ctype), name),
            name="",
            type=ctype if isinstance(ctype, str) else "",
            created=now,
            updated=now,
            rules={r: "" if r == "authRule" else None for r in rule_names(str(ctype))},
        )
        _apply_input(c, data, None)
        ensure_system_fields(c)
        return c

    def prepare_create(self, data: Mapping[str, Any], schema: Schema) -> Collection:
        """A new collection from client input, validated against ``schema``."""
        c = self._new_from_input(data)
        if schema.get(c.id) is not None:
            raise ValidationError(
                "Failed to create collection.",
                {"id": ErrorDetail("validation_not_unique", "Value must be unique.")},
            )
        self._validate(None, c, schema, "Failed to create collection.")
        return c

    def prepare_update(
        self, old: Collection, data: Mapping[str, Any], schema: Schema
    ) -> Collection:
        """The changed collection from client input, validated against ``schema``."""
        c = copy.deepcopy(old)
        _apply_input(c, data, old)
        if c.name != old.name:
            c.indexes = [rename_index_table(i, old.name, c.name) for i in c.indexes]
        if isinstance(data.get("type"), str) and data["type"] != old.type:
            c.type = data["type"]
        ensure_system_fields(c)
        keep_client_secrets(old, c)
        c.updated = self._clock.now()
        self._validate(old, c, schema, "Failed to update collection.")
        new_rule = c.rules.get("authRule")
        if c.is_auth and new_rule and new_rule != old.rules.get("authRule"):
            # a new auth condition applies to every session, so earlier tokens stop working
            # and each account must log in again under it, as in PocketBase
            rotate_token_secret(c)
        return c

    def _validate(
        self, old: Collection | None, c: Collection, schema: Schema, message: str
    ) -> None:
        errors = validate_collection(c, schema, old, self._check_rule)
        if errors:
            raise ValidationError(message, errors)

    async def create(self, ctx: RequestContext, data: Mapping[str, Any]) -> Collection:
        require_superuser(ctx)
        c = self.prepare_create(data, self.schema)
        await self._save(None, c, "Failed to create collection.")
        return c

    async def update(
        self, ctx: RequestContext, id_or_name: str, data: Mapping[str, Any]
    ) -> Collection:
        require_superuser(ctx)
        old = self.view(ctx, id_or_name)
        c = self.prepare_update(old, data, self.schema)
        await self._save(old, c, "Failed to update collection.")
        return c

    async def import_(self, ctx: RequestContext, items: list[Any], delete_missing: bool) -> None:
        require_superuser(ctx)
        await import_collections(self, items, delete_missing)

    async def _save(self, old: Collection | None, c: Collection, message: str) -> None:
        try:
            async with self.storage.transaction() as tx:
                await tx.save_collection(old, c)
        except UniqueViolation as err:
            raise ValidationError(message, {"indexes": _unique_index_error(c, err)}) from None
        self.schema.put(c)
        await self.announce()

    async def delete(self, ctx: RequestContext, id_or_name: str) -> None:
        require_superuser(ctx)
        c = self.view(ctx, id_or_name)
        if c.system:
            raise BadRequestError("Failed to delete collection.")
        refs = referenced_by(self.schema, c)
        if refs:
            raise BadRequestError(
                f"Failed to delete collection probably due to existing reference in {refs[0].name}."
            )
        async with self.storage.transaction() as tx:
            await forget_refs_to(tx, self.schema, c)
            await tx.delete_collection(c)
        self.schema.remove(c.id)
        await self._delete_files([(c, "")])
        await self.announce()

    async def _delete_files(self, removed: list[tuple[Collection, str]]) -> None:
        """After the commit: the stored files of deleted records (a whole collection's for
        an empty record id)."""
        if self._files is None:
            return
        writes = FileWrites(self._files)
        whole = [c for c, rid in removed if not rid]
        await writes.delete_records([(c, rid) for c, rid in removed if rid])
        for c in whole:
            if has_files(c):
                try:
                    await self._files.delete_prefix(f"{c.id}/")
                except Exception:
                    log.exception("could not delete the stored files of %s", c.name)

    async def truncate(self, ctx: RequestContext, id_or_name: str) -> None:
        require_superuser(ctx)
        c = self.view(ctx, id_or_name)
        removed: list[tuple[Collection, str]] = []
        async with self.storage.transaction() as tx:
            if not referenced_by(self.schema, c) and not _self_referencing(c):
                await forget_refs_to(tx, self.schema, c)
                await tx.truncate_collection(c)
                removed.append((c, ""))
            else:
                await self._truncate_with_references(tx, c, removed)
        await self._delete_files(removed)

    async def _truncate_with_references(
        self, tx: Transaction, c: Collection, removed: list[tuple[Collection, str]]
    ) -> None:
        try:
            for rid in await tx.record_ids(c):
                if await tx.get_record(c, rid) is not None:
                    await delete_with_references(tx, self.schema, c, rid, removed=removed)
        except BadRequestError:
            raise BadRequestError(
                "Failed to truncate collection (most likely due to required cascade delete "
                "record references)."
            ) from None
