"""Rate limiting in front of the routes: every request is counted against its rule.

A request's tags name its collection and action as PocketBase tags them (``users:create``,
``users:authWithPassword``, which also counts as ``users:auth``); path rules cover the rest.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from backroom.core.ratelimit import RateLimiter
from backroom.errors import TooManyRequestsError
from backroom.http.client_ip import CLIENT_IP, TrustedProxy, client_ip
from backroom.http.responses import error_response

__all__ = ["RateLimitMiddleware", "route_tags"]

Scope = MutableMapping[str, Any]

_RECORD_ACTIONS = {"GET": "list", "POST": "create"}
_ONE_RECORD_ACTIONS = {"GET": "view", "PATCH": "update", "DELETE": "delete"}
_AUTH_ACTIONS = {
    "auth-methods": "listAuthMethods",
    "auth-refresh": "authRefresh",
    "auth-with-password": "authWithPassword",
    "auth-with-oauth2": "authWithOAuth2",
    "auth-with-otp": "authWithOTP",
    "request-otp": "requestOTP",
    "request-password-reset": "requestPasswordReset",
    "confirm-password-reset": "confirmPasswordReset",
    "request-verification": "requestVerification",
    "confirm-verification": "confirmVerification",
    "request-email-change": "requestEmailChange",
    "confirm-email-change": "confirmEmailChange",
}


def _tags(collection: str, action: str) -> tuple[str, ...]:
    if action.startswith("authWith"):
        return (
            f"{collection}:{action}",
            f"{collection}:auth",
            f"*:{action}",
            "*:auth",
        )
    return (f"{collection}:{action}", f"*:{action}")


def route_tags(method: str, path: str) -> tuple[str, ...]:
    """The tags of a request, exact ones before wildcards; none for untagged routes."""
    parts = path.split("/")
    # "", "api", "collections", "<name>", "<what>", ...
    if len(parts) >= 5 and parts[1] == "api":
        if parts[2] == "collections":
            name, what = parts[3], parts[4]
            if what == "records":
                table = _RECORD_ACTIONS if len(parts) == 5 else _ONE_RECORD_ACTIONS
                action = table.get(method) if len(parts) <= 6 else None
            else:
                action = _AUTH_ACTIONS.get(what) if len(parts) == 5 else None
            return _tags(name, action) if action else ()
        if parts[2] == "files" and method in ("GET", "HEAD"):
            return _tags(parts[3], "file")
    return ()


class RateLimitMiddleware:
    """Answers 429 in PocketBase's error shape, before routing, once a rule's limit is hit."""

    def __init__(
        self,
        app: Any,
        limiter: RateLimiter,
        proxy: Callable[[], TrustedProxy],
        authed: Callable[[Scope], Awaitable[bool]],
    ) -> None:
        self.app = app
        self._limiter = limiter
        self._proxy = proxy
        self._authed = authed

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and self._limiter.enabled:
            method, path = scope["method"], scope["path"]
            ip = client_ip(scope, self._proxy())
            scope[CLIENT_IP] = ip
            # who is signed in matters only to rules for one audience; most books have none
            authed = await self._authed(scope) if self._limiter.needs_auth else False
            try:
                self._limiter.check(ip, route_tags(method, path), method, path, authed)
            except TooManyRequestsError as err:
                await error_response(err)(scope, receive, send)
                return
        await self.app(scope, receive, send)
