"""The official PocketBase JS SDK (``tests/js``) subscribes to a real Backroom over TCP."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from _server import EMAIL, PASSWORD, backroom_server

pytestmark = pytest.mark.e2e

JS = Path(__file__).resolve().parents[1] / "js"


def test_the_js_sdk_receives_realtime_events_as_from_pocketbase(tmp_path: Path) -> None:
    node = shutil.which("node")
    assert node is not None, "node is needed for the SDK tests"
    assert (JS / "node_modules" / "pocketbase").is_dir(), "run `make test` (it installs tests/js)"
    with backroom_server(tmp_path / "d") as server:
        out = subprocess.run(
            [node, str(JS / "realtime.mjs")],
            env={**os.environ, "BASE_URL": server.base, "SU_EMAIL": EMAIL, "SU_PASSWORD": PASSWORD},
            capture_output=True,
            text=True,
            timeout=120,
        )
    assert out.returncode == 0, out.stdout + out.stderr
    assert out.stdout.strip().endswith("all ok"), out.stdout
