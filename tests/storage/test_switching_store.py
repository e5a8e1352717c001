"""The app's file store follows the ``s3`` settings live: new operations go to the chosen
backend, running ones finish where they started, and replaced backends are closed."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncGenerator, AsyncIterator, Callable
from pathlib import Path

import pytest

from backroom.files.local import LocalFileStore
from backroom.files.s3 import MIN_PART_SIZE, S3Config, S3Error, S3FileStore
from backroom.files.switch import SwitchingFileStore
from backroom.testing.s3 import S3Server


async def _chunks(*parts: bytes) -> AsyncIterator[bytes]:
    for p in parts:
        yield p


async def _until(condition: Callable[[], bool], timeout: float = 10) -> None:
    async def wait() -> None:
        while not condition():
            await asyncio.sleep(0.01)

    await asyncio.wait_for(wait(), timeout)


def _s3_store(store: SwitchingFileStore) -> S3FileStore:
    backend = store.backend
    assert isinstance(backend, S3FileStore)
    return backend


async def test_switching_on_and_off_sends_new_files_to_the_chosen_backend(
    tmp_path: Path, s3_server: S3Server
) -> None:
    local = LocalFileStore(tmp_path)
    store = SwitchingFileStore(local)
    section = s3_server.settings(s3_server.create_bucket())
    try:
        store.configure({**section, "enabled": False})
        assert store.backend is local
        await store.save("c1/r1/local.txt", _chunks(b"on disk"), 100)
        assert (tmp_path / "c1" / "r1" / "local.txt").read_bytes() == b"on disk"

        store.configure(section)
        s3 = _s3_store(store)
        assert s3.config == S3Config.from_settings(section)
        await store.save("c1/r1/remote.txt", _chunks(b"in the bucket"), 100)
        assert not (tmp_path / "c1" / "r1" / "remote.txt").exists()
        assert await store.stat("c1/r1/local.txt") is None  # switching moves no files
        store.configure(dict(section))
        assert store.backend is s3  # the same settings again keep the same connection pool

        store.configure({**section, "enabled": False})
        assert store.backend is local
        await _until(lambda: s3.closed)
        assert await store.stat("c1/r1/local.txt") is not None
        assert await store.stat("c1/r1/remote.txt") is None

        store.configure(section)
        again = _s3_store(store)
        assert again is not s3
        data = b"".join([c async for c in store.read("c1/r1/remote.txt")])
        assert data == b"in the bucket"
    finally:
        await store.close()
    assert _s3_store(store).closed


async def test_a_running_read_finishes_on_the_store_it_started_on(
    tmp_path: Path, s3_server: S3Server
) -> None:
    store = SwitchingFileStore(LocalFileStore(tmp_path))
    first = s3_server.settings(s3_server.create_bucket())
    second = s3_server.settings(s3_server.create_bucket())
    data = os.urandom(MIN_PART_SIZE + 12345)
    try:
        store.configure(first)
        old = _s3_store(store)
        await store.save("c1/r1/big.bin", _chunks(data), len(data))
        reader = store.read("c1/r1/big.bin")
        got = [await anext(reader)]

        store.configure(second)
        assert store.backend is not old
        assert await store.stat("c1/r1/big.bin") is None  # the new bucket is empty
        assert not old.closed  # still serving the read that began on it
        got += [chunk async for chunk in reader]
        assert b"".join(got) == data
        await _until(lambda: old.closed)
    finally:
        await store.close()


async def test_a_read_abandoned_midway_releases_its_store(
    tmp_path: Path, s3_server: S3Server
) -> None:
    store = SwitchingFileStore(LocalFileStore(tmp_path))
    try:
        store.configure(s3_server.settings(s3_server.create_bucket()))
        old = _s3_store(store)
        await store.save("c1/r1/big.bin", _chunks(os.urandom(300_000)), 10**6)
        reader = store.read("c1/r1/big.bin")
        assert isinstance(reader, AsyncGenerator)
        await anext(reader)
        store.configure({**s3_server.settings(""), "enabled": False})
        assert not old.closed
        await reader.aclose()
        await _until(lambda: old.closed)
    finally:
        await store.close()


async def test_an_endpoint_the_client_cannot_use_fails_each_operation_not_the_switch(
    tmp_path: Path, s3_server: S3Server
) -> None:
    store = SwitchingFileStore(LocalFileStore(tmp_path))
    try:
        store.configure(s3_server.settings("b", endpoint="ftp://127.0.0.1"))
        with pytest.raises(S3Error, match="ftp://127\\.0\\.0\\.1"):
            await store.save("c1/r1/a", _chunks(b"1"), 10)
        with pytest.raises(S3Error):
            await store.stat("c1/r1/a")
        store.configure({**s3_server.settings("b"), "enabled": False})
        assert await store.save("c1/r1/a", _chunks(b"1"), 10) == 1
    finally:
        await store.close()
