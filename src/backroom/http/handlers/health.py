"""GET /api/health."""

from __future__ import annotations

from starlette.requests import Request

from backroom.errors import UnavailableError
from backroom.http.context import app_of
from backroom.http.responses import JSON

__all__ = ["health"]


async def health(request: Request) -> JSON:
    if app_of(request).draining:
        # readiness: a balancer stops sending here while the requests in flight finish
        raise UnavailableError("The server is shutting down.")
    return JSON({"code": 200, "message": "API is healthy.", "data": {}})
