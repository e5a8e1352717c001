"""Files: Backroom vs PocketBase, side by side in one run.

    python bench/files.py [--duration 10] [--connections 8] [--repeat 3] [--big-mb 1024]

Both servers get the same collection, ``docs`` (a text field, a file field ``doc`` of up to
2 GiB, public create and view rules), through the public API. Scenarios, measured with wrk:
uploading a record with one 1 MiB file (multipart), and serving a cached ``100x100``
thumbnail of a 1600x1200 JPEG (made by one request before the run). Then, on each server, a
file of ``--big-mb`` MiB is uploaded and downloaded in a stream while the server's resident
memory (the process and its children) is sampled every 50 ms: the growth over the idle
figure must stay flat (under 64 MiB) while the file streams. Writes the files section of
docs/benchmarks.md.
"""

from __future__ import annotations

import io
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import psutil
from PIL import Image

sys.path.insert(0, str(Path(__file__).parent))

from run import Scenario, arguments, side_by_side
from servers import EMAIL, PASSWORD, Server

UPLOAD_BYTES = 1 << 20
FLAT_MB = 64


def _client(server: Server) -> tuple[httpx.Client, dict[str, str]]:
    client = httpx.Client(base_url=server.base, timeout=600)
    auth = client.post(
        "/api/collections/_superusers/auth-with-password",
        json={"identity": EMAIL, "password": PASSWORD},
    )
    auth.raise_for_status()
    return client, {"Authorization": auth.json()["token"]}


def _photo() -> bytes:
    image = Image.effect_mandelbrot((1600, 1200), (-2.0, -1.2, 1.0, 1.2), 60).convert("RGB")
    buf = io.BytesIO()
    image.save(buf, "JPEG", quality=85)
    return buf.getvalue()


def prepare(server: Server) -> list[Scenario]:
    client, su = _client(server)
    try:
        created = client.post(
            "/api/collections",
            headers=su,
            json={
                "name": "docs",
                "createRule": "",
                "viewRule": "",
                "fields": [
                    {"name": "title", "type": "text"},
                    {"name": "doc", "type": "file", "maxSize": 2 << 30},
                ],
            },
        )
        created.raise_for_status()
        photo = client.post(
            "/api/collections/docs/records",
            files={"doc": ("photo.jpg", _photo(), "image/jpeg")},
        )
        photo.raise_for_status()
        rec = photo.json()
        thumb = f"/api/files/docs/{rec['id']}/{rec['doc']}?thumb=100x100"
        client.get(thumb).raise_for_status()  # made once, cached from here on
    finally:
        client.close()
    return [
        Scenario(
            "upload a 1 MiB file",
            "upload.lua",
            ["/api/collections/docs/records"],
            None,
            env={"BENCH_UPLOAD_BYTES": str(UPLOAD_BYTES)},
            timeout=10,
        ),
        Scenario("serve a cached 100x100 thumbnail", "get.lua", [thumb], None),
    ]


def _rss(pid: int) -> int:
    proc = psutil.Process(pid)
    total = 0
    for p in [proc, *proc.children(recursive=True)]:
        try:
            total += p.memory_info().rss
        except psutil.NoSuchProcess:
            continue
    return total


class _Sampler:
    """The peak resident memory of a process tree while a block runs."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.base = _rss(pid)
        self.peak = self.base
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._run)

    def _run(self) -> None:
        while not self._done.is_set():
            self.peak = max(self.peak, _rss(self.pid))
            time.sleep(0.05)

    def __enter__(self) -> _Sampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._done.set()
        self._thread.join()

    @property
    def growth_mb(self) -> float:
        return (self.peak - self.base) / (1 << 20)


def _stream(total: int, chunk: int = 1 << 20) -> Iterator[bytes]:
    block = bytes(range(256)) * (chunk // 256)
    sent = 0
    while sent < total:
        yield block[: min(chunk, total - sent)]
        sent += chunk


def _multipart(total: int) -> Iterator[bytes]:
    boundary = b"bigfileboundary"
    yield (
        b"--" + boundary + b'\r\nContent-Disposition: form-data; name="doc"; filename="big.bin"'
        b"\r\nContent-Type: application/octet-stream\r\n\r\n"
    )
    yield from _stream(total)
    yield b"\r\n--" + boundary + b"--\r\n"


def big_file(servers: list[Server], mb: int) -> list[str]:
    size = mb << 20
    rows = [
        "",
        f"Memory while streaming one {mb:,} MiB file (resident memory of the server process "
        "and its children, peak over idle, sampled every 50 ms):",
        "",
        "| server | upload | upload: memory growth | download | download: memory growth |",
        "|---|---:|---:|---:|---:|",
    ]
    for server in servers:
        client, _ = _client(server)
        try:
            with _Sampler(server.proc.pid) as up:
                started = time.monotonic()
                r = client.post(
                    "/api/collections/docs/records",
                    content=_multipart(size),
                    headers={"Content-Type": "multipart/form-data; boundary=bigfileboundary"},
                )
                up_s = time.monotonic() - started
            r.raise_for_status()
            rec = r.json()
            received = 0
            with _Sampler(server.proc.pid) as down:
                started = time.monotonic()
                with client.stream("GET", f"/api/files/docs/{rec['id']}/{rec['doc']}") as resp:
                    for chunk in resp.iter_raw(1 << 20):
                        received += len(chunk)
                down_s = time.monotonic() - started
            assert received == size, (received, size)
        finally:
            client.close()
        flat = "flat" if down.growth_mb < FLAT_MB else "NOT FLAT"
        rows.append(
            f"| {server.name} | {mb / up_s:,.0f} MiB/s | {up.growth_mb:,.1f} MiB "
            f"| {mb / down_s:,.0f} MiB/s | {down.growth_mb:,.1f} MiB ({flat}) |"
        )
        print(rows[-1], flush=True)
    return rows


def main() -> None:
    parser = arguments(__doc__ or "")
    parser.set_defaults(connections=8)
    parser.add_argument("--big-mb", type=int, default=1024)
    args = parser.parse_args()
    side_by_side(
        args,
        prepare,
        "files",
        "bench/files.py",
        extra=lambda servers, _work: big_file(servers, args.big_mb),
    )


if __name__ == "__main__":
    main()
