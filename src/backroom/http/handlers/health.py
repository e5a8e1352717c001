"""GET /api/health."""

from __future__ import annotations

from starlette.requests import Request

from backroom.http.responses import JSON

__all__ = ["health"]


async def health(request: Request) -> JSON:
    return JSON({"code": 200, "message": "API is healthy.", "data": {}})
