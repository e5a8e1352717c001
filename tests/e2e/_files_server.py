"""A real ``backroom serve`` process with a superuser and collections with file fields."""

from __future__ import annotations

import io
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from PIL import Image

BIN = Path(sys.executable).parent / "backroom"
EMAIL = "admin@example.com"
PASSWORD = "s3cret-pw-1"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@dataclass
class Server:
    base: str
    data: Path
    proc: subprocess.Popen[bytes]
    token: str

    def su(self) -> dict[str, str]:
        return {"Authorization": self.token}

    def client(self, **kwargs: Any) -> httpx.Client:
        return httpx.Client(base_url=self.base, timeout=60, **kwargs)

    def stored(self, collection_id: str, record_id: str) -> list[str]:
        """The names in a record's folder of the file store (sorted)."""
        folder = self.data / "storage" / collection_id / record_id
        return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


@contextmanager
def running_server(data: Path) -> Iterator[Server]:
    subprocess.run(
        [str(BIN), "superuser", "upsert", EMAIL, PASSWORD, "--dir", str(data)],
        check=True,
        capture_output=True,
    )
    port = free_port()
    proc = subprocess.Popen(
        [str(BIN), "serve", "--http", f"127.0.0.1:{port}", "--dir", str(data)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
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
        auth = httpx.post(
            f"{base}/api/collections/_superusers/auth-with-password",
            json={"identity": EMAIL, "password": PASSWORD},
        )
        auth.raise_for_status()
        yield Server(base, data, proc, auth.json()["token"])
    finally:
        proc.terminate()
        proc.wait(timeout=15)


def image_bytes(fmt: str = "PNG", size: tuple[int, int] = (300, 200), mode: str = "RGB") -> bytes:
    buf = io.BytesIO()
    Image.new(mode, size, (200, 30, 60) if mode == "RGB" else (200, 30, 60, 255)).save(buf, fmt)
    return buf.getvalue()


def make_collection(server: Server, name: str, fields: list[dict[str, Any]], **rules: Any) -> Any:
    body = {"name": name, "fields": fields, **rules}
    r = httpx.post(f"{server.base}/api/collections", headers=server.su(), json=body)
    assert r.status_code == 200, r.text
    return r.json()
