"""Sign-in under load: Backroom vs PocketBase, side by side in one run.

    python bench/auth.py [--duration 10] [--connections 32] [--repeat 3] [--users 10]

Both servers are seeded identically through the public API with ``--users`` accounts in the
``users`` collection. Scenarios: ``auth-with-password`` (the accounts in turn) and
``auth-refresh`` (one account's token). Each server is pinned to core 0 and wrk to core 1.
Then, on each server, 32 connections keep logging in while one more connection calls
``/api/health``: its p99 shows whether the server stays responsive while passwords hash.
Rate limits are switched off on both (PocketBase ships them off, Backroom on). Each side's
password hash parameters are read from a stored hash. Writes the auth section of
docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sqlite3
import sys
import tempfile
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).parent))

from run import Scenario, arguments, side_by_side
from seed import _create_all
from servers import EMAIL, PASSWORD, Server
from wrk import run_wrk

USER_PASSWORD = "bench-sign-in-7"
LOGIN = "/api/collections/users/auth-with-password"
REFRESH = "/api/collections/users/auth-refresh"
HEALTH_BAR_MS = 50.0
FLOOD = 32
# 32 sign-ins in flight at about 15 a second take about 2 s each: wrk's default limit
LOGIN_TIMEOUT = 30


def identities(count: int) -> list[str]:
    return [f"login{i}@example.com" for i in range(count)]


async def seed_users(base: str, count: int) -> str:
    """Create the accounts; answer a token of the first one."""
    async with httpx.AsyncClient(base_url=base, timeout=60) as client:
        auth = await client.post(
            "/api/collections/_superusers/auth-with-password",
            json={"identity": EMAIL, "password": PASSWORD},
        )
        auth.raise_for_status()
        su = {"Authorization": auth.json()["token"]}
        # PocketBase ships with rate limits off and Backroom with them on; measure both off,
        # or wrk's thousands of sign-ins from one address are answered 429
        off = await client.patch(
            "/api/settings", json={"rateLimits": {"enabled": False}}, headers=su
        )
        off.raise_for_status()
        bodies = [
            {"email": e, "password": USER_PASSWORD, "passwordConfirm": USER_PASSWORD}
            for e in identities(count)
        ]
        await _create_all(client, "/api/collections/users/records", bodies, su)
        login = await client.post(
            LOGIN, json={"identity": identities(1)[0], "password": USER_PASSWORD}
        )
        login.raise_for_status()
        return str(login.json()["token"])


def scenarios(token: str, logins: Path) -> list[Scenario]:
    env = {"BENCH_LOGINS": str(logins), "BENCH_SECRET": USER_PASSWORD}
    return [
        Scenario("auth-with-password", "login.lua", [LOGIN], None, env=env, timeout=LOGIN_TIMEOUT),
        Scenario("auth-refresh", "refresh.lua", [REFRESH], 1.0, token),
    ]


def describe_hash(hashed: str) -> str:
    """PocketBase's ``$2a$10$...`` or Backroom's ``$argon2id$v=19$m=..,t=..,p=..$...``."""
    parts = hashed.split("$")
    if hashed.startswith("$2") and len(parts) > 2:
        return f"bcrypt, cost {int(parts[2])}"
    if hashed.startswith("$argon2") and len(parts) > 3:
        params = dict(kv.split("=", 1) for kv in parts[3].split(","))
        return (
            f"{parts[1]}, {int(params['m']) // 1024} MiB, {params['t']} iterations, "
            f"{params['p']} lane(s)"
        )
    return "unknown"


def stored_hash(db: Path) -> str:
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
        row = conn.execute("SELECT password FROM users LIMIT 1").fetchone()
    return str(row[0]) if row else ""


def _data_dir(server: Server, work: Path) -> Path:
    return work / ("br_data" if server.name == "backroom" else "pb_data")


def health_under_logins(
    server: Server, work: Path, logins: Path, duration: int
) -> tuple[float, float]:
    """(p99 of /api/health in ms, logins/s) while ``FLOOD`` connections keep logging in."""
    health_paths = work / f"health-{server.name}.txt"
    health_paths.write_text("/api/health\n")
    login_paths = work / f"login-{server.name}.txt"
    login_paths.write_text(LOGIN + "\n")
    base_env = {**os.environ, "BENCH_TOKEN": ""}
    flood_env = {
        **base_env,
        "BENCH_PATHS": str(login_paths),
        "BENCH_LOGINS": str(logins),
        "BENCH_SECRET": USER_PASSWORD,
    }
    with ThreadPoolExecutor(1) as pool:
        flood = pool.submit(
            run_wrk,
            server.base,
            script="login.lua",
            env=flood_env,
            duration=duration + 2,
            connections=FLOOD,
            core=1,
            timeout=LOGIN_TIMEOUT,
        )
        probe = run_wrk(
            server.base,
            script="get.lua",
            env={**base_env, "BENCH_PATHS": str(health_paths)},
            duration=duration,
            connections=1,
            core=1,
        )
        flooded = flood.result()
    return probe.p99_ms, flooded.rps


def responsiveness(
    args: argparse.Namespace, logins: Path
) -> Callable[[list[Server], Path], list[str]]:
    def extra(servers: list[Server], work: Path) -> list[str]:
        rows = [
            "",
            f"`/api/health` from one more connection while {FLOOD} connections keep logging "
            f"in (bar for Backroom: p99 under {HEALTH_BAR_MS:.0f} ms):",
            "",
            "| server | password hash | logins/s | `/api/health` p99 | bar |",
            "|---|---|---:|---:|---|",
        ]
        for s in sorted(servers, key=lambda s: s.name):
            hashed = describe_hash(stored_hash(_data_dir(s, work) / "data.db"))
            p99, rps = health_under_logins(s, work, logins, args.duration)
            bar = "-"
            if s.name == "backroom":
                bar = f"< {HEALTH_BAR_MS:.0f} ms: {'pass' if p99 < HEALTH_BAR_MS else 'FAIL'}"
            line = f"| {s.name} | {hashed} | {rps:,.1f} | {p99:.1f} ms | {bar} |"
            print(line, flush=True)
            rows.append(line)
        return rows

    return extra


def main() -> None:
    parser = arguments(__doc__ or "")
    parser.add_argument("--users", type=int, default=10)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        logins = Path(tmp) / "logins.txt"
        logins.write_text("\n".join(identities(args.users)) + "\n")

        def prepare(server: Server) -> list[Scenario]:
            return scenarios(asyncio.run(seed_users(server.base, args.users)), logins)

        side_by_side(args, prepare, "auth", "bench/auth.py", responsiveness(args, logins))


if __name__ == "__main__":
    main()
