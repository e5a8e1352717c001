"""Start the real PocketBase and the real Backroom once per session, side by side."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from _targets import Target

from backroom.testing.oauth2_provider import OAuth2TestProvider
from backroom.testing.ports import free_port
from backroom.testing.smtp import MailCatcher

BIN = Path(sys.executable).parent
EMAIL = "compat@example.com"
PASSWORD = "compat-password-1"


def _start(cmd: list[str], base: str) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{cmd[0]} exited with {proc.returncode}")
        try:
            if httpx.get(f"{base}/api/health", timeout=1).status_code == 200:
                return proc
        except httpx.TransportError:
            pass
        time.sleep(0.05)
    proc.kill()
    raise RuntimeError(f"{cmd[0]} did not start")


def _login(name: str, base: str) -> Target:
    client = httpx.Client(base_url=base, timeout=30)
    r = client.post(
        "/api/collections/_superusers/auth-with-password",
        json={"identity": EMAIL, "password": PASSWORD},
    )
    r.raise_for_status()
    return Target(name, client, r.json()["token"])


@pytest.fixture(scope="session")
def targets(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Target, Target]]:
    with server_pair(tmp_path_factory.mktemp("compat")) as pair:
        yield pair


@contextmanager
def server_pair(work: Path) -> Iterator[tuple[Target, Target]]:
    """PocketBase and Backroom, fresh in ``work``, each with the same superuser logged in."""
    pb_flags = ["--dir", str(work / "pb_data"), "--migrationsDir", str(work / "pb_migrations")]
    pb = str(BIN / "pocketbase")
    subprocess.run(
        [pb, "superuser", "upsert", EMAIL, PASSWORD, *pb_flags], check=True, capture_output=True
    )
    br = str(BIN / "backroom")
    br_dir = ["--dir", str(work / "br_data")]
    subprocess.run(
        [br, "superuser", "upsert", EMAIL, PASSWORD, *br_dir], check=True, capture_output=True
    )
    pb_base = f"http://127.0.0.1:{free_port()}"
    br_base = f"http://127.0.0.1:{free_port()}"
    pb_proc = _start(
        [pb, "serve", "--http", pb_base[7:], *pb_flags, "--automigrate=false"], pb_base
    )
    try:
        br_proc = _start([br, "serve", "--http", br_base[7:], *br_dir], br_base)
    except BaseException:
        pb_proc.terminate()
        raise
    try:
        pair = _login("pocketbase", pb_base), _login("backroom", br_base)
        yield pair
        for target in pair:
            target.client.close()
    finally:
        for proc in (pb_proc, br_proc):
            proc.terminate()
            proc.wait(timeout=15)


@pytest.fixture(scope="module")
def mailbox(targets: tuple[Target, Target]) -> Iterator[MailCatcher]:
    """A real SMTP server both servers send through, for one test module."""
    with MailCatcher() as smtp:
        for t in targets:
            r = t.client.patch("/api/settings", headers=t.su(), json={"smtp": smtp.settings()})
            assert r.status_code == 200, r.text
        yield smtp
        for t in targets:
            t.client.patch("/api/settings", headers=t.su(), json={"smtp": {"enabled": False}})


@pytest.fixture(scope="module")
def provider() -> Iterator[OAuth2TestProvider]:
    """A local OpenID Connect provider speaking the real wire format."""
    with OAuth2TestProvider() as p:
        yield p
