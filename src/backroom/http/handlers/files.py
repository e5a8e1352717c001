"""The files API: serving stored files and thumbnails, and issuing file tokens.

A file is streamed from the file store, never read whole into memory. Its headers are
PocketBase's: ``inline`` only for a sniffed type that browsers show as media or PDF,
``attachment`` for everything else (HTML and SVG included), ``nosniff`` and a sandboxing
Content-Security-Policy on every file.
"""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from backroom.core.context import RequestContext
from backroom.core.ports import FileStore
from backroom.core.services.files import ServedFile
from backroom.http.client_ip import client_ip
from backroom.http.context import app_of, request_context
from backroom.http.middleware import EMBEDDABLE
from backroom.http.ranges import (
    NO_OVERLAP,
    ByteRange,
    RangeError,
    http_date,
    parse_http_date,
    parse_range,
)
from backroom.http.responses import JSON

__all__ = ["ROUTES", "content_disposition"]

_CSP = "default-src 'none'; media-src 'self'; style-src 'unsafe-inline'; sandbox"
_CACHE = "max-age=2592000, stale-while-revalidate=86400"
_INLINE = frozenset(
    {
        "image/png", "image/jpg", "image/jpeg", "image/gif", "image/webp", "image/x-icon",
        "image/bmp", "video/webm", "video/mp4", "video/3gpp", "video/quicktime",
        "video/x-ms-wmv", "audio/basic", "audio/aiff", "audio/mpeg", "audio/midi", "audio/mp3",
        "audio/wave", "audio/wav", "audio/x-wav", "audio/x-mpeg", "audio/x-m4a", "audio/aac",
        "application/pdf", "application/x-pdf",
    }
)  # fmt: skip
# types browsers must be told by name (PocketBase does the same)
_BY_EXTENSION = {
    ".svg": "image/svg+xml",
    ".css": "text/css",
    ".js": "text/javascript",
    ".mjs": "text/javascript",
}
_TRUE = {"1", "t", "T", "true", "TRUE", "True"}


def content_disposition(kind: str, name: str) -> str:
    """RFC 6266: a quoted ASCII name, plus ``filename*`` when the name is not plain ASCII."""
    plain = name.isascii() and name.isprintable()
    safe = name.replace("\\", "\\\\").replace('"', '\\"') if plain else "file"
    out = f'{kind}; filename="{safe}"'
    if not plain:
        out += f"; filename*=UTF-8''{quote(name, safe='')}"
    return out


def _content_type(served: ServedFile) -> str:
    dot = served.name.rfind(".")
    ext = served.name[dot:].lower() if dot >= 0 else ""
    return _BY_EXTENSION.get(ext, served.sniffed.mime)


def _file_headers(served: ServedFile, download: bool) -> dict[str, str]:
    inline = not download and served.sniffed.mime in _INLINE
    return {
        "content-disposition": content_disposition(
            "inline" if inline else "attachment", served.name
        ),
        "content-security-policy": _CSP,
    }


