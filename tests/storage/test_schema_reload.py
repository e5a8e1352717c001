"""Reloading the collections or the settings from the database never undoes a change this
process made while the reload was reading."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from backroom.core.collections.model import Collection
from backroom.testing import running_app


async def test_a_reload_that_read_before_a_local_change_does_not_undo_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with running_app(tmp_path / "data") as app:
        await app.login()
        storage = app.backroom.storage
        real_load = storage.load_collections
        read_done = asyncio.Event()
        go_on = asyncio.Event()
        first = True

        async def slow_load() -> list[Collection]:
            nonlocal first
            found = await real_load()
            if first:  # the first read predates the change below
                first = False
                read_done.set()
                await go_on.wait()
            return found

        monkeypatch.setattr(storage, "load_collections", slow_load)
        reload = asyncio.ensure_future(app.backroom.reload_collections())
        await read_done.wait()
        body = {"name": "fresh", "fields": [{"name": "title", "type": "text"}]}
        created = await app.client.post("/api/collections", headers=app.su(), json=body)
        assert created.status_code == 200
        go_on.set()
        await reload
        assert app.backroom.schema.get("fresh") is not None
        listed = await app.client.get("/api/collections/fresh/records", headers=app.su())
        assert listed.status_code == 200


async def test_a_settings_reload_that_read_before_a_local_change_does_not_undo_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with running_app(tmp_path / "data") as app:
        await app.login()
        storage = app.backroom.raw_storage
        real_load = storage.load_param
        read_done = asyncio.Event()
        go_on = asyncio.Event()
        first = True

        async def slow_load(key: str) -> Any:
            nonlocal first
            found = await real_load(key)
            if first:
                first = False
                read_done.set()
                await go_on.wait()
            return found

        monkeypatch.setattr(storage, "load_param", slow_load)
        reload = asyncio.ensure_future(app.backroom.app_settings.load())
        await read_done.wait()
        patch = {"meta": {"appName": "Changed here"}}
        assert (await app.client.patch("/api/settings", headers=app.su(), json=patch)).is_success
        go_on.set()
        await reload
        assert app.backroom.app_settings.current["meta"]["appName"] == "Changed here"
