"""Use cases on records: list, view, create, update, delete."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from backroom.core.collections.model import Collection, Schema
from backroom.core.context import RequestContext
from backroom.core.fields.base import FieldContext
from backroom.core.files.uploads import FilePlan, Upload, merge_uploads, plan_files
from backroom.core.ports import (
    Clock,
    FileStore,
    Hasher,
    RecordQuery,
    Storage,
    Transaction,
    UniqueViolation,
)
from backroom.core.ratelimit import RateLimiter
from backroom.core.records.build import apply_body, resolve_modifiers, validate_record
from backroom.core.records.expand import parse_expand
from backroom.core.records.projection import parse_fields, project
from backroom.core.services.access import Access
from backroom.core.services.auth_ids import AUTH_ID_TAKEN, auth_id_taken
from backroom.core.services.auth_origins import forget_origins
from backroom.core.services.expander import Expander
from backroom.core.services.file_writes import (
    FileWrites,
    has_files,
    prestorable,
    uploads_by_name,
)
from backroom.core.services.pending_sign_ins import end_stale_sign_ins
from backroom.core.services.prehash import prehash, wants_password_work
from backroom.core.services.relations import check_relations, delete_with_references
from backroom.core.services.secrets import hash_password_fields, prepare_auth_record
from backroom.core.services.system_refs import system_ref_errors
from backroom.errors import ErrorDetail, ForbiddenError, NotFoundError, ValidationError

__all__ = ["ListParams", "RecordService", "list_envelope"]

DEFAULT_PER_PAGE = 30
MAX_PER_PAGE = 1000
_ONLY_SUPERUSERS = "Only superusers can perform this action."
_NOT_UNIQUE = ErrorDetail("validation_not_unique", "Value must be unique.")
_MISMATCH = ErrorDetail("validation_values_mismatch", "Values don't match.")


def _not_unique(message: str, err: UniqueViolation) -> ValidationError:
    return ValidationError(message, {f: _NOT_UNIQUE for f in err.fields})


@dataclass(slots=True)
class ListParams:
    page: int = 1
    per_page: int = DEFAULT_PER_PAGE
    sort: str = ""
    filter: str = ""
    expand: str = ""
    fields: str = ""
    skip_total: bool = False

    def window(self) -> tuple[int, int]:
        """(page, perPage) as answered: page at least 1, perPage defaulted and clamped."""
        per_page = DEFAULT_PER_PAGE if self.per_page <= 0 else min(self.per_page, MAX_PER_PAGE)
        return max(self.page, 1), per_page


def list_envelope(page: int, per_page: int, total: int, items: list[Any]) -> dict[str, Any]:
    """PocketBase's list answer; a total of -1 (skipTotal) gives -1 pages."""
    return {
        "page": page,
        "perPage": per_page,
        "totalItems": total,
        "totalPages": -1 if total < 0 else math.ceil(total / per_page),
        "items": items,
    }


_SUPERUSER_ONLY_IDENTIFIERS = ("@collection.", "@request.")


def _refuse_superuser_only_identifiers(*expressions: str) -> None:
    """Clients filter and sort by their own fields; reading other collections or request data
    through a filter is for superusers (PocketBase checks the raw text the same way)."""
    for ident in _SUPERUSER_ONLY_IDENTIFIERS:
        if any(ident in e for e in expressions):
            raise ForbiddenError(f"Only superusers can filter by {ident}")


