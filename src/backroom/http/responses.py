"""JSON responses serialized with orjson, and domain errors in PocketBase's error shape."""

from __future__ import annotations

import math
from typing import Any

import orjson
from starlette.responses import Response

from backroom.errors import (
    BackroomError,
    ForbiddenError,
    MfaRequiredError,
    NotFoundError,
    TooLargeError,
    TooManyRequestsError,
    UnauthorizedError,
    UnavailableError,
)

__all__ = ["JSON", "error_response", "status_for"]

_STATUS: list[tuple[type[BackroomError], int]] = [
    (UnauthorizedError, 401),
    (ForbiddenError, 403),
    (NotFoundError, 404),
    (TooLargeError, 413),
    (TooManyRequestsError, 429),
    (UnavailableError, 503),
]


class JSON(Response):
    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content)


def status_for(err: BackroomError) -> int:
    for cls, status in _STATUS:
        if isinstance(err, cls):
            return status
    return 400


def error_response(err: BackroomError) -> JSON:
    if isinstance(err, MfaRequiredError):
        return JSON({"mfaId": err.mfa_id}, status_code=401)
    status = status_for(err)
    headers = None
    if status in (429, 503):
        wait = err.retry_after if isinstance(err, TooManyRequestsError) else 1
        headers = {"Retry-After": str(max(1, math.ceil(wait)))}
    return JSON(
        {"status": status, "message": err.message, "data": err.data_json()},
        status_code=status,
        headers=headers,
    )


def plain_error(status: int, message: str) -> JSON:
    return JSON({"status": status, "message": message, "data": {}}, status_code=status)
