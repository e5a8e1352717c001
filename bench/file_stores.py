"""The file stores measured on their own: the local folder and S3 (moto's server, over HTTP).

Uploads of many 1 MB files, one large file streamed in and out, and the process's peak memory
while it streams, which must not grow with the file's size.

    python bench/file_stores.py                 # 200 x 1 MB, one 256 MiB file
    python bench/file_stores.py --large-mib 1024
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from pathlib import Path

from backroom.core.ports import FileStore
from backroom.files.local import LocalFileStore
from backroom.files.s3 import S3Config, S3FileStore
from backroom.testing.s3 import S3Server

MiB = 1024 * 1024
_BLOCK = os.urandom(64 * 1024)


def _rss_mib() -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) // 1024
    return 0


async def _stream(size: int) -> AsyncIterator[bytes]:
    for _ in range(size // len(_BLOCK)):
        yield _BLOCK


async def _measure(name: str, store: FileStore, files: int, large: int) -> None:
    gate = asyncio.Semaphore(8)
    one_mb = os.urandom(MiB)

    async def put(i: int) -> None:
        async with gate:
            await store.save(f"bench/small/f{i}", _one(one_mb), 2 * MiB)

    await store.stat("bench/warm-up")
    t = time.perf_counter()
    await asyncio.gather(*(put(i) for i in range(files)))
    small = time.perf_counter() - t

    base = peak = _rss_mib()

    async def watch() -> None:
        nonlocal peak
        while True:
            peak = max(peak, _rss_mib())
            await asyncio.sleep(0.02)

    watcher = asyncio.create_task(watch())
    t = time.perf_counter()
    await store.save("bench/large.bin", _stream(large), large)
    up = time.perf_counter() - t
    t = time.perf_counter()
    total = 0
    async for chunk in store.read("bench/large.bin"):
        total += len(chunk)
    down = time.perf_counter() - t
    watcher.cancel()
    assert total == large
    await store.delete_prefix("bench")
    print(
        f"| {name} | {files / small:,.0f} | {large / MiB / up:,.0f} | {large / MiB / down:,.0f} "
        f"| {peak - base} |"
    )


async def _one(data: bytes) -> AsyncIterator[bytes]:
    yield data


async def main(files: int, large_mib: int) -> None:
    large = large_mib * MiB
    print(f"{files} uploads of 1 MB (8 at a time), one {large_mib} MiB file streamed in and out\n")
    print("| store | 1 MB uploads/s | large upload MiB/s | large read MiB/s | RSS growth MiB |")
    print("|---|---:|---:|---:|---:|")
    with tempfile.TemporaryDirectory() as tmp:
        local = LocalFileStore(Path(tmp))
        await _measure("local folder", local, files, large)
        await local.close()
    with S3Server() as server:
        config = S3Config.from_settings(server.settings(server.create_bucket()))
        s3 = S3FileStore(config)
        await _measure("S3 (moto server)", s3, files, large)
        await s3.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=200)
    parser.add_argument("--large-mib", type=int, default=256)
    args = parser.parse_args()
    if sys.platform != "linux":
        sys.exit("reads memory from /proc: Linux only")
    asyncio.run(main(args.files, args.large_mib))
