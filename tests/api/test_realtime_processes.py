"""Two Backroom processes on one database, their brokers linked as the cross-process brokers
link them: a write on one reaches the subscribers of the other, and an OAuth2 redirect
answered by one reaches the tab whose stream the other holds."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from test_realtime_delivery import events, titles

from backroom.testing import TestApp, running_app


@pytest.fixture
async def pair(tmp_path: Path) -> AsyncIterator[tuple[TestApp, TestApp]]:
    data = tmp_path / "br_data"
    async with running_app(data) as a:
        await a.login()
        r = await a.client.post(
            "/api/collections",
            headers=a.su(),
            json={
                "name": "notes",
                "listRule": "",
                "createRule": "",
                "fields": [{"name": "title", "type": "text"}],
            },
        )
        assert r.status_code == 200, r.text
        async with running_app(data) as b:
            brokers = [a.backroom.broker, b.backroom.broker]

            async def publish_everywhere(channel: str, payload: bytes) -> None:
                for broker in brokers:
                    broker.deliver(channel, payload)

            async def publish_counted(channel: str, payload: bytes) -> int:
                await publish_everywhere(channel, payload)
                return len(brokers)

            for broker in brokers:
                broker.publish = publish_everywhere  # type: ignore[method-assign]
                broker.publish_counted = publish_counted  # type: ignore[method-assign]
            yield a, b


async def test_a_write_on_one_process_reaches_subscribers_on_the_other(
    pair: tuple[TestApp, TestApp],
) -> None:
    a, b = pair
    hub_a = a.backroom.realtime
    on_a = hub_a.connect("127.0.0.1")
    hub_a.subscribe(on_a, None, ["notes/*"])
    r = await b.client.post("/api/collections/notes/records", json={"title": "from b"})
    assert r.status_code == 200
    await b.backroom.realtime.idle()
    await hub_a.idle()
    assert titles(on_a) == [("create", "from b")]


async def test_the_oauth2_redirect_reaches_a_tab_held_by_the_other_process(
    pair: tuple[TestApp, TestApp],
) -> None:
    a, b = pair
    hub_a = a.backroom.realtime
    tab = hub_a.connect("127.0.0.1")
    hub_a.subscribe(tab, None, ["@oauth2"])
    r = await b.client.get("/api/oauth2-redirect", params={"state": tab.id, "code": "c1"})
    assert r.headers["location"] == "../_/#/auth/oauth2-redirect-success"
    assert events(tab) == [("@oauth2", {"state": tab.id, "code": "c1"})]
    again = await b.client.get("/api/oauth2-redirect", params={"state": tab.id, "code": "c2"})
    assert again.headers["location"] == "../_/#/auth/oauth2-redirect-failure"
    assert events(tab) == []
