"""The file side of record writes: store a write's uploads before it commits, delete the
files it replaced or removed only after it has committed, and leave nothing behind when it
fails."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence

from backroom.core.collections.model import Collection
from backroom.core.files.names import file_key
from backroom.core.files.uploads import FilePlan, Upload, upload_precheck
from backroom.core.ports import FileStore

__all__ = ["FileWrites", "has_files", "prestorable", "uploads_by_name"]

log = logging.getLogger("backroom.files")


def has_files(c: Collection) -> bool:
    return any(f.type == "file" for f in c.fields)


def uploads_by_name(uploads: Mapping[str, Sequence[Upload]] | None) -> dict[str, Upload]:
    return {u.name: u for files in (uploads or {}).values() for u in files}


def prestorable(
    c: Collection, record_id: str, uploads: Mapping[str, Sequence[Upload]]
) -> list[tuple[str, Upload]]:
    """The uploads of file fields that pass their field's checks, with their keys."""
    out: list[tuple[str, Upload]] = []
    for key, files in uploads.items():
        f = c.field(key.strip("+-"))
        if f is None or f.type != "file":
            continue
        out.extend(
            (file_key(c.id, record_id, u.name), u)
            for u in files
            if upload_precheck(c, key, u) is None
        )
    return out


class FileWrites:
    """The store side of one record write, around its transaction."""

    def __init__(self, store: FileStore) -> None:
        self._store = store
        self._saved: list[str] = []

    async def store(self, pairs: Iterable[tuple[str, Upload]]) -> None:
        """Stream each upload from the request's spool into the store."""
        for key, upload in pairs:
            if key in self._saved:
                continue
            self._saved.append(key)
            await self._store.save(key, upload.open(), upload.size)

    async def discard(self, keep: Iterable[str] = ()) -> None:
        """Delete what this write stored, except ``keep``: the write failed, or did not use
        all of it."""
        kept = set(keep)
        for key in self._saved:
            if key not in kept:
                await self._quietly(self._store.delete, key)
        self._saved = [k for k in self._saved if k in kept]

    async def committed(self, plan: FilePlan | None) -> None:
        """The write committed: delete the files it replaced or removed."""
        if plan is None:
            return
        for key in plan.delete:
            await self._quietly(self._store.delete, key)
        for prefix in plan.delete_prefixes:
            await self._quietly(self._store.delete_prefix, prefix)

    async def delete_records(self, removed: Iterable[tuple[Collection, str]]) -> None:
        """Records were deleted, and that committed: delete their folders of files."""
        for c, rid in removed:
            if has_files(c):
                await self._quietly(self._store.delete_prefix, f"{c.id}/{rid}/")

    @staticmethod
    async def _quietly(delete: Callable[[str], Awaitable[None]], key: str) -> None:
        try:
            await delete(key)
        except Exception:
            # the write stands; a file left over is logged rather than failing it
            log.exception("could not delete the stored file(s) %s", key)
