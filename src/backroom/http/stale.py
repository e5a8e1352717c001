"""Requests that raced a change of their collection in another process.

Another worker or node may change or delete a collection while this process still holds the
old definition: for a moment, a request here can run SQL against columns or a table that no
longer exist. Such a request fails with an unexpected error; if the schema moved meanwhile
(or moves when reloaded now), it runs again against the current definition (up to three
times in all), and gets the answer it would have got a moment later, often a 404 or a 400,
instead of a 500.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from backroom.errors import BackroomError, UnavailableError
from backroom.http.context import app_of

__all__ = ["retry_on_schema_change"]

Endpoint = Callable[[Request], Awaitable[Response]]

_ON_A_COLLECTION = "/api/collections/{collection}/"
_ATTEMPTS = 3  # a retry may race the next change in a quick series of them


_CHANGED = "The collection changed while the request ran; send it again."


def _replayable(request: Request) -> bool:
    """A multipart body is streamed to spools as it is read, not kept: it cannot be read
    twice, so the client is asked to send it again (503) rather than answered 500."""
    ctype = request.headers.get("content-type", "").lower()
    return not ctype.startswith("multipart/")


def _retrying(endpoint: Endpoint) -> Endpoint:
    async def run(request: Request) -> Response:
        app = app_of(request)
        for _ in range(_ATTEMPTS - 1):
            generation = app.schema.generation
            try:
                return await endpoint(request)
            except BackroomError:
                raise
            except Exception:
                await app.reload_collections()
                if app.schema.generation == generation:
                    raise
                if not _replayable(request):
                    raise UnavailableError(_CHANGED) from None
        return await endpoint(request)

    return run


def retry_on_schema_change(routes: Sequence[BaseRoute]) -> list[BaseRoute]:
    """``routes``, with every endpoint that acts on one collection's records wrapped."""
    out: list[BaseRoute] = []
    for r in routes:
        if isinstance(r, Route) and r.path.startswith(_ON_A_COLLECTION):
            methods = sorted(r.methods or ())
            r = Route(r.path, _retrying(r.endpoint), methods=methods, name=r.name)
        out.append(r)
    return out
