"""The official PocketBase JS SDK (``tests/js``) subscribes to a real Backroom over TCP."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import httpx
import pytest
from _server import EMAIL, PASSWORD, backroom_server

from backroom.testing.oauth2_provider import OAuth2TestProvider

pytestmark = pytest.mark.e2e

JS = Path(__file__).resolve().parents[1] / "js"


def _node(script: str, **env: str) -> None:
    node = shutil.which("node")
    assert node is not None, "node is needed for the SDK tests"
    assert (JS / "node_modules" / "pocketbase").is_dir(), "run `make test` (it installs tests/js)"
    out = subprocess.run(
        [node, str(JS / script)],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stdout + out.stderr
    assert out.stdout.strip().endswith("all ok"), out.stdout


def test_the_js_sdk_receives_realtime_events_as_from_pocketbase(tmp_path: Path) -> None:
    with backroom_server(tmp_path / "d") as server:
        _node("realtime.mjs", BASE_URL=server.base, SU_EMAIL=EMAIL, SU_PASSWORD=PASSWORD)


def test_a_thousand_js_sdk_clients_subscribe_at_once_and_all_receive_every_event(
    tmp_path: Path,
) -> None:
    with backroom_server(tmp_path / "d", realtime_max_clients_per_ip="2000") as server:
        _node("many.mjs", BASE_URL=server.base, SU_EMAIL=EMAIL, SU_PASSWORD=PASSWORD, COUNT="1000")


def test_the_js_sdk_oauth2_popup_flow_completes_over_realtime(tmp_path: Path) -> None:
    with OAuth2TestProvider() as provider, backroom_server(tmp_path / "d") as server:
        p = provider.url
        r = httpx.patch(
            f"{server.base}/api/collections/users",
            headers=server.su(),
            json={
                "oauth2": {
                    "enabled": True,
                    "providers": [
                        {
                            "name": "oidc",
                            "clientId": provider.client_id,
                            "clientSecret": provider.client_secret,
                            "authURL": f"{p}/authorize",
                            "tokenURL": f"{p}/token",
                            "userInfoURL": f"{p}/userinfo",
                            "extra": {"jwksURL": f"{p}/jwks", "issuers": [p]},
                        }
                    ],
                }
            },
        )
        assert r.status_code == 200, r.text
        provider.sign_in_as({"sub": "popup-1", "email": "pop@example.com", "email_verified": True})
        _node("oauth2.mjs", BASE_URL=server.base, EXPECTED_EMAIL="pop@example.com")
