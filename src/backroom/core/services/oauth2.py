"""Sign in with an OAuth2/OIDC provider: ``auth-with-oauth2``.

The provider's user is found by its link (collection, provider, provider user id), never
by email alone; an email links to an existing account only when the provider vouches
for it. Taking over an unverified account that holds that email replaces its password
and token key and drops every earlier link (rows O1 and O2 of the bad-input table).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from backroom.core.auth.oauth2_options import ProviderConfig, oauth2_options, provider_config
from backroom.core.auth.oauth2_port import (
    AccountNotices,
    OAuth2Client,
    OAuth2TokenError,
    OAuth2UserError,
)
from backroom.core.auth.oauth2_user import OAuth2User
from backroom.core.collections.model import Collection, Schema
from backroom.core.context import RequestContext
from backroom.core.fields.base import FieldContext
from backroom.core.ports import Clock, Hasher, Storage, Transaction, UniqueViolation
from backroom.core.services.access import Access
from backroom.core.services.auth import AuthService
from backroom.core.services.auth_origins import forget_origins
from backroom.core.services.external_auths import ExternalAuths
from backroom.core.services.oauth2_signup import OAuth2Signup, random_password
from backroom.core.services.pending_sign_ins import end_pending_sign_ins
from backroom.core.services.secrets import new_token_key
from backroom.errors import (
    BadRequestError,
    ErrorDetail,
    ForbiddenError,
    NotFoundError,
    ValidationError,
)

__all__ = ["OAuth2Service"]

_LOAD_FAILED = "An error occurred while loading the submitted data."
_FAILED = "Failed to authenticate."
_REQUIRED = ErrorDetail("validation_required", "Cannot be blank.")
_MAX_PROVIDER_NAME = 100


@dataclass(frozen=True, slots=True)
class _Takeover:
    password_hash: str
    links: list[dict[str, Any]]


@dataclass(frozen=True, slots=True)
class _Form:
    provider: ProviderConfig
    code: str
    code_verifier: str
    redirect_url: str
    create_data: Mapping[str, Any]


def _parse_form(c: Collection, body: Mapping[str, Any]) -> _Form:
    texts = {}
    for key in ("provider", "code", "codeVerifier", "redirectURL", "redirectUrl"):
        value = body.get(key)
        if value is not None and not isinstance(value, str):
            raise BadRequestError(_LOAD_FAILED)
        texts[key] = value or ""
    create_data = body.get("createData")
    if create_data is not None and not isinstance(create_data, Mapping):
        raise BadRequestError(_LOAD_FAILED)
    errors: dict[str, ErrorDetail] = {}
    name = texts["provider"]
    config = provider_config(c, name) if name else None
    if not name:
        errors["provider"] = _REQUIRED
    elif len(name) > _MAX_PROVIDER_NAME:
        errors["provider"] = ErrorDetail(
            "validation_length_too_long", "The length must be no more than 100."
        )
    elif config is None:
        errors["provider"] = ErrorDetail(
            "validation_invalid_provider",
            f"Provider with name {name} is missing or is not enabled.",
            {"name": name},
        )
    if not texts["code"]:
        errors["code"] = _REQUIRED
    if errors:
        raise ValidationError(_LOAD_FAILED, errors)
    assert config is not None
    return _Form(
        provider=config,
        code=texts["code"],
        code_verifier=texts["codeVerifier"],
        redirect_url=texts["redirectURL"] or texts["redirectUrl"],
        create_data=dict(create_data or {}),
    )


class OAuth2Service:
    def __init__(
        self,
        schema: Schema,
        storage: Storage,
        clock: Clock,
        hasher: Hasher,
        access: Access,
        auth: AuthService,
        client: OAuth2Client,
        notices: AccountNotices,
    ) -> None:
        self._schema = schema
        self._storage = storage
        self._clock = clock
        self._hasher = hasher
        self._access = access
        self._auth = auth
        self.client = client
        self.notices = notices
        self.links = ExternalAuths(schema, storage, access, clock)
        self._signup = OAuth2Signup(schema, storage, hasher, access, clock)

    def auth_collection(self, name: str) -> Collection:
        c = self._schema.get(name)
        if c is None:
            raise NotFoundError("Missing or invalid collection context.")
        if not c.is_auth:
            raise NotFoundError("Missing or invalid auth collection context.")
        return c

    async def _fetch_user(self, form: _Form) -> OAuth2User:
        try:
            user = await self.client.fetch_user(
                form.provider, form.code, form.code_verifier, form.redirect_url
            )
        except OAuth2TokenError:
            raise BadRequestError("Failed to fetch OAuth2 token.") from None
        except OAuth2UserError:
            raise BadRequestError("Failed to fetch OAuth2 user.") from None
        if not user.id:
            raise BadRequestError("Failed to fetch OAuth2 user.")
        return user

    async def auth_with_oauth2(
        self, ctx: RequestContext, name: str, body: Mapping[str, Any]
    ) -> dict[str, Any]:
        c = self.auth_collection(name)
        if not oauth2_options(c).get("enabled"):
            raise ForbiddenError("The collection is not configured to allow OAuth2 authentication.")
        form = _parse_form(c, body)
        user = await self._fetch_user(form)
        provider = form.provider.name
        link = await self.links.find(c, provider, user.id)
        record: dict[str, Any] | None = None
        stale: list[dict[str, Any]] = []
        if link is not None:
            found = await self._storage.get_records(c, [str(link["recordRef"])])
            record = dict(found[0]) if found else None
            if record is None:  # its record is gone: the link means nothing any more
                stale, link = [link], None
        signed_in = ctx.auth is not None and ctx.auth.collection_id == c.id
        if record is None and signed_in:
            assert ctx.auth is not None
            record = dict(ctx.auth.record)
        elif record is None and user.verified_email:
            found_by_email = await self._storage.find_by_field(c, "email", user.verified_email)
            record = dict(found_by_email) if found_by_email is not None else None
        is_new = record is None
        oauth_ctx = RequestContext(
            auth=ctx.auth,
            method=ctx.method,
            headers=ctx.headers,
            query=ctx.query,
            body=form.create_data,
            context="oauth2",
            client_ip=ctx.client_ip,
        )
        takeover: _Takeover | None = None
        if record is None:
            payload = await self._signup.payload(c, user, form.create_data)
            record = await self._signup.build(oauth_ctx, c, payload)
        else:
            is_own = signed_in and ctx.auth is not None and ctx.auth.id == record["id"]
            if not is_own and record.get("email") and not record.get("verified"):
                takeover = await self._takeover(c, record, drop_links=link is None)
        try:
            async with self._storage.transaction() as tx:
                await self.links.remove(tx, stale)
                if is_new:
                    await self._signup.insert(tx, oauth_ctx, c, record, user)
                else:
                    await self._claim(tx, c, record, user, takeover)
                if link is None:
                    await self.links.add(tx, c, str(record["id"]), provider, user.id)
        except UniqueViolation:
            raise BadRequestError(_FAILED) from None
        if takeover is not None:
            await self.notices.unverified_account_taken_over(ctx, c, record, provider)
        answer = await self._auth.signed_in(ctx, c, record, "oauth2")
        return {**answer, "meta": user.meta(is_new)}

    async def _takeover(self, c: Collection, record: dict[str, Any], drop_links: bool) -> _Takeover:
        """What ends when an unverified account is claimed: whoever registered its email
        may not own it, so their password, sessions and (on a sign-in through the email)
        provider links go."""
        earlier = await self.links.of_record(c, str(record["id"])) if drop_links else []
        return _Takeover(await self._hasher.hash(random_password()), earlier)

    async def _claim(
        self,
        tx: Transaction,
        c: Collection,
        record: dict[str, Any],
        user: OAuth2User,
        takeover: _Takeover | None,
    ) -> None:
        """Bring an existing account up to date with the provider's word on its email."""
        changed = False
        if takeover is not None:
            record["password"] = takeover.password_hash
            record["tokenKey"] = new_token_key()
            await self.links.remove(tx, takeover.links)
            await forget_origins(tx, self._schema, c, str(record["id"]))
            await end_pending_sign_ins(tx, self._schema, c, str(record["id"]))
            changed = True
        email = str(record.get("email") or "")
        if not email and user.verified_email:
            record["email"] = email = user.verified_email
            record["tokenKey"] = new_token_key()
            changed = True
        if not record.get("verified") and email and email == user.verified_email:
            record["verified"] = True
            changed = True
        if changed:
            fctx = FieldContext(is_new=False, now=self._clock.now(), old=dict(record))
            for f in c.fields:
                if f.type == "autodate":
                    record[f.name] = f.on_save(record.get(f.name), fctx)
            await tx.update_record(c, str(record["id"]), record)
