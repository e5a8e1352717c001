"""A write answered 2xx survives kill -9 of the server."""

from __future__ import annotations

import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

pytestmark = pytest.mark.e2e

BIN = Path(sys.executable).parent / "backroom"


def _serve(data: Path) -> tuple[subprocess.Popen[bytes], str]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen(
        [str(BIN), "serve", "--http", f"127.0.0.1:{port}", "--dir", str(data)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # its own process group: kill -9 reaches the worker too
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/api/health", timeout=1).status_code == 200:
                return proc, base
        except httpx.TransportError:
            pass
        time.sleep(0.05)
    proc.kill()
    raise RuntimeError("server did not start")


def test_acknowledged_creates_survive_kill_9(tmp_path: Path) -> None:
    data = tmp_path / "br_data"
    subprocess.run(
        [str(BIN), "superuser", "upsert", "a@example.com", "s3cret-pw-1", "--dir", str(data)],
        check=True,
        capture_output=True,
    )
    proc, base = _serve(data)
    acked: list[str] = []
    token = ""
    try:
        with httpx.Client(base_url=base, timeout=10) as http:
            token = http.post(
                "/api/collections/_superusers/auth-with-password",
                json={"identity": "a@example.com", "password": "s3cret-pw-1"},
            ).json()["token"]
            body = {"name": "ledger", "createRule": "", "fields": [{"name": "n", "type": "number"}]}
            assert http.post("/api/collections", json=body, headers={"Authorization": token})
            for i in range(300):
                r = http.post("/api/collections/ledger/records", json={"n": i})
                if r.status_code == 200:
                    acked.append(r.json()["id"])
    finally:
        os.killpg(proc.pid, signal.SIGKILL)  # the server and its worker, as a crash would
        proc.wait()
    assert len(acked) == 300
    db = sqlite3.connect(data / "data.db")
    try:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        stored = {row[0] for row in db.execute("SELECT id FROM ledger")}
    finally:
        db.close()
    assert set(acked) <= stored
    proc, base = _serve(data)
    try:
        listed = httpx.get(
            f"{base}/api/collections/ledger/records",
            params={"perPage": 1},
            headers={"Authorization": token},
            timeout=10,
        )
        assert listed.status_code == 200
        assert listed.json()["totalItems"] == len(acked)
    finally:
        proc.terminate()
        proc.wait(timeout=15)
