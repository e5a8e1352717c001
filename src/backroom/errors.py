"""One exception tree for the whole of Backroom.

    BackroomError                  any error with a client-facing message and details
     +-- BadRequestError            the input is invalid (field errors in ``data``)
     |    +-- ValidationError       one or more field errors
     |    +-- QueryTimeoutError     a query ran past the statement time limit
     +-- UnauthorizedError          a valid auth token is required
     |    +-- MfaRequiredError      a first sign-in passed; a second, by another method, is due
     +-- ForbiddenError             the caller may not do this
     +-- NotFoundError              no such resource (or hidden by a rule)
     +-- TooLargeError              the request body is over the limit
     +-- TooManyRequestsError       rate limit hit
     +-- UnavailableError           overloaded or shutting down; retry later

The HTTP layer maps each class to a status; nothing here knows about HTTP.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = [
    "BackroomError",
    "BadRequestError",
    "ErrorDetail",
    "ForbiddenError",
    "MfaRequiredError",
    "NotFoundError",
    "QueryTimeoutError",
    "TooLargeError",
    "TooManyRequestsError",
    "UnauthorizedError",
    "UnavailableError",
    "ValidationError",
]


class ErrorDetail:
    """One field error: a stable machine code and a human message."""

    __slots__ = ("code", "message", "params")

    def __init__(self, code: str, message: str, params: Mapping[str, Any] | None = None) -> None:
        self.code = code
        self.message = message
        self.params = dict(params or {})

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.params:
            out["params"] = self.params
        return out

    def __repr__(self) -> str:
        return f"ErrorDetail({self.code!r}, {self.message!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ErrorDetail) and (self.code, self.message) == (
            other.code,
            other.message,
        )

    def __hash__(self) -> int:
        return hash((self.code, self.message))


ErrorData = Mapping[str, Any]


class BackroomError(Exception):
    default_message = "Something went wrong while processing your request."

    def __init__(self, message: str | None = None, data: ErrorData | None = None) -> None:
        self.message = message or self.default_message
        self.data: dict[str, Any] = dict(data or {})
        super().__init__(self.message)

    def data_json(self) -> dict[str, Any]:
        return _to_json(self.data)


def _to_json(data: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in data.items():
        if isinstance(value, ErrorDetail):
            out[key] = value.to_json()
        elif isinstance(value, Mapping):
            out[key] = _to_json(value)
        else:
            out[key] = value
    return out


class BadRequestError(BackroomError):
    default_message = "Something went wrong while processing your request."


class QueryTimeoutError(BadRequestError):
    """A query ran past the statement time limit: the filter or rule is too expensive."""

    default_message = "The request took too long to process; narrow the filter."


class ValidationError(BadRequestError):
    """Field errors; ``data`` maps a field name (or nested path) to an ErrorDetail."""

    default_message = "An error occurred while validating the submitted data."


class UnauthorizedError(BackroomError):
    default_message = "The request requires valid record authorization token."


class MfaRequiredError(UnauthorizedError):
    """Answered as PocketBase answers it: only ``{"mfaId": ...}``, for the second sign-in."""

    default_message = "A second authentication method is required."

    def __init__(self, mfa_id: str) -> None:
        super().__init__()
        self.mfa_id = mfa_id


class ForbiddenError(BackroomError):
    default_message = "The authorized record is not allowed to perform this action."


class NotFoundError(BackroomError):
    default_message = "The requested resource wasn't found."


class TooLargeError(BackroomError):
    default_message = "Request entity too large."


class TooManyRequestsError(BackroomError):
    default_message = "Too Many Requests."

    def __init__(
        self, message: str | None = None, data: ErrorData | None = None, *, retry_after: float = 1
    ) -> None:
        super().__init__(message, data)
        self.retry_after = retry_after


class UnavailableError(BackroomError):
    default_message = "Service temporarily unavailable."
