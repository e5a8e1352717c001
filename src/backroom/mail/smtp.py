"""SmtpMailer: mail through the SMTP server the settings name, with aiosmtplib."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from email.message import EmailMessage
from email.utils import formataddr, make_msgid
from typing import Any

import aiosmtplib

from backroom.core.ports import MailError, MailMessage

__all__ = ["SmtpMailer", "to_email_message"]

log = logging.getLogger("backroom.mail")

_TIMEOUT = 30.0


def to_email_message(message: MailMessage) -> EmailMessage:
    mail = EmailMessage()
    mail["From"] = formataddr(message.sender)
    mail["To"] = ", ".join(message.to)
    mail["Subject"] = message.subject
    mail["Message-ID"] = make_msgid(domain=message.sender[1].rpartition("@")[2] or None)
    mail.set_content(message.text or message.subject)
    mail.add_alternative(message.html, subtype="html")
    return mail


class SmtpMailer:
    """Connects for every mail with the SMTP settings in force at that moment.

    ``tls`` means implicit TLS (port 465 style); otherwise STARTTLS is used whenever the
    server offers it. ``authMethod`` PLAIN or LOGIN picks that mechanism; empty lets the
    client choose among the server's."""

    def __init__(self, smtp_settings: Callable[[], Mapping[str, Any]]) -> None:
        self._settings = smtp_settings

    async def send(self, message: MailMessage) -> None:
        smtp = self._settings()
        if not smtp.get("enabled"):
            raise MailError("SMTP is not enabled in the settings; the mail was not sent")
        client = aiosmtplib.SMTP(
            hostname=str(smtp.get("host", "")),
            port=int(smtp.get("port") or 0) or None,
            local_hostname=str(smtp.get("localName") or "") or None,
            use_tls=bool(smtp.get("tls")),
            timeout=_TIMEOUT,
        )
        try:
            async with client:
                await self._login(client, smtp)
                await client.send_message(to_email_message(message))
        except (aiosmtplib.SMTPException, OSError) as err:
            raise MailError(f"{type(err).__name__}: {err}") from err

    @staticmethod
    async def _login(client: aiosmtplib.SMTP, smtp: Mapping[str, Any]) -> None:
        username = str(smtp.get("username") or "")
        if not username:
            return
        password = str(smtp.get("password") or "")
        method = str(smtp.get("authMethod") or "").upper()
        if method == "PLAIN":
            await client.auth_plain(username, password)
        elif method == "LOGIN":
            await client.auth_login(username, password)
        else:
            await client.login(username, password)
