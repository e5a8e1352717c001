"""Files in a folder of the data directory (``<data dir>/storage``), as PocketBase keeps them."""

from __future__ import annotations

import asyncio
import os
import secrets
import shutil
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

from backroom.core.ports import FileTooLarge, StoredFile
from backroom.files.keys import split_key

__all__ = ["LocalFileStore"]

_READ = 256 * 1024


def _open_and_read(path: Path, start: int, want: int) -> tuple[int, bytes]:
    fd = os.open(path, os.O_RDONLY)
    try:
        return fd, os.pread(fd, want, start)
    except BaseException:
        os.close(fd)
        raise


class LocalFileStore:
    def __init__(self, root: Path) -> None:
        self.root = root.resolve()

    def _path(self, key: str) -> Path:
        return self.root.joinpath(*split_key(key))

    async def save(self, key: str, chunks: AsyncIterator[bytes], max_size: int) -> int:
        path = self._path(key)
        await asyncio.to_thread(path.parent.mkdir, parents=True, exist_ok=True)
        # written beside the target and renamed into place: readers never see half a file
        partial = path.with_name(f".{path.name}.{secrets.token_hex(6)}.part")
        size = 0
        handle = await asyncio.to_thread(open, partial, "wb")
        try:
            async for chunk in chunks:
                size += len(chunk)
                if size > max_size:
                    raise FileTooLarge(key)
                await asyncio.to_thread(handle.write, chunk)
            await asyncio.to_thread(handle.close)
            await asyncio.to_thread(os.replace, partial, path)
        except BaseException:
            handle.close()
            partial.unlink(missing_ok=True)
            raise
        return size

    async def stat(self, key: str) -> StoredFile | None:
        try:
            st = await asyncio.to_thread(self._path(key).stat)
        except (FileNotFoundError, NotADirectoryError, ValueError):
            return None
        return StoredFile(st.st_size, datetime.fromtimestamp(st.st_mtime, UTC))

    async def read(self, key: str, start: int = 0, end: int | None = None) -> AsyncIterator[bytes]:
        path = self._path(key)
        left = None if end is None else max(0, end - start)
        want = _READ if left is None else min(_READ, left)
        # opening and the first read share one trip to a thread: most files are one chunk
        fd, chunk = await asyncio.to_thread(_open_and_read, path, start, want)
        try:
            offset = start
            while chunk:
                offset += len(chunk)
                if left is not None:
                    left -= len(chunk)
                yield chunk
                if left == 0 or len(chunk) < want:
                    break
                want = _READ if left is None else min(_READ, left)
                chunk = await asyncio.to_thread(os.pread, fd, want, offset)
        finally:
            os.close(fd)

    async def delete(self, key: str) -> None:
        await asyncio.to_thread(self._path(key).unlink, missing_ok=True)

    async def delete_prefix(self, prefix: str) -> None:
        path = self._path(prefix.rstrip("/"))
        await asyncio.to_thread(shutil.rmtree, path, ignore_errors=True)

    async def close(self) -> None:
        """Nothing to release: every operation opens and closes its own file."""
