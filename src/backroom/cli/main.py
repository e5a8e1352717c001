"""The ``backroom`` command."""

from __future__ import annotations

import functools
import multiprocessing
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from backroom import __version__
from backroom.cli.superusers import count_superusers, delete_superuser, upsert_superuser
from backroom.realtime.brokers.hub import BrokerHub
from backroom.settings import Settings, parse_workers

__all__ = ["main"]

F = TypeVar("F", bound=Callable[..., Any])

SHUTDOWN_GRACE = 10  # seconds
_API_IN_FLIGHT = 1024


_DIR = click.option(
    "--dir",
    "data_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="The data directory (default ./br_data, or $BACKROOM_DIR).",
)


def _dir_option(fn: F) -> F:
    """``--dir`` on every command, as PocketBase's global flags are."""

    @_DIR
    @click.pass_context  # type: ignore[arg-type]
    @functools.wraps(fn)
    def wrapper(ctx: click.Context, data_dir: Path | None, **kwargs: Any) -> Any:
        given_first = (ctx.obj or {}).get("data_dir")
        return ctx.invoke(fn, data_dir=data_dir or given_first or Settings().data_dir, **kwargs)

    return wrapper  # type: ignore[return-value]


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", "-v", prog_name="backroom")
@_DIR
@click.pass_context
def main(ctx: click.Context, data_dir: Path | None) -> None:
    """Backroom: the backend behind an app, compatible with PocketBase's Web API."""
    ctx.obj = {"data_dir": data_dir}


def _split_host_port(value: str) -> tuple[str, int]:
    host, _, port = value.rpartition(":")
    if not host or not port.isdigit():
        raise click.BadParameter("expected HOST:PORT, e.g. 127.0.0.1:8090")
    return host.strip("[]"), int(port)


@main.command()
@click.option("--http", "http", default=None, help="The address to listen on (HOST:PORT).")
@click.option("--dev", is_flag=True, help="Development mode: verbose logs.")
@click.option(
    "--durability",
    type=click.Choice(["normal", "full"]),
    default=None,
    help="'full' also survives power loss (SQLite synchronous=FULL); slower writes.",
)
@click.option(
    "--origins",
    default=None,
    help="Comma-separated origins allowed by CORS (default '*', any origin).",
)
@click.option(
    "--workers",
    default=None,
    help="Worker processes: a number, or 'auto' for one per core (default 1).",
)
@click.option(
    "--redis",
    "redis_url",
    default=None,
    help="Redis URL (redis://host:port/db) joining several nodes on one data set.",
)
@_dir_option
def serve(
    data_dir: Path,
    http: str | None,
    dev: bool,
    durability: str | None,
    origins: str | None,
    workers: str | None,
    redis_url: str | None,
) -> None:
    """Start the web server."""
    from granian import Granian
    from granian.constants import Interfaces

    settings = Settings(data_dir=data_dir)
    address = http or settings.http
    host, port = _split_host_port(address)
    try:
        n_workers = parse_workers(workers) if workers is not None else settings.workers
    except ValueError:
        raise click.BadParameter("expected a number of at least 1, or 'auto'") from None
    redis_url = settings.redis_url if redis_url is None else redis_url
    if redis_url:
        _check_redis(redis_url)
    os.environ["BACKROOM_REDIS_URL"] = redis_url
    os.environ["BACKROOM_DIR"] = str(data_dir)
    os.environ["BACKROOM_HTTP"] = address
    if dev:
        os.environ["BACKROOM_DEV"] = "1"
    if durability:
        os.environ["BACKROOM_DURABILITY"] = durability
    if origins is not None:
        os.environ["BACKROOM_ORIGINS"] = origins
    if count_superusers(data_dir) == 0:
        click.echo(
            "No superuser exists yet. Create the first one with:\n"
            f"    backroom superuser upsert EMAIL PASSWORD --dir {data_dir}\n",
            err=True,
        )
    click.echo(f"Server started at http://{address}\n├─ REST API:  http://{address}/api/")
    hub = None
    os.environ.pop("BACKROOM_BROKER_SOCKET", None)
    if n_workers > 1:
        # fresh interpreters: a forked worker would inherit the hub's thread and sockets
        multiprocessing.set_start_method("spawn", force=True)
        if not redis_url:
            hub = BrokerHub()
            hub.start()
            os.environ["BACKROOM_BROKER_SOCKET"] = str(hub.path)
    try:
        Granian(
            "backroom.http.main:create_app",
            address=host,
            port=port,
            interface=Interfaces.ASGI,
            factory=True,
            workers=n_workers,
            respawn_failed_workers=True,
            log_access=dev,
            # every realtime stream is a request in flight for as long as it is open: leave
            # room for the most streams a process accepts and for the API calls besides them,
            # or the server would stop answering once about a thousand streams were open
            backlog=4096,
            backpressure=settings.realtime_max_clients + _API_IN_FLIGHT,
            # realtime streams are closed at SIGTERM; a peer that stopped reading could still
            # hold its connection open, so the worker is stopped after this grace period
            workers_kill_timeout=SHUTDOWN_GRACE,
        ).serve()
    finally:
        if hub is not None:
            hub.stop()


def _check_redis(url: str) -> None:
    """Fail at once, and clearly, when Redis does not answer."""
    from redis import Redis
    from redis.exceptions import RedisError

    try:
        with Redis.from_url(url, socket_connect_timeout=3, socket_timeout=3) as client:
            client.ping()
    except (RedisError, OSError, ValueError) as err:
        raise click.ClickException(f"Redis does not answer at the --redis URL: {err}") from None


@main.group()
def superuser() -> None:
    """Manage superusers."""


@superuser.command("upsert")
@click.argument("email")
@click.argument("password")
@_dir_option
def superuser_upsert(data_dir: Path, email: str, password: str) -> None:
    """Create a superuser, or change an existing superuser's password."""
    created = upsert_superuser(data_dir, email, password)
    click.echo(f"Successfully {'created' if created else 'updated'} superuser {email!r}!")


@superuser.command("delete")
@click.argument("email")
@_dir_option
def superuser_delete(data_dir: Path, email: str) -> None:
    """Delete a superuser."""
    delete_superuser(data_dir, email)
    click.echo(f"Successfully deleted superuser {email!r}!")


if __name__ == "__main__":
    sys.exit(main())
