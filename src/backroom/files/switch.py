"""The app's file store: the local folder, or S3 when the settings enable it, switched live."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable, Mapping
from typing import Any

from backroom.core.ports import FileStore, StoredFile
from backroom.files.s3_settings import S3Config, open_s3_store

__all__ = ["SwitchingFileStore"]

log = logging.getLogger("backroom.files")


class SwitchingFileStore:
    """A ``FileStore`` that hands each operation to the backend the ``s3`` settings choose.

    A settings change applies to operations that start after it; operations already running
    finish on the backend they started on, which is closed once the last of them ends. As in
    PocketBase, switching moves no files: what was stored before stays where it was.
    """

    def __init__(
        self, local: FileStore, open_s3: Callable[[S3Config], FileStore] = open_s3_store
    ) -> None:
        self._local = local
        self._open_s3 = open_s3
        self._current = local
        self._config: S3Config | None = None
        self._running: dict[FileStore, int] = {}
        self._retired: set[FileStore] = set()
        self._closing: set[asyncio.Task[None]] = set()

    @property
    def backend(self) -> FileStore:
        """The store new operations go to."""
        return self._current

    def configure(self, s3: Mapping[str, Any]) -> None:
        """Follow an ``s3`` settings section; the same settings again change nothing."""
        config = S3Config.from_settings(s3) if s3["enabled"] else None
        if config == self._config:
            return
        old = self._current
        self._current = self._local if config is None else self._open_s3(config)
        self._config = config
        log.info("file storage: %s", "local" if config is None else f"S3 bucket {config.bucket}")
        if old is not self._local:
            self._retired.add(old)
            self._close_if_idle(old)

    def _acquire(self) -> FileStore:
        store = self._current
        self._running[store] = self._running.get(store, 0) + 1
        return store

    def _release(self, store: FileStore) -> None:
        left = self._running[store] - 1
        if left:
            self._running[store] = left
        else:
            del self._running[store]
            self._close_if_idle(store)

    def _close_if_idle(self, store: FileStore) -> None:
        if store not in self._retired or store in self._running:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return  # no loop to close it on now: ``close`` does it
        self._retired.discard(store)
        task = loop.create_task(self._close_store(store))
        self._closing.add(task)
        task.add_done_callback(self._closing.discard)

    @staticmethod
    async def _close_store(store: FileStore) -> None:
        try:
            await store.close()
        except Exception:
            log.exception("could not close a file store")

    async def save(self, key: str, chunks: AsyncIterator[bytes], max_size: int) -> int:
        store = self._acquire()
        try:
            return await store.save(key, chunks, max_size)
        finally:
            self._release(store)

    async def stat(self, key: str) -> StoredFile | None:
        store = self._acquire()
        try:
            return await store.stat(key)
        finally:
            self._release(store)

    async def read(self, key: str, start: int = 0, end: int | None = None) -> AsyncIterator[bytes]:
        store = self._acquire()
        chunks = store.read(key, start, end)
        try:
            async for chunk in chunks:
                yield chunk
        finally:
            # closed here, not when collected: an S3 read holds a pooled connection
            aclose = getattr(chunks, "aclose", None)
            if aclose is not None:
                await aclose()
            self._release(store)

    async def delete(self, key: str) -> None:
        store = self._acquire()
        try:
            await store.delete(key)
        finally:
            self._release(store)

    async def delete_prefix(self, prefix: str) -> None:
        store = self._acquire()
        try:
            await store.delete_prefix(prefix)
        finally:
            self._release(store)

    async def close(self) -> None:
        """Close every backend, the current one and any still finishing operations."""
        stores = {self._local, self._current, *self._retired}
        self._retired.clear()
        await asyncio.gather(*self._closing, *(self._close_store(s) for s in stores))
