"""Query-string parameters."""

from __future__ import annotations

from starlette.requests import Request

from backroom.errors import BadRequestError

__all__ = ["bool_param", "int_param", "str_param"]


def int_param(request: Request, name: str, default: int) -> int:
    raw = request.query_params.get(name, "")
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError:
        raise BadRequestError() from None


def bool_param(request: Request, name: str) -> bool:
    return request.query_params.get(name, "").lower() in {"1", "true", "t", "yes"}


def str_param(request: Request, name: str) -> str:
    return request.query_params.get(name, "")
