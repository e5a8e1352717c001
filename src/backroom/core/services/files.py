"""Use cases on stored files: which file a URL names, who may fetch a protected one, file
tokens, and thumbnails made once and kept in the file store."""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from backroom.core.auth.file_tokens import issue_file_token, read_file_claims, verify_file_token
from backroom.core.collections.model import Collection, Schema
from backroom.core.context import AuthInfo, RequestContext
from backroom.core.fields.file import FileField
from backroom.core.files.mime import SNIFF_BYTES, Sniffed, sniff
from backroom.core.files.names import file_key, thumb_key
from backroom.core.files.thumbs import (
    DEFAULT_THUMBS,
    Thumbnailer,
    ThumbnailRefused,
    parse_thumb_size,
)
from backroom.core.ports import FileStore, RecordQuery, Storage
from backroom.core.services.access import Access
from backroom.errors import NotFoundError, UnauthorizedError

__all__ = ["FileService", "ServedFile"]

log = logging.getLogger("backroom.files")

_MISSING_COLLECTION = "Missing or invalid collection context."
_KNOWN_FILES = 4096
_REFUSED_CACHE = 1024
_SMALL_FILE = 64 << 10
_THUMBS_IN_MEMORY = 32 << 20


@dataclass(frozen=True, slots=True)
class ServedFile:
    key: str
    name: str  # the name the client sees (``100x100_<name>`` for a thumbnail)
    size: int
    modified: datetime
    sniffed: Sniffed
    data: bytes | None = None  # the bytes themselves, for a small thumbnail kept in memory


class _Bounded(OrderedDict[Any, Any]):
    def __init__(self, size: int) -> None:
        super().__init__()
        self._size = size

    def put(self, key: Any, value: Any) -> None:
        self[key] = value
        self.move_to_end(key)
        while len(self) > self._size:
            self.popitem(last=False)


class _BytesLRU:
    """Small immutable files (thumbnails) kept in memory, up to ``limit`` bytes in all."""

    def __init__(self, limit: int) -> None:
        self._limit = limit
        self._used = 0
        self._items: OrderedDict[str, bytes] = OrderedDict()

    def get(self, key: str) -> bytes | None:
        data = self._items.get(key)
        if data is not None:
            self._items.move_to_end(key)
        return data

    def put(self, key: str, data: bytes) -> None:
        if len(data) > _SMALL_FILE or key in self._items:
            return
        self._items[key] = data
        self._used += len(data)
        while self._used > self._limit:
            _, dropped = self._items.popitem(last=False)
            self._used -= len(dropped)


async def _one(data: bytes) -> AsyncIterator[bytes]:
    yield data


