"""Query-string parameters."""

from __future__ import annotations

from starlette.requests import Request

from backroom.core.services.records import ListParams
from backroom.errors import BadRequestError

__all__ = ["bool_param", "int_param", "list_params", "str_param"]


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


def list_params(request: Request) -> ListParams:
    """The search parameters every list endpoint accepts."""
    return ListParams(
        page=int_param(request, "page", 1),
        per_page=int_param(request, "perPage", 30),
        sort=str_param(request, "sort"),
        filter=str_param(request, "filter"),
        expand=str_param(request, "expand"),
        fields=str_param(request, "fields"),
        skip_total=bool_param(request, "skipTotal"),
    )
