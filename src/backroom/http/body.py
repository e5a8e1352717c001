"""Request bodies: JSON or form data, bounded in size, into a plain mapping."""

from __future__ import annotations

from typing import Any

import orjson
from starlette.requests import Request

from backroom.errors import BadRequestError, TooLargeError

__all__ = ["DEFAULT_BODY_LIMIT", "read_body"]

DEFAULT_BODY_LIMIT = 32 << 20
_INVALID = "Something went wrong while processing your request."
_JSON_TYPES = ("application/json", "")
_RAW_BODY = "backroom.raw_body"


async def _read_limited(request: Request, limit: int) -> bytes:
    kept: bytes | None = request.scope.get(_RAW_BODY)
    if kept is not None:  # read once already: the handler runs again (see http/stale.py)
        return kept
    declared = request.headers.get("content-length")
    if declared is not None:
        if not declared.isdigit():
            raise BadRequestError(_INVALID)
        if int(declared) > limit:
            raise TooLargeError()
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise TooLargeError()
        chunks.append(chunk)
    raw = request.scope[_RAW_BODY] = b"".join(chunks)
    return raw


async def read_body(
    request: Request, limit: int | None = None, not_an_object: str = _INVALID
) -> dict[str, Any]:
    """The body as a mapping; an empty body or ``null`` is ``{}``. JSON that is not an object
    is a 400 with the ``not_an_object`` message."""
    if limit is None:
        limit = int(getattr(request.app.state.backroom.settings, "body_limit", DEFAULT_BODY_LIMIT))
    ctype = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if ctype in ("multipart/form-data", "application/x-www-form-urlencoded"):
        declared = request.headers.get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            raise TooLargeError()
        try:
            form = await request.form(max_files=1000, max_fields=1000)
        except Exception as err:  # starlette raises several kinds for malformed multipart
            raise BadRequestError(_INVALID) from err
        out: dict[str, Any] = {}
        for key in form:
            values = [v for v in form.getlist(key) if isinstance(v, str)]
            if key == "@jsonPayload":
                for payload in values:
                    out.update(_parse_json(payload.encode(), not_an_object))
            elif values:
                out[key] = values[0] if len(values) == 1 else values
        return out
    raw = await _read_limited(request, limit)
    if not raw.strip():
        return {}
    if ctype not in _JSON_TYPES and not ctype.endswith("+json"):
        raise BadRequestError("Unsupported Content-Type.")
    return _parse_json(raw, not_an_object)


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
