"""Start a real ``backroom serve`` process for a test, with a superuser, over TCP."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from backroom.testing.ports import free_port

BIN = Path(sys.executable).parent / "backroom"
EMAIL = "admin@example.com"
PASSWORD = "s3cret-pw-1"


@dataclass
class Server:
    base: str
    port: int
    token: str
    proc: subprocess.Popen[bytes]

    def su(self) -> dict[str, str]:
        return {"Authorization": self.token}


def make_superuser(data: Path) -> None:
    subprocess.run(
        [str(BIN), "superuser", "upsert", EMAIL, PASSWORD, "--dir", str(data)],
        check=True,
        capture_output=True,
    )


@contextmanager
def backroom_server(data: Path, **env: str) -> Iterator[Server]:
    make_superuser(data)
    port = free_port()
    proc = subprocess.Popen(
        [str(BIN), "serve", "--http", f"127.0.0.1:{port}", "--dir", str(data)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, **{f"BACKROOM_{k.upper()}": v for k, v in env.items()}},
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{base}/api/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("server did not start")
            time.sleep(0.05)
        r = httpx.post(
            f"{base}/api/collections/_superusers/auth-with-password",
            json={"identity": EMAIL, "password": PASSWORD},
        )
        r.raise_for_status()
        yield Server(base, port, str(r.json()["token"]), proc)
    finally:
        if proc.poll() is None:
            proc.terminate()
            proc.wait(timeout=15)
