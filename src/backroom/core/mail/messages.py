"""The mails of the auth flows, built from a collection's templates and the meta settings."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from backroom.core.collections.model import Collection
from backroom.core.collections.system import default_auth_options
from backroom.core.mail.templates import html_to_text, record_placeholders, render
from backroom.core.ports import MailMessage

__all__ = ["TEMPLATE_OPTIONS", "build_mail"]

# mail kind -> where its template lives in the collection's options
TEMPLATE_OPTIONS: dict[str, tuple[str, ...]] = {
    "verification": ("verificationTemplate",),
    "password-reset": ("resetPasswordTemplate",),
    "email-change": ("confirmEmailChangeTemplate",),
    "otp": ("otp", "emailTemplate"),
    "login-alert": ("authAlert", "emailTemplate"),
}


def _template(c: Collection, kind: str) -> Mapping[str, Any]:
    path = TEMPLATE_OPTIONS[kind]
    for options in (c.options, default_auth_options()):
        node: Any = options
        for part in path:
            node = node.get(part) if isinstance(node, Mapping) else None
        if isinstance(node, Mapping) and node.get("body"):
            return node
    raise KeyError(kind)


def build_mail(
    kind: str,
    c: Collection,
    record: Mapping[str, Any],
    meta: Mapping[str, Any],
    to: str,
    extra: Mapping[str, str] | None = None,
) -> MailMessage:
    """The ``kind`` mail (a key of TEMPLATE_OPTIONS) about ``record``, addressed to ``to``;
    ``extra`` holds the flow's own placeholders such as ``{TOKEN}`` or ``{OTP}``."""
    template = _template(c, kind)
    hidden = {f.name for f in c.fields if getattr(f, "hidden", False)}
    values = {
        "{APP_NAME}": str(meta.get("appName", "")),
        "{APP_URL}": str(meta.get("appURL", "")).rstrip("/"),
        **record_placeholders(record, hidden),
        **(extra or {}),
    }
    subject = render(str(template.get("subject", "")), values, escape=False)
    body = render(str(template.get("body", "")), values, escape=True)
    return MailMessage(
        sender=(str(meta.get("senderName", "")), str(meta.get("senderAddress", ""))),
        to=(to,),
        subject=" ".join(subject.split()),
        html=body,
        text=html_to_text(body),
    )
