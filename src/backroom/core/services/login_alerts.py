"""The login-alert mail (a collection's ``authAlert`` template) and what it says about
where a sign-in came from.

A sign-in's origin is the client address and its user agent, as PocketBase keeps it: the
user agent cut to 200 bytes (and ``...``), the fingerprint the MD5 hex of the address
followed by that user agent, and the ``{ALERT_INFO}`` placeholder ``<time> - <address>
<user agent>``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from backroom.core.collections.model import Collection
from backroom.core.context import RequestContext
from backroom.core.mail.messages import build_mail
from backroom.core.ports import Clock

if TYPE_CHECKING:  # the mail service depends on the record services, which forget origins
    from backroom.core.services.mail import MailService

__all__ = [
    "MAX_USER_AGENT",
    "LoginAlerts",
    "Origin",
    "alerts_enabled",
    "origin_of",
]

MAX_USER_AGENT = 200


def alerts_enabled(c: Collection) -> bool:
    """Whether the collection keeps its records' origins and sends login alerts."""
    options = c.options.get("authAlert")
    return c.is_auth and isinstance(options, Mapping) and bool(options.get("enabled"))


def _wire_bytes(text: str) -> bytes:
    """A header's bytes as they came (HTTP header values are read as latin-1)."""
    try:
        return text.encode("latin-1")
    except UnicodeEncodeError:
        return text.encode()


class Origin:
    """Where one request came from: its client address and its user agent."""

    __slots__ = ("agent", "ip")

    def __init__(self, ip: str, agent: bytes) -> None:
        self.ip = ip
        self.agent = agent

    @property
    def fingerprint(self) -> str:
        return hashlib.md5(self.ip.encode() + self.agent, usedforsecurity=False).hexdigest()

    def describe(self, when: str) -> str:
        return f"{when} - {self.ip} {self.agent.decode('utf-8', 'replace')}"


def origin_of(ctx: RequestContext) -> Origin:
    headers = ctx.headers
    agent = _wire_bytes(headers.get("user-agent") or headers.get("User-Agent") or "")
    if len(agent) > MAX_USER_AGENT:
        agent = agent[:MAX_USER_AGENT] + b"..."
    return Origin(ctx.client_ip, agent)


class LoginAlerts:
    """Sends the login-alert mail off the request path."""

    def __init__(self, mail: MailService, clock: Clock) -> None:
        self._mail = mail
        self._clock = clock

    def send(self, c: Collection, record: Mapping[str, Any], info: str) -> None:
        """Mail ``record``'s owner the collection's alert with ``info`` as ``{ALERT_INFO}``;
        nothing for a record without an email."""
        email = str(record.get("email") or "")
        if not email:
            return
        snapshot = dict(record)

        async def job() -> None:
            extra = {"{ALERT_INFO}": info}
            message = build_mail("login-alert", c, snapshot, self._mail.meta, email, extra)
            await self._mail.send(message)

        self._mail.in_background(job, "login-alert")

    def new_location(self, c: Collection, record: Mapping[str, Any], origin: Origin) -> None:
        self.send(c, record, origin.describe(self._clock.now()))

    async def unverified_account_taken_over(
        self,
        ctx: RequestContext,
        collection: Collection,
        record: Mapping[str, Any],
        provider: str,
    ) -> None:
        """Row O1: tell the owner of the email that the account someone registered with it
        is theirs now, and that the password it had no longer works."""
        if not alerts_enabled(collection):
            return
        info = origin_of(ctx).describe(self._clock.now())
        self.send(
            collection,
            record,
            f"{info} (signed in with {provider}; the password this account had before its "
            "email was verified no longer works)",
        )
