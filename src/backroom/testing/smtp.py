"""A real SMTP server for tests: aiosmtpd on a free local port, keeping every mail it gets.

with MailCatcher() as smtp:
    ...  # point the app's smtp settings at smtp.host / smtp.port
    mail = await smtp.next_mail(to="a@example.com")
"""

from __future__ import annotations

import asyncio
import threading
from dataclasses import dataclass
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP as SMTPServer
from aiosmtpd.smtp import AuthResult, Envelope, LoginPassword, Session

from backroom.testing.ports import free_port

__all__ = ["MailCatcher", "ReceivedMail"]


@dataclass(frozen=True)
class ReceivedMail:
    sender: str
    recipients: tuple[str, ...]
    message: EmailMessage
    login: str

    @property
    def subject(self) -> str:
        return str(self.message["Subject"])

    def part(self, subtype: str) -> str:
        body = self.message.get_body(preferencelist=(subtype,))
        return "" if body is None else str(body.get_content())

    @property
    def html(self) -> str:
        return self.part("html")

    @property
    def text(self) -> str:
        return self.part("plain")


class MailCatcher:
    """Accepts every mail; with ``credentials`` set, requires AUTH with them."""

    def __init__(self, credentials: tuple[str, str] | None = None) -> None:
        self.host = "127.0.0.1"
        self.port = free_port()
        self.mails: list[ReceivedMail] = []
        self._credentials = credentials
        self._changed = threading.Condition()
        kwargs: dict[str, Any] = {}
        if credentials is not None:
            kwargs = {"authenticator": self._authenticate, "auth_require_tls": False}
        self._controller = Controller(self, hostname=self.host, port=self.port, **kwargs)

    def _authenticate(
        self, server: SMTPServer, session: Session, envelope: Envelope, mechanism: str, data: Any
    ) -> AuthResult:
        if not isinstance(data, LoginPassword) or self._credentials is None:
            return AuthResult(success=False)
        given = (data.login.decode(), data.password.decode())
        return AuthResult(success=given == self._credentials, handled=False, auth_data=data)

    async def handle_DATA(self, server: SMTPServer, session: Session, envelope: Envelope) -> str:
        raw = envelope.original_content or envelope.content or b""
        if isinstance(raw, str):
            raw = raw.encode()
        message = message_from_bytes(raw, policy=policy.default)
        assert isinstance(message, EmailMessage)
        auth = session.auth_data
        login = auth.login.decode() if isinstance(auth, LoginPassword) else ""
        mail = ReceivedMail(
            sender=str(envelope.mail_from),
            recipients=tuple(envelope.rcpt_tos),
            message=message,
            login=login,
        )
        with self._changed:
            self.mails.append(mail)
            self._changed.notify_all()
        return "250 Message accepted for delivery"

    def __enter__(self) -> MailCatcher:
        self._controller.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._controller.stop()

    def settings(self, **extra: Any) -> dict[str, Any]:
        """The ``smtp`` section of the app settings that sends mail here."""
        return {"enabled": True, "host": self.host, "port": self.port, "tls": False, **extra}

    def sent_to(self, address: str) -> list[ReceivedMail]:
        with self._changed:
            return [m for m in self.mails if address in m.recipients]

    def _matching(self, to: str, containing: str) -> list[ReceivedMail]:
        return [
            m
            for m in self.mails
            if to in m.recipients and (not containing or containing in m.html + m.text)
        ]

    def wait_for(
        self, to: str, count: int = 1, timeout: float = 10.0, containing: str = ""
    ) -> list[ReceivedMail]:
        """Block until ``count`` mails to ``to`` (with ``containing`` in their body, when
        given) have arrived; AssertionError after ``timeout`` seconds."""
        with self._changed:
            ok = self._changed.wait_for(
                lambda: len(self._matching(to, containing)) >= count, timeout
            )
            mails = self._matching(to, containing)
        assert ok, f"expected {count} mail(s) to {to}, got {len(mails)}"
        return mails

    async def next_mail(self, to: str, count: int = 1, timeout: float = 10.0) -> ReceivedMail:
        """The ``count``-th mail to ``to``, waiting for it off the event loop."""
        mails = await asyncio.to_thread(self.wait_for, to, count, timeout)
        return mails[count - 1]
