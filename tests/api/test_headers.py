"""CORS and hardening headers, with the default and with a configured list of origins."""

from __future__ import annotations

from pathlib import Path

from backroom.testing import TestApp, running_app

ORIGIN = "https://app.example.com"


async def test_any_origin_is_allowed_by_default(app: TestApp) -> None:
    resp = await app.client.get("/api/health", headers={"Origin": ORIGIN})
    assert resp.headers["access-control-allow-origin"] == "*"
    assert resp.headers["x-content-type-options"] == "nosniff"
    assert resp.headers["x-frame-options"] == "SAMEORIGIN"


async def test_a_preflight_is_answered_before_authentication(app: TestApp) -> None:
    resp = await app.client.options(
        "/api/collections",
        headers={
            "Origin": ORIGIN,
            "Access-Control-Request-Method": "DELETE",
            "Access-Control-Request-Headers": "authorization",
        },
    )
    assert resp.status_code == 204
    assert resp.headers["access-control-allow-headers"] == "authorization"
    assert "DELETE" in resp.headers["access-control-allow-methods"]


async def test_only_listed_origins_are_allowed(tmp_path: Path) -> None:
    async with running_app(tmp_path / "br_data", origins=(ORIGIN,)) as app:
        allowed = await app.client.get("/api/health", headers={"Origin": ORIGIN})
        other = await app.client.get("/api/health", headers={"Origin": "https://evil.example"})
        preflight = await app.client.options(
            "/api/health",
            headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "GET"},
        )
    assert allowed.headers["access-control-allow-origin"] == ORIGIN
    assert "access-control-allow-origin" not in other.headers
    assert other.status_code == 200
    assert preflight.status_code == 204
    assert "access-control-allow-origin" not in preflight.headers
