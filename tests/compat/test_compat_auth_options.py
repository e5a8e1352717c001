"""An auth collection's token, ``otp`` and ``passwordAuth`` options against the real
PocketBase: what is refused, with which error, and what is kept."""

from __future__ import annotations

from typing import Any

import pytest
from _targets import Target, both, unique

pytestmark = pytest.mark.compat

REFUSED = [
    ({"otp": {"enabled": True, "duration": 0, "length": 8}}, "an OTP lasting 0 seconds"),
    ({"otp": {"enabled": True, "duration": 5, "length": 8}}, "an OTP lasting 5 seconds"),
    ({"otp": {"enabled": True, "duration": 100000}}, "an OTP lasting more than a day"),
    ({"otp": {"enabled": True, "length": 0}}, "an OTP of no digits"),
    ({"otp": {"enabled": True, "length": 3}}, "an OTP of 3 digits"),
    ({"otp": {"enabled": True, "duration": "abc"}}, "an OTP duration of text"),
    ({"otp": {"enabled": "yes"}}, "an OTP switch of text"),
    ({"otp": 5}, "an OTP option that is no object"),
    ({"authToken": {"duration": 0}}, "a token lasting 0 seconds"),
    ({"authToken": {"duration": 5}}, "a token lasting 5 seconds"),
    ({"authToken": {"duration": -5}}, "a negative token lifetime"),
    ({"authToken": {"duration": 94670857}}, "a token lasting over three years"),
    ({"authToken": {"duration": 100.5}}, "a fractional token lifetime"),
    ({"authToken": {"secret": "short"}}, "a short token secret"),
    ({"authToken": {"secret": "a" * 256}}, "a token secret of 256 characters"),
    ({"authToken": {"secret": ""}}, "an empty token secret"),
    ({"fileToken": {"duration": 0}}, "a file token lasting 0 seconds"),
    ({"verificationToken": {"duration": 5}}, "a verification token lasting 5 seconds"),
    ({"passwordAuth": {"enabled": True, "identityFields": []}}, "password sign-in by nothing"),
    (
        {"passwordAuth": {"enabled": True, "identityFields": ["nope"]}},
        "password sign-in by a missing field",
    ),
    (
        {
            "fields": [{"name": "name", "type": "text"}],
            "passwordAuth": {"enabled": True, "identityFields": ["name"]},
        },
        "password sign-in by a field without a unique index",
    ),
    ({"passwordAuth": {"identityFields": "email"}}, "identity fields that are no list"),
]


@pytest.mark.parametrize(("options", "why"), REFUSED, ids=[c[1] for c in REFUSED])
def test_refused_options(targets: tuple[Target, Target], options: dict[str, Any], why: str) -> None:
    both(targets, "POST", "/api/collections", json={"name": "opts", "type": "auth", **options})


def _created(targets: tuple[Target, Target], **options: Any) -> tuple[dict[str, Any], ...]:
    name = unique("opts")
    answers = []
    for t in targets:
        r = t.client.post(
            "/api/collections", headers=t.su(), json={"name": name, "type": "auth", **options}
        )
        assert r.status_code == 200, r.text
        answers.append(r.json())
    return tuple(answers)


ACCEPTED = [
    ({"otp": {"enabled": False, "duration": 0, "length": 0}}, "otp"),
    ({"otp": {"enabled": True, "duration": 180, "length": 100}}, "otp"),
    ({"authToken": {"duration": 94670856}}, "authToken"),
    ({"authToken": {"secret": "a" * 30}}, "authToken"),
    ({"passwordAuth": {"enabled": False, "identityFields": []}}, "passwordAuth"),
]


@pytest.mark.parametrize(("options", "key"), ACCEPTED)
def test_accepted_options_are_kept(
    targets: tuple[Target, Target], options: dict[str, Any], key: str
) -> None:
    pb, br = _created(targets, **options)
    # the mail templates' wording is Backroom's own (see the mail docs)
    assert {k: v for k, v in br[key].items() if k != "emailTemplate"} == {
        k: v for k, v in pb[key].items() if k != "emailTemplate"
    }


def test_a_unique_field_may_name_the_account(targets: tuple[Target, Target]) -> None:
    name = unique("opts")
    body = {
        "name": name,
        "type": "auth",
        "fields": [{"name": "username", "type": "text"}],
        "indexes": [f"CREATE UNIQUE INDEX idx_un_{name} ON {name} (username)"],
        "passwordAuth": {"enabled": True, "identityFields": ["email", "username"]},
    }
    pb, br = (t.client.post("/api/collections", headers=t.su(), json=body) for t in targets)
    assert (pb.status_code, br.status_code) == (200, 200), (pb.text, br.text)
    assert br.json()["passwordAuth"] == pb.json()["passwordAuth"]


def test_an_update_is_checked_and_an_unchanged_secret_is_not(
    targets: tuple[Target, Target],
) -> None:
    pb, _ = _created(targets)
    path = f"/api/collections/{pb['name']}"
    both(targets, "PATCH", path, json={"otp": {"enabled": True, "duration": 0}})
    both(targets, "PATCH", path, json={"authToken": {"duration": 0}})
    both(targets, "PATCH", "/api/collections/_superusers", json={"authToken": {"duration": 3}})
    for body, key in (
        ({"otp": {"enabled": True}}, "otp"),
        ({"authToken": {"duration": 3600}}, "authToken"),
    ):
        answers = [t.client.patch(path, headers=t.su(), json=body) for t in targets]
        assert [a.status_code for a in answers] == [200, 200], [a.text for a in answers]
        pb_option, br_option = (a.json()[key] for a in answers)
        pb_option.pop("emailTemplate", None)
        br_option.pop("emailTemplate", None)
        assert br_option == pb_option
