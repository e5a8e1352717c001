"""Authentication: password login and token verification for every auth collection."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from backroom.core.auth.passwords import MAX_PASSWORD_CHARS
from backroom.core.auth.sessions import SessionPolicy
from backroom.core.auth.tokens import (
    TOKEN_TYPE_AUTH,
    issue_token,
    read_claims_unverified,
    verify_token,
)
from backroom.core.collections.model import Collection, Schema
from backroom.core.context import AuthInfo, RequestContext
from backroom.core.ports import Hasher, Storage
from backroom.core.ratelimit import RateLimiter
from backroom.core.records.serialize import record_json
from backroom.core.services.access import Access, record_matches
from backroom.core.services.auth_origins import AuthOrigins
from backroom.core.services.mfa import MultiFactor
from backroom.core.services.rehash import upgrade_hash
from backroom.errors import BadRequestError, ErrorDetail, ForbiddenError, ValidationError

__all__ = ["AuthService"]

_FAILED = "Failed to authenticate."
_AUTH_RULE = "The request doesn't satisfy the collection requirements to authenticate."
_REQUIRED = ErrorDetail("validation_required", "Cannot be blank.")
_MAX_IDENTITY = 255


def _auth_option(c: Collection, name: str) -> Mapping[str, Any]:
    value = c.options.get(name)
    return value if isinstance(value, Mapping) else {}


def _out_of_range(high: int) -> ErrorDetail:
    return ErrorDetail(
        "validation_length_out_of_range",
        f"The length must be between 1 and {high}.",
        {"max": high, "min": 1},
    )


def _length_errors(identity: str, password: str) -> dict[str, ErrorDetail]:
    """PocketBase's bounds (identity 255, password 255); a Backroom password may be as long
    as a password field allows, so sign-in takes that many: refused before any hashing."""
    errors: dict[str, ErrorDetail] = {}
    if len(identity) > _MAX_IDENTITY:
        errors["identity"] = _out_of_range(_MAX_IDENTITY)
    if len(password) > MAX_PASSWORD_CHARS:
        errors["password"] = _out_of_range(MAX_PASSWORD_CHARS)
    return errors


class AuthService:
    def __init__(
        self,
        schema: Schema,
        storage: Storage,
        hasher: Hasher,
        access: Access,
        limiter: RateLimiter | None = None,
        session_max_age: int = 0,
        mfa: MultiFactor | None = None,
    ) -> None:
        self._schema = schema
        self._storage = storage
        self._hasher = hasher
        self._access = access
        self._limiter = limiter or RateLimiter()
        self._sessions = SessionPolicy(session_max_age)
        self._mfa = mfa
        self.origins: AuthOrigins | None = None  # set by the app once mail exists

    async def _check_auth_rule(
        self, c: Collection, record: Mapping[str, Any], ctx: RequestContext
    ) -> None:
        """The collection's authRule, checked against the record that just proved who it is
        (``@request.auth`` is that record); null refuses every login."""
        rule = c.rule("authRule")
        if rule == "":
            return
        if rule is not None and await record_matches(
            self._storage, self._access, c, rule, str(record["id"]), ctx
        ):
            return
        raise ForbiddenError(_AUTH_RULE)

    def _auth_collection(self, name: str) -> Collection:
        c = self._schema.get(name)
        if c is None or not c.is_auth:
            raise BadRequestError("Missing or invalid auth collection context.")
        return c

    def issue(
        self,
        c: Collection,
        record: Mapping[str, Any],
        *,
        duration: int = 0,
        refreshable: bool = True,
        auth_time: int | None = None,
    ) -> str:
        """An auth token for ``record``; ``duration`` 0 is the collection's token duration.
        ``auth_time`` is when the session began (now, for a new sign-in)."""
        token = _auth_option(c, "authToken")
        began = self._sessions.began(auth_time)
        return issue_token(
            record_id=str(record["id"]),
            collection_id=c.id,
            token_key=str(record.get("tokenKey", "")),
            secret=str(token.get("secret", "")),
            duration=duration or int(token.get("duration", 604800)),
            refreshable=refreshable,
            auth_time=began,
            expires_by=self._sessions.ends(began),
        )

    async def _find_by_identity(
        self, c: Collection, fields: list[str], identity: str
    ) -> dict[str, Any] | None:
        for name in fields:
            if c.field(name) is None:
                continue
            found = await self._storage.find_by_field(c, name, identity)
            if found is not None:
                return found
        return None

    async def auth_with_password(
        self, ctx: RequestContext, collection: str, body: Mapping[str, Any]
    ) -> dict[str, Any]:
        c = self._auth_collection(collection)
        options = _auth_option(c, "passwordAuth")
        if not options.get("enabled", True):
            raise ForbiddenError(
                "The collection is not configured to allow password authentication."
            )
        identity, password = body.get("identity"), body.get("password")
        if not all(isinstance(v, str | None) for v in (identity, password)):
            raise BadRequestError("An error occurred while loading the submitted data.")
        errors: dict[str, ErrorDetail] = {}
        if not isinstance(identity, str) or not identity:
            errors["identity"] = _REQUIRED
        if not isinstance(password, str) or not password:
            errors["password"] = _REQUIRED
        if errors:
            raise ValidationError(data=errors)
        assert isinstance(identity, str)
        assert isinstance(password, str)
        errors = _length_errors(identity, password)
        if errors:
            raise ValidationError(data=errors)
        fields = [str(f) for f in options.get("identityFields") or ["email"]]
        field = body.get("identityField")
        if isinstance(field, str) and field:
            if field not in fields:
                raise BadRequestError(_FAILED)
            fields = [field]
        account = f"{c.id}:{identity.lower()}"
        self._limiter.check_failures(account, ctx.client_ip)
        record = await self._find_by_identity(c, fields, identity)
        hashed = str(record.get("password", "")) if record else ""
        if not await self._hasher.verify(password, hashed) or record is None:
            self._limiter.count_failure(account, ctx.client_ip)
            raise BadRequestError(_FAILED)
        answer = await self.signed_in(ctx, c, record, "password")
        if self._hasher.needs_rehash(hashed):
            await upgrade_hash(self._storage, self._hasher, c, record, password)
        return answer

    async def signed_in(
        self, ctx: RequestContext, c: Collection, record: dict[str, Any], method: str
    ) -> dict[str, Any]:
        """The auth answer for a record that just proved who it is by ``method``
        (``password``, ``otp``, ``oauth2``), if the collection's authRule lets it in and
        no second sign-in is due (``MfaRequiredError`` then). ``ctx`` is the caller's."""
        out_ctx = RequestContext(
            auth=AuthInfo(c.id, c.name, record),
            method=ctx.method,
            headers=ctx.headers,
            query=ctx.query,
            body=ctx.body,
            context=method,
            client_ip=ctx.client_ip,
        )
        await self._check_auth_rule(c, record, out_ctx)
        if self._mfa is not None:
            await self._mfa.check(ctx, c, record, method)
        await self.record_origin(ctx, c, record)
        return {"token": self.issue(c, record), "record": record_json(c, record, out_ctx)}

    async def record_origin(
        self, ctx: RequestContext, c: Collection, record: Mapping[str, Any]
    ) -> None:
        """Note where a completed sign-in came from (``_authOrigins``, the login alert)."""
        if self.origins is not None:
            await self.origins.signed_in(ctx, c, record)

    async def refresh(self, ctx: RequestContext, c: Collection, token: str) -> dict[str, Any]:
        """A new token for the caller's own record, if the authRule still lets it in and the
        session is not over. A token that is not refreshable (impersonation) is answered
        unchanged, so it still ends at its own expiry."""
        assert ctx.auth is not None
        claims = read_claims_unverified(token) or {}
        refreshable = claims.get("refreshable") is True
        auth_time = self._sessions.check_refresh(claims.get("auth_time")) if refreshable else None
        record = dict(ctx.auth.record)
        await self._check_auth_rule(c, record, ctx)
        # as PocketBase: a token that may not be refreshed comes back as it is, unextended
        fresh = self.issue(c, record, auth_time=auth_time) if refreshable else token
        return {"token": fresh, "record": record_json(c, record, ctx)}

    async def authenticate(self, token: str) -> AuthInfo | None:
        """The record a bearer token belongs to, or None for any invalid token."""
        claims = read_claims_unverified(token)
        if claims is None or claims.get("type") != TOKEN_TYPE_AUTH:
            return None
        c = self._schema.get(str(claims.get("collectionId", "")))
        if c is None or not c.is_auth or c.id != claims.get("collectionId"):
            return None
        records = await self._storage.get_records(c, [str(claims.get("id", ""))])
        if not records:
            return None
        record = records[0]
        secret = str(_auth_option(c, "authToken").get("secret", ""))
        if not verify_token(
            token,
            token_key=str(record.get("tokenKey", "")),
            secret=secret,
            token_type=TOKEN_TYPE_AUTH,
            claims=claims,
        ):
            return None
        return AuthInfo(c.id, c.name, record)
