"""The public test kit: a Backroom app in a temporary folder and an HTTP client for it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx

from backroom.app import Backroom
from backroom.core.context import AuthInfo, RequestContext
from backroom.http.asgi import create_asgi
from backroom.settings import Settings

__all__ = ["SYSTEM", "TestApp", "running_app"]

SYSTEM = RequestContext(auth=AuthInfo("", "_superusers", {"id": ""}))


class TestApp:
    """A started Backroom with an ASGI client; ``superuser_token`` is set by ``login``."""

    __test__ = False

    def __init__(self, backroom: Backroom, client: httpx.AsyncClient) -> None:
        self.backroom = backroom
        self.client = client
        self.superuser_token = ""

    async def create_superuser(self, email: str, password: str) -> dict[str, Any]:
        body = {"email": email, "password": password, "passwordConfirm": password}
        return await self.backroom.records.create(SYSTEM, "_superusers", body)

    async def login(
        self,
        email: str = "admin@example.com",
        password: str = "s3cret-pw-1",  # noqa: S107 - a test fixture's credentials
    ) -> str:
        await self.create_superuser(email, password)
        resp = await self.client.post(
            "/api/collections/_superusers/auth-with-password",
            json={"identity": email, "password": password},
        )
        resp.raise_for_status()
        self.superuser_token = str(resp.json()["token"])
        return self.superuser_token

    def su(self) -> dict[str, str]:
        return {"Authorization": self.superuser_token}


@asynccontextmanager
async def running_app(data_dir: Path, **settings: Any) -> AsyncIterator[TestApp]:
    backroom = Backroom(Settings(data_dir=data_dir, **settings))
    await backroom.start()
    transport = httpx.ASGITransport(app=create_asgi(backroom))
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            yield TestApp(backroom, client)
    finally:
        await backroom.stop()
