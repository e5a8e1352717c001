"""Multi-factor sign-in: when an auth collection's ``mfa`` option asks for it, a first
successful sign-in answers an ``mfaId`` instead of a token, and a second one by another
method, sent with that id, completes the login.

A pending first sign-in is a ``_mfas`` row (collection, record, method). It is good for
``mfa.duration`` seconds, for its own record and collection, and once: the request whose
transaction deletes it is the one that signs in, however many arrive together (row A5).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from backroom.core.auth.mfa_options import mfa_options
from backroom.core.clock import parse_datetime
from backroom.core.collections.model import Collection, Schema
from backroom.core.context import RequestContext
from backroom.core.ids import new_id
from backroom.core.ports import Clock, Storage
from backroom.core.services.access import Access, record_matches
from backroom.errors import BadRequestError, MfaRequiredError

__all__ = ["MFAS", "MultiFactor"]

MFAS = "_mfas"
_EXPIRED = "Invalid or expired MFA session."
_FOREIGN = "Invalid MFA session."
_SAME_METHOD = "A different authentication method is required."
_UNREADABLE = "Failed to read MFA Id."


def _mfa_id(ctx: RequestContext) -> str:
    """The id of the first sign-in, from the query string or else the body."""
    from_query = ctx.query.get("mfaId")
    if from_query:
        return from_query
    value = ctx.body.get("mfaId")
    if value is None:
        return ""
    if not isinstance(value, str):
        raise BadRequestError(_UNREADABLE)
    return value


class MultiFactor:
    def __init__(self, schema: Schema, storage: Storage, access: Access, clock: Clock) -> None:
        self._schema = schema
        self._storage = storage
        self._access = access
        self._clock = clock

    def _mfas(self) -> Collection:
        c = self._schema.get(MFAS)
        assert c is not None, "the _mfas system collection is created at start"
        return c

    async def check(
        self, ctx: RequestContext, c: Collection, record: Mapping[str, Any], method: str
    ) -> None:
        """Let the sign-in of ``record`` by ``method`` through when no second factor is due
        or when it completes one; else raise ``MfaRequiredError`` (a new first sign-in) or
        ``BadRequestError`` (an unusable ``mfaId``). ``ctx`` is the caller's request."""
        options = mfa_options(c)
        if not options.enabled:
            return
        rid = str(record["id"])
        if options.rule:
            rule_ctx = RequestContext(
                auth=ctx.auth,
                method=ctx.method,
                headers=ctx.headers,
                query=ctx.query,
                body=ctx.body,
                context=method,
            )
            if not await record_matches(
                self._storage, self._access, c, options.rule, rid, rule_ctx
            ):
                return
        mfa_id = _mfa_id(ctx)
        if not mfa_id:
            raise MfaRequiredError(await self._begin(c, rid, method))
        await self._complete(c, rid, method, mfa_id, options.lifetime)

    async def _begin(self, c: Collection, record_id: str, method: str) -> str:
        now = self._clock.now()
        row = {
            "id": new_id(),
            "collectionRef": c.id,
            "recordRef": record_id,
            "method": method,
            "created": now,
            "updated": now,
        }
        async with self._storage.transaction() as tx:
            await tx.insert_record(self._mfas(), row)
        return str(row["id"])

    def _expired(self, row: Mapping[str, Any], lifetime: int) -> bool:
        created = parse_datetime(str(row.get("created", "")))
        if created is None:
            return True
        return (self._clock.now_dt() - created).total_seconds() > lifetime

    async def _complete(
        self, c: Collection, record_id: str, method: str, mfa_id: str, lifetime: int
    ) -> None:
        mfas = self._mfas()
        found = await self._storage.get_records(mfas, [mfa_id])
        row = found[0] if found else None
        if row is None or self._expired(row, lifetime):
            if row is not None:
                async with self._storage.transaction() as tx:
                    await tx.delete_record(mfas, mfa_id)
            raise BadRequestError(_EXPIRED)
        if row.get("recordRef") != record_id or row.get("collectionRef") != c.id:
            raise BadRequestError(_FOREIGN)
        if row.get("method") == method:
            raise BadRequestError(_SAME_METHOD)
        async with self._storage.transaction() as tx:
            # only the request that deletes the row completes the sign-in
            if await tx.get_record(mfas, mfa_id) is None:
                raise BadRequestError(_EXPIRED)
            await tx.delete_record(mfas, mfa_id)
