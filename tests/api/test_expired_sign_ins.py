"""The purge of expired ``_mfas`` and ``_otps`` rows, driven by a clock the test moves, and
the periodic task the app runs it in."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from backroom.core.clock import format_datetime
from backroom.core.services.expired_sign_ins import ExpiredSignIns
from backroom.periodic import PeriodicTask
from backroom.testing import TestApp, running_app
from backroom.testing.smtp import MailCatcher

PASSWORD = "s3cret-pw-1"


class _Clock:
    def __init__(self) -> None:
        self.offset = timedelta()

    def now_dt(self) -> datetime:
        return datetime.now(UTC) + self.offset

    def now(self) -> str:
        return format_datetime(self.now_dt())


@pytest.fixture
async def app(tmp_path: Path, smtp: MailCatcher) -> AsyncIterator[TestApp]:
    async with running_app(tmp_path / "br_data") as test_app:
        await test_app.login()
        r = await test_app.client.patch(
            "/api/settings", headers=test_app.su(), json={"smtp": smtp.settings()}
        )
        assert r.status_code == 200
        yield test_app


async def _auth_collection(app: TestApp, name: str, **options: object) -> None:
    body = {"name": name, "type": "auth", "otp": {"enabled": True}, "mfa": {"enabled": True}}
    r = await app.client.post("/api/collections", headers=app.su(), json={**body, **options})
    assert r.status_code == 200, r.text
    user = {"email": f"u@{name}.example.com", "password": PASSWORD, "passwordConfirm": PASSWORD}
    r = await app.client.post(f"/api/collections/{name}/records", headers=app.su(), json=user)
    assert r.status_code == 200, r.text


async def _start_sign_ins(app: TestApp, smtp: MailCatcher, name: str) -> None:
    """One pending first sign-in and one mailed code."""
    email = f"u@{name}.example.com"
    r = await app.client.post(
        f"/api/collections/{name}/auth-with-password",
        json={"identity": email, "password": PASSWORD},
    )
    assert r.status_code == 401, r.text
    r = await app.client.post(f"/api/collections/{name}/request-otp", json={"email": email})
    assert r.status_code == 200
    await smtp.next_mail(email)


async def _rows(app: TestApp, table: str) -> list[str]:
    r = await app.client.get(
        f"/api/collections/{table}/records", headers=app.su(), params={"perPage": 1000}
    )
    return sorted(item["collectionRef"] for item in r.json()["items"])


def _purge(app: TestApp, clock: _Clock) -> ExpiredSignIns:
    b = app.backroom
    return ExpiredSignIns(b.schema, b.storage, b.access, clock)


async def test_rows_go_when_their_collections_durations_pass(
    app: TestApp, smtp: MailCatcher
) -> None:
    await _auth_collection(app, "slow")
    await _auth_collection(app, "quick", mfa={"enabled": True, "duration": 60})
    for name in ("slow", "quick"):
        await _start_sign_ins(app, smtp, name)
    ids = {c.name: c.id for c in app.backroom.schema if c.name in {"slow", "quick"}}
    clock = _Clock()
    purge = _purge(app, clock)
    assert await purge.purge() == 0
    clock.offset = timedelta(seconds=61)
    assert await purge.purge() == 1
    assert await _rows(app, "_mfas") == [ids["slow"]]
    assert await _rows(app, "_otps") == sorted(ids.values())
    clock.offset = timedelta(seconds=181)
    assert await purge.purge() == 2
    assert await _rows(app, "_otps") == []
    assert await _rows(app, "_mfas") == [ids["slow"]]
    clock.offset = timedelta(seconds=601)
    assert await purge.purge() == 1
    assert await _rows(app, "_mfas") == []


async def test_rows_of_no_auth_collection_go_after_a_day(app: TestApp) -> None:
    mfas = app.backroom.schema.get("_mfas")
    assert mfas is not None
    now = format_datetime(datetime.now(UTC))
    row = {
        "id": "orphan000000000",
        "collectionRef": "pbc_0000000000",
        "recordRef": "r",
        "method": "password",
        "created": now,
        "updated": now,
    }
    async with app.backroom.storage.transaction() as tx:
        await tx.insert_record(mfas, row)
    clock = _Clock()
    purge = _purge(app, clock)
    clock.offset = timedelta(hours=23)
    assert await purge.purge() == 0
    clock.offset = timedelta(hours=24, seconds=1)
    assert await purge.purge() == 1
    assert await _rows(app, "_mfas") == []


@pytest.mark.parametrize("action", ["delete", "truncate"])
async def test_a_deleted_or_emptied_collection_takes_its_rows(
    app: TestApp, smtp: MailCatcher, action: str
) -> None:
    await _auth_collection(app, "emptied")
    await _auth_collection(app, "kept")
    for name in ("emptied", "kept"):
        await _start_sign_ins(app, smtp, name)
    kept = next(c.id for c in app.backroom.schema if c.name == "kept")
    path = "/api/collections/emptied" + ("/truncate" if action == "truncate" else "")
    r = await app.client.delete(path, headers=app.su())
    assert r.status_code == 204, r.text
    assert await _rows(app, "_mfas") == await _rows(app, "_otps") == [kept]


async def test_many_rows_go_in_batches(app: TestApp) -> None:
    mfas = app.backroom.schema.get("_mfas")
    assert mfas is not None
    old = "2020-01-01 00:00:00.000Z"
    async with app.backroom.storage.transaction() as tx:
        for i in range(1201):
            row = {
                "id": f"{i:015d}",
                "collectionRef": "_pb_users_auth_",
                "recordRef": "r",
                "method": "password",
                "created": old,
                "updated": old,
            }
            await tx.insert_record(mfas, row)
    assert await _purge(app, _Clock()).purge() == 1201
    assert await _rows(app, "_mfas") == []


async def test_the_app_runs_the_purge_until_it_stops(tmp_path: Path) -> None:
    async with running_app(tmp_path / "br_data") as test_app:
        task = test_app.backroom.purge_task
        assert task.running
    assert not task.running


class _Ticks:
    """A ``sleep`` for ``PeriodicTask`` that returns when the test says so."""

    def __init__(self) -> None:
        self._queue: asyncio.Queue[None] = asyncio.Queue()

    async def sleep(self, seconds: float) -> None:
        assert seconds == 3600
        await self._queue.get()

    def tick(self) -> None:
        self._queue.put_nowait(None)


async def test_a_periodic_task_runs_on_every_tick_and_survives_a_failure(
    caplog: pytest.LogCaptureFixture,
) -> None:
    runs: asyncio.Queue[int] = asyncio.Queue()
    count = 0

    async def job() -> None:
        nonlocal count
        count += 1
        await runs.put(count)
        if count == 2:
            raise RuntimeError("the database is away")

    ticks = _Ticks()
    task = PeriodicTask("test job", job, 3600, sleep=ticks.sleep)
    task.start()
    assert runs.empty()
    with caplog.at_level(logging.ERROR, logger="backroom"):
        for expected in (1, 2, 3):
            ticks.tick()
            assert await asyncio.wait_for(runs.get(), 5) == expected
    assert "test job failed" in caplog.text
    await task.stop()
    assert not task.running
    await task.stop()  # stopping twice is harmless
