"""``/api/oauth2-redirect``: the provider sends the browser back here, and the code goes on
to the browser tab that is waiting for it over realtime (PocketBase's ``@oauth2`` topic,
where the OAuth2 ``state`` is that tab's realtime client id).
"""

from __future__ import annotations

from backroom.core.auth.oauth2_port import OAuth2Redirects

__all__ = ["REDIRECT_FAILURE", "REDIRECT_SUCCESS", "forward_redirect"]

REDIRECT_FAILURE = "../_/#/auth/oauth2-redirect-failure"
REDIRECT_SUCCESS = "../_/#/auth/oauth2-redirect-success"


async def forward_redirect(redirects: OAuth2Redirects, state: str, code: str, error: str) -> str:
    """Hand the redirect to its waiting client; the page the browser goes to next."""
    if not state:
        return REDIRECT_FAILURE
    message = {"state": state, "code": code}
    if error:
        message["error"] = error
    if not await redirects.deliver(state, message):
        return REDIRECT_FAILURE
    return REDIRECT_FAILURE if error or not code else REDIRECT_SUCCESS
