"""Superuser management from the command line, through the same services as the API."""

from __future__ import annotations

from pathlib import Path

import click

from backroom.app import Backroom
from backroom.core.collections.model import Collection
from backroom.core.context import AuthInfo, RequestContext
from backroom.errors import BackroomError
from backroom.settings import Settings

__all__ = ["count_superusers", "delete_superuser", "upsert_superuser"]

_SYSTEM = RequestContext(auth=AuthInfo("", "_superusers", {"id": ""}))


def _app(data_dir: Path) -> Backroom:
    # records only: no other process holds a copy to refresh, so no broker to reach
    return Backroom(Settings(data_dir=data_dir, redis_url="", broker_socket=""))


def _superusers(app: Backroom) -> Collection:
    c = app.schema.get("_superusers")
    if c is None:
        raise click.ClickException("The _superusers collection is missing.")
    return c


def _fail(err: BackroomError) -> click.ClickException:
    details = "; ".join(
        f"{k}: {v.get('message', v) if isinstance(v, dict) else v}"
        for k, v in err.data_json().items()
    )
    return click.ClickException(f"{err.message} {details}".strip())


def upsert_superuser(data_dir: Path, email: str, password: str) -> bool:
    app = _app(data_dir)

    async def run() -> bool:
        existing = await app.storage.find_by_field(_superusers(app), "email", email)
        body = {"email": email, "password": password, "passwordConfirm": password}
        if existing is None:
            await app.records.create(_SYSTEM, "_superusers", body)
            return True
        await app.records.update(_SYSTEM, "_superusers", existing["id"], body)
        return False

    try:
        result: bool = app.run(run())
    except BackroomError as err:
        raise _fail(err) from None
    return result


def delete_superuser(data_dir: Path, email: str) -> None:
    app = _app(data_dir)

    async def run() -> None:
        existing = await app.storage.find_by_field(_superusers(app), "email", email)
        if existing is None:
            raise click.ClickException(f"Superuser {email!r} not found.")
        await app.records.delete(_SYSTEM, "_superusers", existing["id"])

    try:
        app.run(run())
    except BackroomError as err:
        raise _fail(err) from None


def count_superusers(data_dir: Path) -> int:
    app = _app(data_dir)

    async def run() -> int:
        return await app.storage.count_records(_superusers(app))

    result: int = app.run(run())
    return result
