"""The real ``backroom`` command, over TCP."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from backroom.testing.ports import free_port

pytestmark = pytest.mark.e2e

BIN = Path(sys.executable).parent / "backroom"


@pytest.fixture
def server(tmp_path: Path) -> Iterator[str]:
    data = tmp_path / "br_data"
    subprocess.run(
        [str(BIN), "superuser", "upsert", "admin@example.com", "s3cret-pw-1", "--dir", str(data)],
        check=True,
        capture_output=True,
    )
    port = free_port()
    proc = subprocess.Popen(
        [str(BIN), "serve", "--http", f"127.0.0.1:{port}", "--dir", str(data)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    try:
        while True:
            try:
                if httpx.get(f"{base}/api/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"server did not start: {proc.stderr.read()!r}")  # type: ignore[union-attr]
            time.sleep(0.05)
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=15)
        if proc.stderr is not None:
            proc.stderr.close()


def test_a_superuser_made_by_the_cli_logs_in_and_manages_data_over_tcp(server: str) -> None:
    with httpx.Client(base_url=server, timeout=10) as http:
        auth = http.post(
            "/api/collections/_superusers/auth-with-password",
            json={"identity": "admin@example.com", "password": "s3cret-pw-1"},
        )
        assert auth.status_code == 200
        su = {"Authorization": auth.json()["token"]}
        created = http.post(
            "/api/collections",
            headers=su,
            json={"name": "notes", "listRule": "", "fields": [{"name": "text", "type": "text"}]},
        )
        assert created.status_code == 200, created.text
        record = http.post("/api/collections/notes/records", headers=su, json={"text": "hi"})
        assert record.status_code == 200, record.text
        listed = http.get("/api/collections/notes/records", params={"filter": 'text = "hi"'})
        assert listed.status_code == 200
        assert [r["id"] for r in listed.json()["items"]] == [record.json()["id"]]


def test_version_flag_prints_the_version() -> None:
    out = subprocess.run([str(BIN), "--version"], check=True, capture_output=True, text=True)
    assert "backroom" in out.stdout


def test_serve_without_a_superuser_says_how_to_create_one(tmp_path: Path) -> None:
    port = free_port()
    proc = subprocess.Popen(
        [str(BIN), "serve", "--http", f"127.0.0.1:{port}", "--dir", str(tmp_path / "d")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stderr is not None
        lines = [proc.stderr.readline() for _ in range(3)]
        assert any("superuser upsert" in line for line in lines), lines
    finally:
        proc.terminate()
        proc.wait(timeout=15)
        if proc.stderr is not None:
            proc.stderr.close()


@pytest.mark.parametrize(
    "args",
    [
        ["--dir", "{dir}", "superuser", "upsert", "a@example.com", "s3cret-pw-1"],
        ["superuser", "upsert", "a@example.com", "s3cret-pw-1", "--dir", "{dir}"],
    ],
    ids=["--dir before the command", "--dir after the command"],
)
def test_dir_is_accepted_before_and_after_the_command(tmp_path: Path, args: list[str]) -> None:
    data = tmp_path / "data"
    argv = [a.replace("{dir}", str(data)) for a in args]
    out = subprocess.run([str(BIN), *argv], capture_output=True, text=True, check=True)
    assert "created superuser" in out.stdout
    assert (data / "data.db").exists()
    again = subprocess.run([str(BIN), *argv], capture_output=True, text=True, check=True)
    assert "updated superuser" in again.stdout
    bad = subprocess.run(
        [str(BIN), "superuser", "upsert", "b@example.com", "short", "--dir", str(data)],
        capture_output=True,
        text=True,
    )
    assert bad.returncode != 0
    assert "password" in bad.stderr.lower()
