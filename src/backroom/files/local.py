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

_CHUNK = 64 * 1024


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
        handle = await asyncio.to_thread(open, self._path(key), "rb")
        try:
            await asyncio.to_thread(handle.seek, start)
            left = None if end is None else max(0, end - start)
            while left is None or left > 0:
                want = _CHUNK if left is None else min(_CHUNK, left)
                chunk = await asyncio.to_thread(handle.read, want)
                if not chunk:
                    break
                if left is not None:
                    left -= len(chunk)
                yield chunk
        finally:
            handle.close()

    async def delete(self, key: str) -> None:
        await asyncio.to_thread(self._path(key).unlink, missing_ok=True)

    async def delete_prefix(self, prefix: str) -> None:
        path = self._path(prefix.rstrip("/"))
        await asyncio.to_thread(shutil.rmtree, path, ignore_errors=True)

    async def close(self) -> None:
        """Nothing to release: every operation opens and closes its own file."""
