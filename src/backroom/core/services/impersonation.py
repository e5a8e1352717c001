"""Impersonation: a superuser gets a token that acts as another auth record.

The token is an ordinary auth token of that record with its own duration, but marked not
refreshable, so it ends when it expires; it is signed with the record's token key, so a
password or email change of the record ends it too.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from backroom.core.collections.model import Collection, Schema
from backroom.core.context import RequestContext
from backroom.core.ports import Storage
from backroom.core.records.serialize import record_json
from backroom.core.services.auth import AuthService
from backroom.errors import (
    BadRequestError,
    ErrorDetail,
    ForbiddenError,
    NotFoundError,
    UnauthorizedError,
    ValidationError,
)

__all__ = ["Impersonation"]

_LOAD_FAILED = "An error occurred while loading the submitted data."


def _duration(body: Mapping[str, Any], from_form: bool) -> int:
    """Whole seconds, as PocketBase reads them: JSON integers only (``60.0`` and ``"60"`` are
    refused), or a decimal string from a form."""
    value = body.get("duration")
    if value is None:
        return 0
    if from_form and isinstance(value, str) and value.lstrip("-").isdigit():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise BadRequestError(_LOAD_FAILED)
    if value < 0:
        raise ValidationError(
            data={
                "duration": ErrorDetail(
                    "validation_min_greater_equal_than_required",
                    "Must be no less than 0.",
                    {"threshold": 0},
                )
            }
        )
    return value


class Impersonation:
    def __init__(self, schema: Schema, storage: Storage, auth: AuthService) -> None:
        self._schema = schema
        self._storage = storage
        self._auth = auth

    def _collection(self, name: str) -> Collection:
        c = self._schema.get(name)
        if c is None or not c.is_auth:
            raise NotFoundError("Missing or invalid auth collection context.")
        return c

    async def impersonate(
        self,
        ctx: RequestContext,
        collection: str,
        record_id: str,
        body: Mapping[str, Any],
        from_form: bool = False,
    ) -> dict[str, Any]:
        if ctx.auth is None:
            raise UnauthorizedError()
        if not ctx.is_superuser:
            raise ForbiddenError()
        c = self._collection(collection)
        found = await self._storage.get_records(c, [record_id])
        if not found:
            raise NotFoundError()
        duration = _duration(body, from_form)
        record = found[0]
        token = self._auth.issue(c, record, duration=duration, refreshable=False)
        return {"token": token, "record": record_json(c, record, ctx)}