class FileResponse(Response):
    """One stored file, whole, in ranges, or not at all (304, 412, 416)."""

    def __init__(self, store: FileStore, served: ServedFile, request: Request) -> None:
        super().__init__(status_code=200)
        self._store = store
        self._served = served
        self._head = request.method == "HEAD"
        self._ranges: list[ByteRange] = []
        self._boundary = ""
        self._error = ""
        self._ctype = ""
        download = request.query_params.get("download", "") in _TRUE
        headers = _file_headers(served, download)
        self._prepare(request, headers)

    def _prepare(self, request: Request, headers: dict[str, str]) -> None:
        served = self._served
        modified = http_date(served.modified)
        since = parse_http_date(request.headers.get("if-unmodified-since", ""))
        if since is not None and served.modified.replace(microsecond=0) > since:
            self.status_code = 412
            self._set(headers, {"last-modified": modified})
            return
        since = parse_http_date(request.headers.get("if-modified-since", ""))
        if since is not None and served.modified.replace(microsecond=0) <= since:
            self.status_code = 304
            self._set(headers, {"cache-control": _CACHE, "last-modified": modified})
            return
        ctype = _content_type(served)
        range_header = request.headers.get("range", "")
        if_range = request.headers.get("if-range")
        if range_header and if_range is not None and if_range != modified:
            range_header = ""
        try:
            self._ranges = parse_range(range_header, served.size)
        except RangeError as err:
            self._error = f"{err}\n"
            self.status_code = 416
            extra = {"content-type": "text/plain; charset=utf-8"}
            if str(err) == NO_OVERLAP:
                extra["content-range"] = f"bytes */{served.size}"
            extra["content-length"] = str(len(self._error))
            self._set(headers, extra)
            return
        base = {"accept-ranges": "bytes", "cache-control": _CACHE, "last-modified": modified}
        if len(self._ranges) == 1:
            only = self._ranges[0]
            self.status_code = 206
            self._set(
                headers,
                {
                    **base,
                    "content-type": ctype,
                    "content-range": only.content_range(served.size),
                    "content-length": str(only.length),
                },
            )
        elif self._ranges:
            self.status_code = 206
            self._boundary = secrets.token_hex(30)
            length = sum(len(p) + r.length for p, r in self._part_heads(ctype)) + len(self._tail())
            self._set(
                headers,
                {
                    **base,
                    "content-type": f"multipart/byteranges; boundary={self._boundary}",
                    "content-length": str(length),
                },
            )
            self._ctype = ctype
        else:
            self._set(headers, {**base, "content-type": ctype, "content-length": str(served.size)})

    def _set(self, headers: dict[str, str], extra: dict[str, str]) -> None:
        merged = {**headers, **extra}
        self.raw_headers = [(k.encode(), v.encode("latin-1")) for k, v in sorted(merged.items())]

    def _part_heads(self, ctype: str) -> list[tuple[bytes, ByteRange]]:
        out = []
        for i, r in enumerate(self._ranges):
            lead = b"" if i == 0 else b"\r\n"
            head = (
                f"--{self._boundary}\r\nContent-Range: {r.content_range(self._served.size)}\r\n"
                f"Content-Type: {ctype}\r\n\r\n"
            ).encode("latin-1")
            out.append((lead + head, r))
        return out

    def _tail(self) -> bytes:
        return f"\r\n--{self._boundary}--\r\n".encode("latin-1")

    async def _body(self) -> AsyncIterator[bytes]:
        if self.status_code in (304, 412):
            return
        if self._error:
            yield self._error.encode()
            return
        key = self._served.key
        data = self._served.data
        if data is not None:
            if not self._ranges:
                yield data
            elif not self._boundary:
                yield data[self._ranges[0].start : self._ranges[0].end]
            else:
                for head, r in self._part_heads(self._ctype):
                    yield head + data[r.start : r.end]
                yield self._tail()
            return
        if not self._ranges:
            async for chunk in self._store.read(key, 0, self._served.size):
                yield chunk
        elif not self._boundary:
            r = self._ranges[0]
            async for chunk in self._store.read(key, r.start, r.end):
                yield chunk
        else:
            for head, r in self._part_heads(self._ctype):
                yield head
                async for chunk in self._store.read(key, r.start, r.end):
                    yield chunk
            yield self._tail()

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        await send(
            {"type": "http.response.start", "status": self.status_code, "headers": self.raw_headers}
        )
        last = b""
        if not self._head:
            # one chunk behind, so the last one goes out with the end of the body
            async for chunk in self._body():
                if last:
                    await send({"type": "http.response.body", "body": last, "more_body": True})
                last = chunk
        await send({"type": "http.response.body", "body": last, "more_body": False})


def _plain_context(request: Request) -> RequestContext:
    """What a protected file's viewRule may read of the request; the auth comes from the
    file token, never from the Authorization header."""
    return RequestContext(
        method=request.method,
        headers=request.headers,
        query=request.query_params,
        client_ip=client_ip(request.scope, app_of(request).trusted_proxy),
    )


async def download(request: Request) -> Response:
    app = app_of(request)
    p = request.path_params
    q = request.query_params
    served = await app.file_service.find(
        p["collection"],
        p["recordId"],
        p["filename"],
        thumb=q.get("thumb", ""),
        token=q.get("token", ""),
        ctx=_plain_context(request),
    )
    request.scope[EMBEDDABLE] = True
    return FileResponse(app.files, served, request)


async def token(request: Request) -> JSON:
    ctx = await request_context(request)
    return JSON({"token": app_of(request).file_service.issue_token(ctx)})


ROUTES = [
    Route("/api/files/token", token, methods=["POST"]),
    Route("/api/files/{collection}/{recordId}/{filename:path}", download, methods=["GET", "HEAD"]),
]