class FileService:
    def __init__(
        self,
        schema: Schema,
        storage: Storage,
        store: FileStore,
        access: Access,
        thumbnailer: Thumbnailer,
    ) -> None:
        self._schema = schema
        self._storage = storage
        self._store = store
        self._access = access
        self._thumbnailer = thumbnailer
        self._known = _Bounded(_KNOWN_FILES)
        self._thumb_bytes = _BytesLRU(_THUMBS_IN_MEMORY)
        self._refused = _Bounded(_REFUSED_CACHE)
        self._making: dict[str, asyncio.Future[bool]] = {}

    # ---- tokens -----------------------------------------------------------------------

    def issue_token(self, ctx: RequestContext) -> str:
        if ctx.auth is None:
            raise UnauthorizedError("The request requires valid record authorization token.")
        c = self._schema.get(ctx.auth.collection_id)
        if c is None:
            raise UnauthorizedError("The request requires valid record authorization token.")
        return issue_file_token(c, ctx.auth.record)

    async def token_owner(self, token: str) -> AuthInfo | None:
        """The auth record a file token belongs to, or None for any token that does not verify."""
        claims = read_file_claims(token) if token else None
        if claims is None:
            return None
        c = self._schema.get(str(claims.get("collectionId", "")))
        if c is None or not c.is_auth or c.id != claims.get("collectionId"):
            return None
        found = await self._storage.get_records(c, [str(claims.get("id", ""))])
        if not found or not verify_file_token(token, c, found[0], claims):
            return None
        return AuthInfo(c.id, c.name, found[0])

    # ---- serving ----------------------------------------------------------------------

    async def _may_view(self, c: Collection, record_id: str, ctx: RequestContext) -> bool:
        if ctx.is_superuser:
            return True
        rule = c.rule("viewRule")
        if rule is None:
            return False
        if rule == "":
            return True
        plan = self._access.rule(c, rule, ctx)
        query = RecordQuery(
            c, [plan], ids=[record_id], limit=1, bind=self._access.bind([plan], ctx)
        )
        return bool((await self._storage.query(query)).items)

    async def _served(self, key: str, name: str) -> ServedFile | None:
        """The stored file at ``key`` with its size, time and sniffed type. A stored file never
        changes (every upload and thumbnail gets a name of its own), so what was learnt of a
        key is kept and reused; a file that is gone is looked up again each time."""
        known = self._known.get(key)
        if known is None:
            stat = await self._store.stat(key)
            if stat is None:
                return None
            head = bytearray()
            async for chunk in self._store.read(key, 0, min(SNIFF_BYTES, stat.size)):
                head += chunk
            known = (
                stat.size,
                stat.modified,
                sniff(bytes(head), complete=stat.size <= SNIFF_BYTES),
            )
            self._known.put(key, known)
        return ServedFile(key, name, *known)

    async def find(
        self,
        collection: str,
        record_id: str,
        filename: str,
        *,
        thumb: str = "",
        token: str = "",
        ctx: RequestContext | None = None,
    ) -> ServedFile:
        """The stored file (or thumbnail) a file URL names, if the caller may fetch it."""
        c = self._schema.get(collection)
        if c is None:
            raise NotFoundError(_MISSING_COLLECTION)
        records = await self._storage.get_records(c, [record_id]) if record_id else []
        if not records:
            raise NotFoundError()
        f = _field_holding(c, records[0], filename)
        if f is None:
            raise NotFoundError()
        if f.protected:
            owner = await self.token_owner(token)
            base = ctx or RequestContext()
            check = RequestContext(
                auth=owner,
                method=base.method,
                context="protectedFile",
                headers=base.headers,
                query=base.query,
                client_ip=base.client_ip,
            )
            if not await self._may_view(c, record_id, check):
                raise NotFoundError()
        original = await self._served(file_key(c.id, record_id, filename), filename)
        if original is None:
            raise NotFoundError()
        if thumb and (thumb in DEFAULT_THUMBS or thumb in f.thumbs) and original.sniffed.is_image:
            key = thumb_key(c.id, record_id, filename, thumb)
            served = await self._served(key, f"{thumb}_{filename}")
            if served is None and await self._make_once(original, key, thumb):
                served = await self._served(key, f"{thumb}_{filename}")
            if served is not None:
                return await self._with_bytes(served)
        return original

    async def _with_bytes(self, served: ServedFile) -> ServedFile:
        """A small thumbnail with its bytes, from memory when they are there: serving one
        then needs no trip to the file store."""
        data = self._thumb_bytes.get(served.key)
        if data is None and served.size <= _SMALL_FILE:
            buf = bytearray()
            async for chunk in self._store.read(served.key, 0, served.size):
                buf += chunk
            data = bytes(buf)
            self._thumb_bytes.put(served.key, data)
        return served if data is None else replace(served, data=data)

    async def _make_once(self, original: ServedFile, key: str, spec: str) -> bool:
        """Make the thumbnail at ``key``, once however many ask at the same time; False when
        the image cannot be thumbnailed (the original is served, as PocketBase does)."""
        if (original.key, original.modified, spec) in self._refused:
            return False
        pending = self._making.get(key)
        if pending is not None:
            return await asyncio.shield(pending)
        future: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self._making[key] = future
        try:
            ok = await self._make_thumb(original, key, spec)
            future.set_result(ok)
        except BaseException as err:
            future.set_exception(err)
            raise
        finally:
            del self._making[key]
            if not future.cancelled():
                future.exception()  # retrieved here, so an unawaited failure is not logged
        return ok

    async def _make_thumb(self, original: ServedFile, key: str, spec: str) -> bool:
        size = parse_thumb_size(spec)
        if size is None:
            return False
        try:
            data = await self._thumbnailer.make(self._store.read(original.key), size)
        except ThumbnailRefused as err:
            log.info("thumbnail %s of %s refused: %s", spec, original.key, err)
            self._refused.put((original.key, original.modified, spec), True)
            return False
        await self._store.save(key, _one(data), len(data))
        self._thumb_bytes.put(key, data)
        return True


def _field_holding(c: Collection, record: Mapping[str, Any], filename: str) -> FileField | None:
    if not filename:
        return None
    for f in c.fields:
        if not isinstance(f, FileField):
            continue
        value = record.get(f.name)
        names = value if isinstance(value, list) else [value]
        if filename in names:
            return f
    return None
