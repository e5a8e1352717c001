"""Fixtures: a deployment per broker transport."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest
from _deployment import Deployment

from backroom.realtime.brokers.hub import BrokerHub


@pytest.fixture
def hub() -> Iterator[BrokerHub]:
    with BrokerHub() as h:
        yield h


async def _deployment(request: pytest.FixtureRequest) -> AsyncIterator[Deployment]:
    kind = request.param
    if kind == "socket hub":
        d = Deployment(kind, hub=request.getfixturevalue("hub"))
    elif kind == "redis":
        d = Deployment(kind, redis_url=request.getfixturevalue("redis_url"))
    else:
        d = Deployment(kind)
    try:
        yield d
    finally:
        await d.close()


@pytest.fixture(params=["in-process", "socket hub", "redis"])
async def deployment(request: pytest.FixtureRequest) -> AsyncIterator[Deployment]:
    """Every transport, the single-process one included."""
    async for d in _deployment(request):
        yield d


@pytest.fixture(params=["socket hub", "redis"])
async def shared(request: pytest.FixtureRequest) -> AsyncIterator[Deployment]:
    """The transports that join several processes."""
    async for d in _deployment(request):
        yield d
