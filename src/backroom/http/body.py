"""Request bodies: JSON or form data, bounded in size, into a plain mapping.

Form values (urlencoded or multipart) are typed as PocketBase types them: ``true`` and
``false`` become booleans, a number written in its shortest form becomes a number, and each
``@jsonPayload`` part is a JSON object laid over the other values.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qsl

import orjson
from starlette.requests import Request

from backroom.core.files.uploads import Upload
from backroom.errors import BadRequestError, TooLargeError
from backroom.http.multipart import FormLimits, Parts, read_multipart

__all__ = [
    "DEFAULT_BODY_LIMIT",
    "Body",
    "body_limit",
    "infer_value",
    "read_body",
    "read_body_with_files",
]

DEFAULT_BODY_LIMIT = 32 << 20
_INVALID = "Something went wrong while processing your request."
_JSON_TYPES = ("application/json", "")
_JSON_PAYLOAD = "@jsonPayload"


class Body:
    """A parsed body and the files it carried; ``close`` drops the files' spools."""

    def __init__(
        self, data: dict[str, Any], files: dict[str, list[Upload]] | None = None,
        parts: Parts | None = None,
    ) -> None:  # fmt: skip
        self.data = data
        self.files = files or {}
        self._parts = parts

    def close(self) -> None:
        if self._parts is not None:
            self._parts.close()


def _check_declared(request: Request, limit: int) -> None:
    declared = request.headers.get("content-length")
    if declared is not None:
        if not declared.isdigit():
            raise BadRequestError(_INVALID)
        if int(declared) > limit:
            raise TooLargeError()


_RAW_BODY = "backroom.raw_body"


async def _read_limited(request: Request, limit: int) -> bytes:
    kept: bytes | None = request.scope.get(_RAW_BODY)
    if kept is not None:  # read once already: the handler runs again (see http/stale.py)
        return kept
    _check_declared(request, limit)
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise TooLargeError()
        chunks.append(chunk)
    raw = request.scope[_RAW_BODY] = b"".join(chunks)
    return raw


def infer_value(raw: str) -> Any:
    """A form value as PocketBase reads it: booleans and shortest-form numbers are typed."""
    if raw == "true":
        return True
    if raw == "false":
        return False
    if raw and (raw[0] == "-" or raw[0].isdigit()):
        try:
            number = float(raw)
        except ValueError:
            return raw
        if math.isfinite(number) and format(Decimal(repr(number)).normalize(), "f") == raw:
            return int(number) if number.is_integer() and abs(number) < 2**53 else number
    return raw


def _form_data(
    values: list[tuple[str, str]], not_an_object: str, infer: bool = False
) -> dict[str, Any]:
    grouped: dict[str, list[str]] = {}
    for key, value in values:
        grouped.setdefault(key, []).append(value)
    out: dict[str, Any] = {}
    for key, items in grouped.items():
        if key == _JSON_PAYLOAD:
            continue
        typed = [infer_value(v) for v in items] if infer else list(items)
        out[key] = typed[0] if len(typed) == 1 else typed
    for payload in grouped.get(_JSON_PAYLOAD, []):
        out.update(_parse_json(payload.encode(), not_an_object))
    return out


def _ctype(request: Request) -> str:
    return request.headers.get("content-type", "").split(";", 1)[0].strip().lower()


def body_limit(request: Request) -> int:
    return int(getattr(request.app.state.backroom.settings, "body_limit", DEFAULT_BODY_LIMIT))


async def read_body_with_files(
    request: Request,
    limit: int | None = None,
    keep: Callable[[str], int | None] | None = None,
    not_an_object: str = _INVALID,
    *,
    infer: bool = False,
) -> Body:
    """The body and, for multipart, the files whose names ``keep`` accepts (see
    ``read_multipart``); the caller closes it. ``infer`` types form values as PocketBase
    does for record data."""
    if limit is None:
        limit = body_limit(request)
    ctype = _ctype(request)
    if ctype == "multipart/form-data":
        _check_declared(request, limit)
        parts = await read_multipart(request, FormLimits(limit), keep or (lambda _: None))
        try:
            return Body(_form_data(parts.values, not_an_object, infer), parts.files, parts)
        except BaseException:
            parts.close()
            raise
    raw = await _read_limited(request, limit)
    if ctype == "application/x-www-form-urlencoded":
        try:
            pairs = parse_qsl(raw.decode("utf-8", "replace"), keep_blank_values=True)
        except ValueError:
            raise BadRequestError(_INVALID) from None
        return Body(_form_data(pairs, not_an_object, infer))
    if not raw.strip():
        return Body({})
    if ctype not in _JSON_TYPES and not ctype.endswith("+json"):
        raise BadRequestError("Unsupported Content-Type.")
    return Body(_parse_json(raw, not_an_object))


async def read_body(
    request: Request, limit: int | None = None, not_an_object: str = _INVALID
) -> dict[str, Any]:
    """The body as a mapping; an empty body or ``null`` is ``{}``. JSON that is not an object
    is a 400 with the ``not_an_object`` message. Files sent as multipart are dropped."""
    body = await read_body_with_files(request, limit, None, not_an_object)
    body.close()
    return body.data


def _parse_json(raw: bytes, not_an_object: str) -> dict[str, Any]:
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise BadRequestError(_INVALID) from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise BadRequestError(not_an_object)
    return data
