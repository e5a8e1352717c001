"""The local file store: whole writes, ranges, limits and keys that cannot leave the root."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from backroom.core.ports import FileTooLarge
from backroom.files.local import LocalFileStore


async def _chunks(*parts: bytes) -> AsyncIterator[bytes]:
    for p in parts:
        yield p


async def _read(store: LocalFileStore, key: str, start: int = 0, end: int | None = None) -> bytes:
    return b"".join([c async for c in store.read(key, start, end)])


async def test_saved_bytes_read_back_whole_and_in_ranges(tmp_path: Path) -> None:
    store = LocalFileStore(tmp_path)
    assert await store.save("c1/r1/a.txt", _chunks(b"hello ", b"world"), 100) == 11
    assert await _read(store, "c1/r1/a.txt") == b"hello world"
    assert await _read(store, "c1/r1/a.txt", 6) == b"world"
    assert await _read(store, "c1/r1/a.txt", 2, 5) == b"llo"
    stat = await store.stat("c1/r1/a.txt")
    assert stat is not None
    assert stat.size == 11


async def test_an_upload_past_the_limit_keeps_nothing(tmp_path: Path) -> None:
    store = LocalFileStore(tmp_path)
    with pytest.raises(FileTooLarge):
        await store.save("c1/r1/big.bin", _chunks(b"x" * 60, b"x" * 60), 100)
    assert await store.stat("c1/r1/big.bin") is None
    assert [p.name for p in (tmp_path / "c1" / "r1").iterdir()] == []


async def test_delete_and_delete_prefix(tmp_path: Path) -> None:
    store = LocalFileStore(tmp_path)
    for key in ("c1/r1/a", "c1/r1/b", "c1/r2/a"):
        await store.save(key, _chunks(b"1"), 10)
    await store.delete("c1/r1/a")
    await store.delete("c1/r1/missing")
    assert await store.stat("c1/r1/a") is None
    await store.delete_prefix("c1/r1")
    assert await store.stat("c1/r1/b") is None
    assert await store.stat("c1/r2/a") is not None


@pytest.mark.parametrize(
    "key", ["../x", "c1/../../x", "c1//x", "c1/./x", "c1/a\\..\\x", "a\x00b", ""]
)
async def test_keys_cannot_leave_the_root(tmp_path: Path, key: str) -> None:
    store = LocalFileStore(tmp_path / "root")
    with pytest.raises(ValueError, match="invalid file key"):
        await store.save(key, _chunks(b"1"), 10)
    assert await store.stat(key) is None
    assert not (tmp_path / "x").exists()
