"""What the OAuth2 flows need from outside the core: a client that talks to providers, a
way to hand a redirect to the browser tab waiting for it, and a notice when a sign-in
takes over an unverified account."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from backroom.core.auth.oauth2_options import ProviderConfig
from backroom.core.auth.oauth2_user import OAuth2User
from backroom.core.collections.model import Collection
from backroom.core.context import RequestContext

__all__ = [
    "AccountNotices",
    "NoAccountNotices",
    "OAuth2Client",
    "OAuth2Redirects",
    "OAuth2TokenError",
    "OAuth2UserError",
]


class OAuth2TokenError(Exception):
    """The provider refused the code exchange (a reused or wrong code, a wrong
    code_verifier, bad client credentials) or could not be reached."""


class OAuth2UserError(Exception):
    """The provider's user could not be fetched or read (a bad id_token included)."""


class OAuth2Client(Protocol):
    async def authorization_url(
        self, provider: ProviderConfig, state: str, code_challenge: str
    ) -> str:
        """The provider's consent page URL, ending in ``redirect_uri=`` for the client to
        complete, as PocketBase builds it."""
        ...

    async def fetch_user(
        self, provider: ProviderConfig, code: str, code_verifier: str, redirect_url: str
    ) -> OAuth2User:
        """Exchange ``code`` for tokens and read the provider's user; raises
        ``OAuth2TokenError`` or ``OAuth2UserError``."""
        ...


class OAuth2Redirects(Protocol):
    """The realtime clients waiting for an OAuth2 redirect (PocketBase's ``@oauth2``
    topic): the browser tab that opened the provider's popup subscribed with its
    realtime client id as the OAuth2 ``state``."""

    async def deliver(self, client_id: str, message: Mapping[str, str]) -> bool:
        """Send ``message`` (state, code, and error when there is one) to the client
        subscribed to ``@oauth2`` under ``client_id`` and end that subscription; False
        when there is no such client."""
        ...


class AccountNotices(Protocol):
    async def unverified_account_taken_over(
        self,
        ctx: RequestContext,
        collection: Collection,
        record: Mapping[str, Any],
        provider: str,
    ) -> None:
        """An OAuth2 sign-in (the request ``ctx``) with the account's email, vouched for by
        ``provider``, took over an unverified account: its password was replaced and other
        sign-in links removed. The mailer tells the owner."""
        ...


class NoAccountNotices:
    async def unverified_account_taken_over(
        self,
        ctx: RequestContext,
        collection: Collection,
        record: Mapping[str, Any],
        provider: str,
    ) -> None:
        return None
