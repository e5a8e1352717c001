"""A real ``backroom serve`` process with a superuser and collections with file fields."""

from __future__ import annotations

import io
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from _server import Server as BaseServer
from _server import backroom_server
from PIL import Image


@dataclass
class Server(BaseServer):
    data: Path

    def client(self, **kwargs: Any) -> httpx.Client:
        return httpx.Client(base_url=self.base, timeout=60, **kwargs)

    def stored(self, collection_id: str, record_id: str) -> list[str]:
        """The names in a record's folder of the file store (sorted)."""
        folder = self.data / "storage" / collection_id / record_id
        return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


@contextmanager
def running_server(data: Path) -> Iterator[Server]:
    with backroom_server(data) as base:
        yield Server(base.base, base.port, base.token, base.proc, data)


def image_bytes(fmt: str = "PNG", size: tuple[int, int] = (300, 200), mode: str = "RGB") -> bytes:
    buf = io.BytesIO()
    Image.new(mode, size, (200, 30, 60) if mode == "RGB" else (200, 30, 60, 255)).save(buf, fmt)
    return buf.getvalue()


def make_collection(server: Server, name: str, fields: list[dict[str, Any]], **rules: Any) -> Any:
    body = {"name": name, "fields": fields, **rules}
    r = httpx.post(f"{server.base}/api/collections", headers=server.su(), json=body)
    assert r.status_code == 200, r.text
    return r.json()
