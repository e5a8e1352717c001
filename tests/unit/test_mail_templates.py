from __future__ import annotations

from backroom.core.collections.system import users_collection
from backroom.core.mail.messages import build_mail
from backroom.core.mail.templates import html_to_text, render

META = {
    "appName": "A&B",
    "appURL": "http://x.test/",
    "senderName": "S",
    "senderAddress": "s@x.test",
}


def test_render_escapes_only_in_html_and_is_one_pass() -> None:
    values = {"{APP_NAME}": "<b>{TOKEN}</b>", "{TOKEN}": "t"}
    assert render("{APP_NAME} {TOKEN}", values, escape=True) == "&lt;b&gt;{TOKEN}&lt;/b&gt; t"
    assert render("{APP_NAME} {UNKNOWN}", values, escape=False) == "<b>{TOKEN}</b> {UNKNOWN}"


def test_html_to_text_keeps_link_targets() -> None:
    text = html_to_text(
        '<p>Hello,</p><p>Click <a href="http://x/y">here</a>.</p><style>p{}</style>'
    )
    assert text == "Hello,\n\nClick here (http://x/y)."


def test_build_mail_fills_every_placeholder_and_hides_hidden_fields() -> None:
    c = users_collection("2024-01-01 00:00:00.000Z")
    c.options["verificationTemplate"] = {
        "subject": "{APP_NAME}: {RECORD:name}",
        "body": "{APP_URL}/{TOKEN} {RECORD:email} [{RECORD:tokenKey}] [{RECORD:password}]",
    }
    record = {"id": "r1", "email": "u@x.test", "name": "N", "tokenKey": "K", "password": "P"}
    mail = build_mail("verification", c, record, META, "u@x.test", {"{TOKEN}": "T"})
    assert mail.subject == "A&B: N"
    assert mail.html == "http://x.test/T u@x.test [{RECORD:tokenKey}] [{RECORD:password}]"
    assert mail.sender == ("S", "s@x.test")
    assert mail.to == ("u@x.test",)


def test_the_default_templates_link_to_the_confirm_pages() -> None:
    c = users_collection("2024-01-01 00:00:00.000Z")
    record = {"id": "r1", "email": "u@x.test"}
    for kind, action in [
        ("verification", "confirm-verification"),
        ("password-reset", "confirm-password-reset"),
        ("email-change", "confirm-email-change"),
    ]:
        mail = build_mail(kind, c, record, META, "u@x.test", {"{TOKEN}": "T"})
        assert f'href="http://x.test/_/#/auth/{action}/T"' in mail.html
        assert "A&amp;B" in mail.html
