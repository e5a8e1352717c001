"""The ASGI entry point the server process imports: settings come from the environment."""

from __future__ import annotations

from backroom.app import Backroom
from backroom.http.asgi import create_asgi
from backroom.http.middleware import HeadersMiddleware
from backroom.settings import Settings

__all__ = ["create_app"]


def create_app() -> HeadersMiddleware:
    settings = Settings()
    return create_asgi(Backroom(settings), debug=False)
