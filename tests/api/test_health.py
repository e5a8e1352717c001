"""``/api/health`` as PocketBase's, and as a readiness check while the server drains."""

from __future__ import annotations

from backroom.testing import TestApp


async def test_health_answers_like_pocketbase(app: TestApp) -> None:
    r = await app.client.get("/api/health")
    assert r.status_code == 200
    assert r.json() == {"code": 200, "message": "API is healthy.", "data": {}}


async def test_a_draining_server_answers_503_to_health_and_new_streams_only(
    app: TestApp,
) -> None:
    app.backroom.drain()
    r = await app.client.get("/api/health")
    assert r.status_code == 503
    assert r.json() == {"status": 503, "message": "The server is shutting down.", "data": {}}
    stream = await app.client.get("/api/realtime")
    assert stream.status_code == 503
    # requests that still arrive are served: the balancer is moving traffic away
    assert (await app.client.get("/api/collections", headers=app.su())).status_code == 200
