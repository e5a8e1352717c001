"""The account an OAuth2 sign-in creates: ``createData`` plus the mapped provider fields.

The record goes through the same checks as a record created over the API by the same
caller (field rules, the createRule, no ``verified`` from the client); ``verified`` is
then set only when the provider vouches for the record's email. A provider's avatar URL
is stored only in a text or url field: Backroom never fetches it (row O7).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from backroom.core.auth.oauth2_options import oauth2_options
from backroom.core.auth.oauth2_user import OAuth2User
from backroom.core.collections.indexes import has_unique_index
from backroom.core.collections.model import Collection, Schema
from backroom.core.context import RequestContext
from backroom.core.fields.base import Field, FieldContext
from backroom.core.ids import random_string
from backroom.core.ports import Clock, Hasher, RecordQuery, Storage, Transaction
from backroom.core.records.build import apply_body, validate_record
from backroom.core.services.access import Access
from backroom.core.services.relations import check_relations
from backroom.core.services.secrets import hash_password_fields, prepare_auth_record
from backroom.errors import BadRequestError, ForbiddenError, ValidationError

__all__ = ["OAuth2Signup", "random_password"]

_CREATE_FAILED = "Failed to create record."
_ALNUM = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"


def random_password() -> str:
    return random_string(30, _ALNUM)


class OAuth2Signup:
    def __init__(
        self, schema: Schema, storage: Storage, hasher: Hasher, access: Access, clock: Clock
    ) -> None:
        self._schema = schema
        self._storage = storage
        self._hasher = hasher
        self._access = access
        self._clock = clock

    async def _username_fits(self, c: Collection, f: Field, value: str) -> bool:
        """A provider's username is taken only when it is free and valid for the field."""
        if f.type != "text" or not value:
            return False
        unique = has_unique_index(c.indexes, f.name)
        if unique and await self._storage.find_by_field(c, f.name, value):
            return False
        return f.validate(value, FieldContext()) is None

    async def payload(
        self, c: Collection, user: OAuth2User, create_data: Mapping[str, Any]
    ) -> dict[str, Any]:
        """The create body: the client's ``createData`` first, then the provider's values."""
        if c.name == "_superusers":
            raise BadRequestError("Failed to authenticate.")
        data = dict(create_data)
        submitted = data.get("email")
        if not (isinstance(submitted, str) and submitted):
            email = user.email
            if (
                email
                and not user.email_verified
                and await self._storage.find_by_field(c, "email", email) is not None
            ):
                email = ""  # never sign up onto an address someone holds and nobody proved
            data["email"] = email
        password = data.get("password")
        if not (isinstance(password, str) and password):
            data["password"] = data["passwordConfirm"] = random_password()
        mapped = oauth2_options(c).get("mappedFields")
        mapped = mapped if isinstance(mapped, Mapping) else {}
        values = {
            "id": user.id,
            "name": user.name,
            "username": user.username,
            "avatarURL": user.avatar_url,
        }
        for key, value in values.items():
            target = mapped.get(key)
            if not isinstance(target, str) or not target or target in data:
                continue
            f = c.field(target)
            if f is None:
                continue
            if key == "username" and not await self._username_fits(c, f, value):
                continue
            if key == "avatarURL" and (not value or f.type == "file"):
                continue
            data[target] = value
        return data

    async def build(
        self, ctx: RequestContext, c: Collection, data: Mapping[str, Any]
    ) -> dict[str, Any]:
        """The new record from the create body, checked and with its password hashed
        (before any transaction: hashing takes a while)."""
        record = {f.name: f.zero() for f in c.fields}
        _, errors = apply_body(c, record, data, superuser=False)
        fctx = FieldContext(is_new=True, now=self._clock.now())
        for f in c.fields:
            record[f.name] = f.on_save(record[f.name], fctx)
        errors.update(await prepare_auth_record(c, record, data, None, ctx, self._hasher))
        errors.update(await hash_password_fields(c, record, data, None, self._hasher))
        errors = {**validate_record(c, record, fctx, skip=set(errors)), **errors}
        if errors:
            raise ValidationError(_CREATE_FAILED, errors)
        if c.rule("createRule") is None:
            raise ForbiddenError("Only superusers can perform this action.")
        return record

    async def insert(
        self,
        tx: Transaction,
        ctx: RequestContext,
        c: Collection,
        record: dict[str, Any],
        user: OAuth2User,
    ) -> None:
        """Store the record if its relations exist and the createRule lets it in, then
        mark it verified when the provider vouches for its email."""
        errors = await check_relations(tx, self._schema, c, record)
        if errors:
            raise ValidationError(_CREATE_FAILED, errors)
        await tx.insert_record(c, record)
        rule = c.rule("createRule")
        if rule:
            plan = self._access.rule(c, rule, ctx)
            query = RecordQuery(
                c, [plan], ids=[record["id"]], limit=1, bind=self._access.bind([plan], ctx)
            )
            if await tx.count(query) == 0:
                raise ValidationError(_CREATE_FAILED)
        if record.get("email") and record["email"] == user.verified_email:
            record["verified"] = True
            await tx.update_record(c, record["id"], record)
