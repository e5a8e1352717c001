"""The FileStore contract, run on every store: the local folder, S3 over a real S3-compatible
server, and the app's switching store pointed at S3.

Each case says what a caller may rely on: whole writes, ranges, limits that keep nothing,
failing or cancelled uploads that leave nothing behind, concurrent writers of one key, and
prefix deletes that stop at the folder boundary and go past one page of keys.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from aiobotocore.session import AioSession

from backroom.core.ports import FileStore, FileTooLarge
from backroom.files.local import LocalFileStore
from backroom.files.s3 import MIN_PART_SIZE, S3Config, S3FileStore
from backroom.files.switch import SwitchingFileStore
from backroom.testing.s3 import S3Server

PART = MIN_PART_SIZE
MiB = 1024 * 1024


@dataclass
class Subject:
    store: FileStore
    leftovers: Callable[[], Awaitable[list[str]]]
    """Everything a store may have left behind besides whole files: partial files, open
    multipart uploads."""
    objects: Callable[[], Awaitable[list[str]]]
    etag: Callable[[str], Awaitable[str]] | None = None


async def _local(tmp_path: Path, stack: AsyncExitStack) -> Subject:
    root = tmp_path / "storage"
    store = LocalFileStore(root)
    stack.push_async_callback(store.close)

    async def leftovers() -> list[str]:
        return sorted(str(p) for p in root.rglob("*") if p.name.endswith(".part"))

    async def objects() -> list[str]:
        return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())

    return Subject(store, leftovers, objects)


async def _s3(
    server: S3Server, stack: AsyncExitStack, local_root: Path, *, switching: bool
) -> Subject:
    bucket = server.create_bucket()
    section = server.settings(bucket)
    store: FileStore
    if switching:
        switch = SwitchingFileStore(
            LocalFileStore(local_root), lambda c: S3FileStore(c, part_size=PART)
        )
        switch.configure(section)
        store = switch
    else:
        store = S3FileStore(S3Config.from_settings(section), part_size=PART)
    stack.push_async_callback(store.close)
    raw = await stack.enter_async_context(
        AioSession().create_client(
            "s3",
            region_name=server.region,
            endpoint_url=server.endpoint,
            aws_access_key_id=server.access_key,
            aws_secret_access_key=server.secret,
        )
    )

    async def leftovers() -> list[str]:
        uploads = await raw.list_multipart_uploads(Bucket=bucket)
        return sorted(u["Key"] for u in uploads.get("Uploads", []))

    async def objects() -> list[str]:
        keys: list[str] = []
        async for page in raw.get_paginator("list_objects_v2").paginate(Bucket=bucket):
            keys += [o["Key"] for o in page.get("Contents", [])]
        return sorted(keys)

    async def etag(key: str) -> str:
        return str((await raw.head_object(Bucket=bucket, Key=key))["ETag"])

    return Subject(store, leftovers, objects, etag)


@pytest.fixture(params=["local", "s3", "switching-s3"])
async def subject(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Subject]:
    async with AsyncExitStack() as stack:
        if request.param == "local":
            yield await _local(tmp_path, stack)
        else:
            server = request.getfixturevalue("s3_server")
            switching = request.param == "switching-s3"
            yield await _s3(server, stack, tmp_path / "unused", switching=switching)


async def _chunks(*parts: bytes) -> AsyncIterator[bytes]:
    for p in parts:
        await asyncio.sleep(0)
        yield p


def _split(data: bytes, size: int) -> list[bytes]:
    return [data[i : i + size] for i in range(0, len(data), size)]


async def _read(store: FileStore, key: str, start: int = 0, end: int | None = None) -> bytes:
    return b"".join([c async for c in store.read(key, start, end)])


async def test_saved_bytes_read_back_whole_and_in_ranges(subject: Subject) -> None:
    store = subject.store
    before = datetime.now(UTC)
    assert await store.save("c1/r1/a.txt", _chunks(b"hello ", b"world"), 100) == 11
    assert await _read(store, "c1/r1/a.txt") == b"hello world"
    assert await _read(store, "c1/r1/a.txt", 6) == b"world"
    assert await _read(store, "c1/r1/a.txt", 2, 5) == b"llo"
    assert await _read(store, "c1/r1/a.txt", 0, 1) == b"h"
    assert await _read(store, "c1/r1/a.txt", 6, 1000) == b"world"
    assert await _read(store, "c1/r1/a.txt", 11) == b""
    assert await _read(store, "c1/r1/a.txt", 50, 60) == b""
    assert await _read(store, "c1/r1/a.txt", 5, 5) == b""
    stat = await store.stat("c1/r1/a.txt")
    assert stat is not None
    assert stat.size == 11
    assert stat.modified.tzinfo is not None
    assert before - timedelta(seconds=5) <= stat.modified <= datetime.now(UTC) + timedelta(1)
    assert await subject.objects() == ["c1/r1/a.txt"]


async def test_an_empty_file_and_names_with_spaces_and_accents(subject: Subject) -> None:
    store = subject.store
    assert await store.save("c1/r1/empty.txt", _chunks(), 10) == 0
    assert await _read(store, "c1/r1/empty.txt") == b""
    assert await _read(store, "c1/r1/empty.txt", 0, 10) == b""
    stat = await store.stat("c1/r1/empty.txt")
    assert stat is not None
    assert stat.size == 0
    key = "c1/r1/naïve file (1) +&=.txt"
    await store.save(key, _chunks("é".encode()), 10)
    assert await _read(store, key) == "é".encode()
    assert await subject.objects() == sorted(["c1/r1/empty.txt", key])


async def test_saving_again_replaces_the_whole_file(subject: Subject) -> None:
    store = subject.store
    await store.save("c1/r1/a", _chunks(b"a much longer first version"), 100)
    await store.save("c1/r1/a", _chunks(b"short"), 100)
    assert await _read(store, "c1/r1/a") == b"short"


async def test_a_large_file_goes_up_in_several_parts(subject: Subject) -> None:
    data = os.urandom(2 * PART + 3 * MiB + 17)
    size = await subject.store.save("c1/r1/big.bin", _chunks(*_split(data, MiB + 13)), 10**9)
    assert size == len(data)
    stat = await subject.store.stat("c1/r1/big.bin")
    assert stat is not None
    assert stat.size == len(data)
    whole = hashlib.sha256()
    async for chunk in subject.store.read("c1/r1/big.bin"):
        assert len(chunk) <= 4 * MiB  # streamed, never the whole file at once
        whole.update(chunk)
    assert whole.digest() == hashlib.sha256(data).digest()
    # a range across the boundary of the first and second part
    start, end = PART - 100, PART + 100
    assert await _read(subject.store, "c1/r1/big.bin", start, end) == data[start:end]
    tail = await _read(subject.store, "c1/r1/big.bin", len(data) - 5)
    assert tail == data[-5:]
    if subject.etag is not None:
        assert (await subject.etag("c1/r1/big.bin")).strip('"').endswith("-3")
    assert await subject.leftovers() == []


@pytest.mark.parametrize("size", [PART - 1, PART, PART + 1, 2 * PART])
async def test_sizes_at_part_boundaries(subject: Subject, size: int) -> None:
    data = os.urandom(size)
    assert await subject.store.save("c1/r1/edge.bin", _chunks(*_split(data, 3 * MiB)), size) == size
    assert await _read(subject.store, "c1/r1/edge.bin") == data
    assert await _read(subject.store, "c1/r1/edge.bin", size - 2) == data[-2:]
    assert await subject.leftovers() == []


@pytest.mark.parametrize("limit", [100, PART + MiB])
async def test_an_upload_past_the_limit_keeps_nothing(subject: Subject, limit: int) -> None:
    store = subject.store
    await store.save("c1/r1/kept.bin", _chunks(b"old"), 10)
    parts = _split(b"x" * (limit + MiB), MiB // 2 + 1)
    with pytest.raises(FileTooLarge):
        await store.save("c1/r1/kept.bin", _chunks(*parts), limit)
    with pytest.raises(FileTooLarge):
        await store.save("c1/r1/big.bin", _chunks(*parts), limit)
    assert await store.stat("c1/r1/big.bin") is None
    assert await _read(store, "c1/r1/kept.bin") == b"old"
    assert await subject.leftovers() == []
    assert await subject.objects() == ["c1/r1/kept.bin"]


async def test_exactly_the_limit_is_allowed(subject: Subject) -> None:
    assert await subject.store.save("c1/r1/a", _chunks(b"12345", b"67890"), 10) == 10


async def test_a_failing_chunk_source_leaves_nothing(subject: Subject) -> None:
    async def failing() -> AsyncIterator[bytes]:
        for _ in range(3):
            yield b"y" * (PART // 2 + 1)  # past one part: an upload in several parts began
        raise RuntimeError("the client went away")

    with pytest.raises(RuntimeError, match="went away"):
        await subject.store.save("c1/r1/broken.bin", failing(), 10**9)
    assert await subject.store.stat("c1/r1/broken.bin") is None
    assert await subject.leftovers() == []
    assert await subject.objects() == []


async def test_a_cancelled_upload_leaves_nothing(subject: Subject) -> None:
    reached = asyncio.Event()

    async def stalls() -> AsyncIterator[bytes]:
        yield b"z" * (PART + 10)
        reached.set()
        await asyncio.Event().wait()
        yield b"never"

    task = asyncio.create_task(subject.store.save("c1/r1/stalled.bin", stalls(), 10**9))
    await asyncio.wait_for(reached.wait(), 30)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert await subject.store.stat("c1/r1/stalled.bin") is None
    assert await subject.leftovers() == []


async def test_a_reader_never_sees_a_half_written_file(subject: Subject) -> None:
    store = subject.store
    await store.save("c1/r1/doc", _chunks(b"version one"), 10**9)
    halfway = asyncio.Event()
    go_on = asyncio.Event()
    new = os.urandom(PART + MiB)

    async def slow() -> AsyncIterator[bytes]:
        yield new[: PART + 1]
        halfway.set()
        await go_on.wait()
        yield new[PART + 1 :]

    task = asyncio.create_task(store.save("c1/r1/doc", slow(), 10**9))
    await asyncio.wait_for(halfway.wait(), 30)
    assert await _read(store, "c1/r1/doc") == b"version one"
    stat = await store.stat("c1/r1/doc")
    assert stat is not None
    assert stat.size == len(b"version one")
    go_on.set()
    assert await task == len(new)
    assert await _read(store, "c1/r1/doc") == new


async def test_concurrent_saves_of_one_key_leave_one_whole_version(subject: Subject) -> None:
    versions = [bytes([65 + i]) * (PART + i * 1000 + 1) for i in range(4)]
    sizes = await asyncio.gather(
        *(subject.store.save("c1/r1/same.bin", _chunks(*_split(v, MiB)), 10**9) for v in versions)
    )
    assert sizes == [len(v) for v in versions]
    final = await _read(subject.store, "c1/r1/same.bin")
    assert final in versions
    assert await subject.leftovers() == []
    assert await subject.objects() == ["c1/r1/same.bin"]


async def test_a_missing_key(subject: Subject) -> None:
    assert await subject.store.stat("c1/r1/missing") is None
    with pytest.raises(FileNotFoundError):
        await _read(subject.store, "c1/r1/missing")
    with pytest.raises(FileNotFoundError):
        await _read(subject.store, "c1/r1/missing", 3, 9)
    await subject.store.delete("c1/r1/missing")
    await subject.store.delete_prefix("c9/nothing-here")


async def test_delete_and_delete_prefix_stop_at_the_folder(subject: Subject) -> None:
    store = subject.store
    keys = [
        "c1/r1/a.png",
        "c1/r1/b",
        "c1/r1/thumbs_a.png/100x100_a.png",
        "c1/r10/a",
        "c1/r2/a",
        "c2/r1/a",
    ]
    for key in keys:
        await store.save(key, _chunks(b"1"), 10)
    await store.delete("c1/r1/a.png")
    assert await store.stat("c1/r1/a.png") is None
    await store.delete_prefix("c1/r1")
    assert await subject.objects() == ["c1/r10/a", "c1/r2/a", "c2/r1/a"]
    await store.delete_prefix("c1/")
    assert await subject.objects() == ["c2/r1/a"]


async def test_delete_prefix_goes_past_one_page_of_keys(subject: Subject) -> None:
    store = subject.store
    gate = asyncio.Semaphore(16)

    async def put(key: str) -> None:
        async with gate:
            await store.save(key, _chunks(key.encode()), 100)

    await asyncio.gather(*(put(f"c1/r1/f{i:04}") for i in range(1010)), put("c1/r2/keep"))
    assert len(await subject.objects()) == 1011
    await store.delete_prefix("c1/r1")
    assert await subject.objects() == ["c1/r2/keep"]


@pytest.mark.parametrize(
    "key", ["../x", "c1/../../x", "c1//x", "c1/./x", "c1/a\\..\\x", "a\x00b", "", "/abs"]
)
async def test_keys_cannot_leave_the_root(subject: Subject, key: str) -> None:
    store = subject.store
    with pytest.raises(ValueError, match="invalid file key"):
        await store.save(key, _chunks(b"1"), 10)
    with pytest.raises(ValueError, match="invalid file key"):
        await _read(store, key)
    with pytest.raises(ValueError, match="invalid file key"):
        await store.delete(key)
    if key:
        with pytest.raises(ValueError, match="invalid file key"):
            await store.delete_prefix(key)
    assert await store.stat(key) is None
    assert await subject.objects() == []
