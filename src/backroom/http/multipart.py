"""multipart/form-data read as it streams in, within limits.

Values are kept in memory (the whole body is bounded); each file goes to a temporary spool
(memory first, then disk), and stops being kept once it passes its field's ``maxSize``: the
rest of it is read and dropped, and the record write reports the size error. A body with too
many parts or an oversized part header is refused as soon as that is seen, before the rest
of it is read.
"""

from __future__ import annotations

import asyncio
import tempfile
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import IO, TYPE_CHECKING, Any, cast

from python_multipart.exceptions import ParseError
from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.requests import Request

from backroom.core.files.mime import SNIFF_BYTES, sniff
from backroom.core.files.names import normalize_name
from backroom.core.files.uploads import Upload
from backroom.errors import BadRequestError, TooLargeError

if TYPE_CHECKING:
    from python_multipart.multipart import MultipartCallbacks

__all__ = ["FormLimits", "Parts", "read_multipart"]

_INVALID = "Something went wrong while processing your request."
_SPOOL_IN_MEMORY = 1 << 20
_READ_CHUNK = 64 * 1024


@dataclass(frozen=True, slots=True)
class FormLimits:
    body: int
    max_parts: int = 1000
    max_part_headers: int = 16 << 10


@dataclass
class Parts:
    """What a multipart body held: values by name (in order) and files by name."""

    values: list[tuple[str, str]] = field(default_factory=list)
    files: dict[str, list[Upload]] = field(default_factory=dict)
    _spools: list[IO[bytes]] = field(default_factory=list)

    def spool(self) -> IO[bytes]:
        """A new spool for a file, closed with the others."""
        spool = tempfile.SpooledTemporaryFile(max_size=_SPOOL_IN_MEMORY)  # noqa: SIM115
        self._spools.append(spool)
        return spool

    def close(self) -> None:
        for spool in self._spools:
            spool.close()
        self._spools.clear()


def _reader(spool: IO[bytes]) -> Callable[[], AsyncIterator[bytes]]:
    async def chunks() -> AsyncIterator[bytes]:
        spool.seek(0)
        # a spool that went to disk is read on a thread, so a big file does not stall the loop
        on_disk = bool(getattr(spool, "_rolled", True))
        while True:
            if on_disk:
                chunk = await asyncio.to_thread(spool.read, _READ_CHUNK)
            else:
                chunk = spool.read(_READ_CHUNK)
            if not chunk:
                return
            yield chunk

    return chunks


class _Collector:
    def __init__(self, limits: FormLimits, keep: Callable[[str], int | None], out: Parts) -> None:
        self._limits = limits
        self._keep = keep
        self._out = out
        self._parts = 0
        self._header_bytes = 0
        self._field = bytearray()
        self._value = bytearray()
        self._headers: dict[str, str] = {}
        self._name = ""
        self._filename: str | None = None
        self._spool: IO[bytes] | None = None
        self._limit: int | None = None
        self._size = 0
        self._head = bytearray()
        self._data = bytearray()

    def callbacks(self) -> dict[str, Any]:
        return {
            "on_part_begin": self._begin,
            "on_header_field": self._header_field,
            "on_header_value": self._header_value,
            "on_header_end": self._header_end,
            "on_headers_finished": self._headers_finished,
            "on_part_data": self._part_data,
            "on_part_end": self._part_end,
        }

    def _begin(self) -> None:
        self._parts += 1
        if self._parts > self._limits.max_parts:
            raise BadRequestError(_INVALID)
        self._header_bytes = 0
        self._headers = {}
        self._field.clear()
        self._value.clear()
        self._filename = None
        self._spool = None
        self._limit = None
        self._size = 0
        self._head.clear()
        self._data.clear()

    def _count_header(self, n: int) -> None:
        self._header_bytes += n
        if self._header_bytes > self._limits.max_part_headers:
            raise BadRequestError(_INVALID)

    def _header_field(self, data: bytes, start: int, end: int) -> None:
        self._count_header(end - start)
        self._field += data[start:end]

    def _header_value(self, data: bytes, start: int, end: int) -> None:
        self._count_header(end - start)
        self._value += data[start:end]

    def _header_end(self) -> None:
        name = self._field.decode("latin-1").strip().lower()
        self._headers[name] = self._value.decode("latin-1")
        self._field.clear()
        self._value.clear()

    def _headers_finished(self) -> None:
        _, options = parse_options_header(self._headers.get("content-disposition", ""))
        raw_name = options.get(b"name")
        if raw_name is None:
            raise BadRequestError(_INVALID)
        self._name = raw_name.decode("utf-8", "replace")
        raw_filename = options.get(b"filename")
        if raw_filename:
            self._filename = raw_filename.decode("utf-8", "replace")
            self._limit = self._keep(self._name)
            if self._limit is not None:
                self._spool = self._out.spool()

    def _part_data(self, data: bytes, start: int, end: int) -> None:
        if self._filename is None:
            self._data += data[start:end]
            return
        self._size += end - start
        if self._spool is None:
            return
        if len(self._head) < SNIFF_BYTES:
            self._head += data[start : min(end, start + SNIFF_BYTES - len(self._head))]
        assert self._limit is not None
        if self._size > self._limit:
            self._spool.close()  # past the field's limit: keep nothing more
            self._spool = None
            return
        self._spool.write(data[start:end])

    def _part_end(self) -> None:
        if self._filename is None:
            self._out.values.append((self._name, self._data.decode("utf-8", "replace")))
            return
        if self._limit is None:
            return  # not a file field: PocketBase ignores such files
        sniffed = sniff(bytes(self._head), complete=self._size <= SNIFF_BYTES)
        spool = self._spool
        upload = Upload(
            original_name=self._filename,
            name=normalize_name(self._filename, sniffed.ext),
            size=self._size,
            mime=sniffed.mime,
            open=_reader(spool) if spool is not None else _nothing,
            too_large=spool is None,
        )
        self._out.files.setdefault(self._name, []).append(upload)


async def _nothing() -> AsyncIterator[bytes]:
    empty: tuple[bytes, ...] = ()
    for chunk in empty:
        yield chunk


async def read_multipart(
    request: Request, limits: FormLimits, keep: Callable[[str], int | None]
) -> Parts:
    """Parse the body. ``keep(name)`` is how many bytes of a file sent under ``name`` to keep,
    or None to drop such files."""
    _, params = parse_options_header(request.headers.get("content-type", ""))
    boundary = params.get(b"boundary")
    if not boundary:
        raise BadRequestError(_INVALID)
    out = Parts()
    collector = _Collector(limits, keep, out)
    parser = MultipartParser(boundary, cast("MultipartCallbacks", collector.callbacks()))
    total = 0
    try:
        async for chunk in request.stream():
            total += len(chunk)
            if total > limits.body:
                raise TooLargeError()
            parser.write(chunk)
        parser.finalize()
        if parser.state.name not in ("END", "END_BOUNDARY"):
            raise BadRequestError(_INVALID)
    except ParseError:
        out.close()
        raise BadRequestError(_INVALID) from None
    except BaseException:
        out.close()
        raise
    return out