class RecordService:
    def __init__(
        self,
        schema: Schema,
        storage: Storage,
        clock: Clock,
        hasher: Hasher,
        access: Access,
        limiter: RateLimiter | None = None,
        files: FileStore | None = None,
    ) -> None:
        self._limiter = limiter or RateLimiter()
        self._files = files
        self._schema = schema
        self._storage = storage
        self._clock = clock
        self._hasher = hasher
        self._access = access
        self._expander = Expander(schema, storage, access)

    def collection(self, id_or_name: str) -> Collection:
        c = self._schema.get(id_or_name)
        if c is None:
            raise NotFoundError("Missing collection context.")
        return c

    def _rule_filters(self, ctx: RequestContext, c: Collection, rule_name: str) -> list[Any]:
        """The rule as filters for a non-superuser; raises 403 for a locked (null) rule."""
        if ctx.is_superuser:
            return []
        rule = c.rule(rule_name)
        if rule is None:
            raise ForbiddenError(_ONLY_SUPERUSERS)
        return [] if rule == "" else [self._access.rule(c, rule, ctx)]

    async def list(self, ctx: RequestContext, name: str, p: ListParams) -> dict[str, Any]:
        c = self.collection(name)
        if not ctx.is_superuser:
            _refuse_superuser_only_identifiers(p.filter, p.sort)
        filters = self._rule_filters(ctx, c, "listRule")
        if p.filter:
            filters.append(self._access.filter(c, p.filter, ctx))
        sort = self._access.sort(c, p.sort, ctx) if p.sort else None
        expand = parse_expand(p.expand) if p.expand else None
        proj = parse_fields(p.fields) if p.fields else None
        page, per_page = p.window()
        query = RecordQuery(
            c,
            filters,
            sort,
            limit=per_page,
            offset=(page - 1) * per_page,
            with_total=not p.skip_total,
            bind=self._access.bind(filters, ctx),
        )
        result = await self._storage.query(query)
        items = await self._expander.serialize(ctx, c, result.items, expand)
        return list_envelope(page, per_page, result.total, project(items, proj))

    async def _visible(
        self, ctx: RequestContext, c: Collection, rule: str, rid: str
    ) -> dict[str, Any]:
        filters = self._rule_filters(ctx, c, rule)
        query = RecordQuery(c, filters, ids=[rid], limit=1, bind=self._access.bind(filters, ctx))
        found = (await self._storage.query(query)).items
        if not found:
            raise NotFoundError()
        return found[0]

    async def view(
        self, ctx: RequestContext, name: str, rid: str, expand: str = "", fields: str = ""
    ) -> dict[str, Any]:
        c = self.collection(name)
        record = await self._visible(ctx, c, "viewRule", rid)
        return await self._present(ctx, c, record, expand, fields)

    async def _present(
        self, ctx: RequestContext, c: Collection, record: dict[str, Any], expand: str, fields: str
    ) -> dict[str, Any]:
        tree = parse_expand(expand) if expand else None
        proj = parse_fields(fields) if fields else None
        items = await self._expander.serialize(ctx, c, [record], tree)
        out: dict[str, Any] = project(items[0], proj)
        return out

    async def _rule_holds(
        self, tx: Transaction, ctx: RequestContext, c: Collection, rule: str, rid: str
    ) -> bool:
        filters = self._rule_filters(ctx, c, rule)
        if not filters:
            return True
        query = RecordQuery(c, filters, ids=[rid], limit=1, bind=self._access.bind(filters, ctx))
        return await tx.count(query) > 0

    async def _manages(self, tx: Transaction, ctx: RequestContext, c: Collection, rid: str) -> bool:
        """Whether the caller may fully manage the auth record ``rid`` (its manageRule)."""
        if ctx.is_superuser:
            return True
        rule = c.rule("manageRule")
        if rule is None or not c.is_auth:
            return False
        if rule == "":
            return True
        plan = self._access.rule(c, rule, ctx)
        query = RecordQuery(c, [plan], ids=[rid], limit=1, bind=self._access.bind([plan], ctx))
        return await tx.count(query) > 0

    async def create(
        self,
        ctx: RequestContext,
        name: str,
        body: Mapping[str, Any],
        expand: str = "",
        fields: str = "",
        uploads: Mapping[str, Sequence[Upload]] | None = None,
    ) -> dict[str, Any]:
        c = self.collection(name)
        self._rule_filters(ctx, c, "createRule")
        if uploads:
            body = merge_uploads(body, uploads)
        record = {f.name: f.zero() for f in c.fields}
        _, errors = apply_body(c, record, body, superuser=ctx.is_superuser)
        fctx = FieldContext(is_new=True, is_superuser=ctx.is_superuser, now=self._clock.now())
        for f in c.fields:
            record[f.name] = f.on_save(record[f.name], fctx)
        if c.is_auth:
            # may manage: checked against the stored record below, once it exists
            manager = ctx.is_superuser or c.rule("manageRule") is not None
            errors.update(
                await prepare_auth_record(c, record, body, None, ctx, self._hasher, manager)
            )
        errors.update(await hash_password_fields(c, record, body, None, self._hasher))
        errors = {**validate_record(c, record, fctx, skip=set(errors)), **errors}
        plan = self._plan(c, str(record["id"]), None, record, uploads, errors)
        if errors:
            raise ValidationError("Failed to create record.", errors)
        writes = self._writes()
        try:
            if plan is not None and writes is not None:
                await writes.store(plan.save)
            await self._insert(ctx, c, record)
        except BaseException:
            if writes is not None:
                await writes.discard()
            raise
        return await self._present(ctx, c, record, expand, fields)

    def _writes(self) -> FileWrites | None:
        return None if self._files is None else FileWrites(self._files)

    @staticmethod
    def _plan(
        c: Collection,
        rid: str,
        old: Mapping[str, Any] | None,
        record: Mapping[str, Any],
        uploads: Mapping[str, Sequence[Upload]] | None,
        errors: dict[str, ErrorDetail],
    ) -> FilePlan | None:
        """What the write does with files; its errors join ``errors`` (field checks first)."""
        if not has_files(c):
            return None
        plan = plan_files(c, rid, old, record, uploads_by_name(uploads))
        for field_name, err in plan.errors.items():
            errors.setdefault(field_name, err)
        return plan

    async def _insert(self, ctx: RequestContext, c: Collection, record: dict[str, Any]) -> None:
        try:
            async with self._storage.transaction() as tx:
                rel_errors = await check_relations(tx, self._schema, c, record)
                rel_errors.update(await system_ref_errors(tx, self._schema, c, record))
                if c.is_auth and await auth_id_taken(tx, self._schema, c, record["id"]):
                    rel_errors["id"] = AUTH_ID_TAKEN
                if rel_errors:
                    raise ValidationError("Failed to create record.", rel_errors)
                await tx.insert_record(c, record)
                zero = {f.name: f.zero() for f in c.fields}
                seen = replace(ctx, body=resolve_modifiers(c, zero, ctx.body))
                if not await self._rule_holds(tx, seen, c, "createRule", record["id"]):
                    raise ValidationError("Failed to create record.")
                if (
                    c.is_auth
                    and record.get("verified")
                    and not await self._manages(tx, ctx, c, record["id"])
                ):
                    raise ValidationError("Failed to create record.", {"verified": _MISMATCH})
        except UniqueViolation as err:
            raise _not_unique("Failed to create record.", err) from None

    async def update(
        self,
        ctx: RequestContext,
        name: str,
        rid: str,
        body: Mapping[str, Any],
        expand: str = "",
        fields: str = "",
        uploads: Mapping[str, Sequence[Upload]] | None = None,
    ) -> dict[str, Any]:
        c = self.collection(name)
        self._rule_filters(ctx, c, "updateRule")
        if uploads:
            body = merge_uploads(body, uploads)
        writes = self._writes()
        try:
            if uploads and writes is not None and await self._may_update(ctx, c, rid):
                # stored before the write lock is taken, so a slow store does not hold it
                await writes.store(prestorable(c, rid, uploads))
            record, plan = await self._update(ctx, c, rid, body, uploads, writes)
        except BaseException:
            if writes is not None:
                await writes.discard()
            raise
        if writes is not None and plan is not None:
            await writes.discard(keep=[key for key, _ in plan.save])
            await writes.committed(plan)
        return await self._present(ctx, c, record, expand, fields)

    async def _may_update(self, ctx: RequestContext, c: Collection, rid: str) -> bool:
        """Whether the record exists and the updateRule lets the caller at it, as far as can
        be told before the write: files are not written for a caller who may not write."""
        try:
            await self._visible(ctx, c, "updateRule", rid)
        except NotFoundError:
            return False
        return True

    async def _update(
        self,
        ctx: RequestContext,
        c: Collection,
        rid: str,
        body: Mapping[str, Any],
        uploads: Mapping[str, Sequence[Upload]] | None,
        writes: FileWrites | None,
    ) -> tuple[dict[str, Any], FilePlan | None]:
        hasher = self._hasher
        if wants_password_work(c, body):
            # hashed before the write lock, for a caller the rule lets update the record
            snapshot = await self._visible(ctx, c, "updateRule", rid)
            may_manage = ctx.is_superuser or c.rule("manageRule") is not None
            # guessing the old password is throttled like guessing it at sign-in (row A12)
            account = f"{c.id}:{rid}"
            old_password = body.get("oldPassword")
            if c.is_auth and old_password:
                self._limiter.check_failures(account, ctx.client_ip)
            prehashed = await prehash(c, body, snapshot, hasher, may_manage)
            if (
                c.is_auth
                and isinstance(old_password, str)
                and old_password
                and not prehashed.checked(old_password, str(snapshot.get("password", "")))
            ):
                self._limiter.count_failure(account, ctx.client_ip)
            hasher = prehashed
        try:
            async with self._storage.transaction() as tx:
                old = await tx.get_record(c, rid)
                if old is None:
                    raise NotFoundError()
                seen = replace(ctx, body=resolve_modifiers(c, old, ctx.body))
                if not await self._rule_holds(tx, seen, c, "updateRule", rid):
                    raise NotFoundError()
                record = dict(old)
                _, errors = apply_body(c, record, body, superuser=ctx.is_superuser)
                fctx = FieldContext(
                    is_new=False, is_superuser=ctx.is_superuser, now=self._clock.now(), old=old
                )
                for f in c.fields:
                    record[f.name] = f.on_save(record[f.name], fctx)
                if c.is_auth:
                    errors.update(
                        await prepare_auth_record(
                            c,
                            record,
                            body,
                            old,
                            ctx,
                            hasher,
                            await self._manages(tx, ctx, c, rid),
                        )
                    )
                errors.update(await hash_password_fields(c, record, body, old, hasher))
                errors = {**validate_record(c, record, fctx, skip=set(errors)), **errors}
                errors.update(await check_relations(tx, self._schema, c, record))
                plan = self._plan(c, rid, old, record, uploads, errors)
                errors = errors or await system_ref_errors(tx, self._schema, c, record)
                if errors:
                    raise ValidationError("Failed to update record.", errors)
                if plan is not None and writes is not None:
                    await writes.store(plan.save)
                await tx.update_record(c, rid, record)
                await end_stale_sign_ins(tx, self._schema, c, old, record)
                if c.is_auth and record.get("password") != old.get("password"):
                    await forget_origins(tx, self._schema, c, rid)
        except UniqueViolation as err:
            raise _not_unique("Failed to update record.", err) from None
        return record, plan

    async def delete(self, ctx: RequestContext, name: str, rid: str) -> None:
        c = self.collection(name)
        self._rule_filters(ctx, c, "deleteRule")
        async with self._storage.transaction() as tx:
            old = await tx.get_record(c, rid)
            if old is None or not await self._rule_holds(tx, ctx, c, "deleteRule", rid):
                raise NotFoundError()
            removed: list[tuple[Collection, str]] = []
            await delete_with_references(tx, self._schema, c, rid, removed=removed)
        writes = self._writes()
        if writes is not None:
            await writes.delete_records(removed)
