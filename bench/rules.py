"""API rules under load: Backroom vs PocketBase, side by side in one run.

    python bench/rules.py [--duration 10] [--connections 32] [--repeat 3] [--owned 100000]

Both servers are seeded identically through the public API: 100 users and 10,000 posts whose
list rule is ``published = true || author = @request.auth.id``, and a second collection of
``--owned`` posts (100,000 by default) spread over the same users, with the rule
``author = @request.auth.id`` and an index on ``author``. Each server is pinned to core 0 and
wrk to core 1. Writes the rules section of docs/benchmarks.md.
"""

from __future__ import annotations

import asyncio
import random
import sys
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).parent))

from run import LIST, Scenario, arguments, side_by_side
from seed import _create_all, seed
from servers import EMAIL, PASSWORD, Server

OWNED = "/api/collections/owned/records?page=1&perPage=20&sort=-created"


async def seed_owned(base: str, token: str, user_ids: list[str], count: int) -> None:
    """``count`` posts owned by the users in turn, behind an ownership rule and an index."""
    rnd = random.Random(7)
    su = {"Authorization": token}
    async with httpx.AsyncClient(base_url=base, timeout=60) as client:
        users = (await client.get("/api/collections/users", headers=su)).json()
        owner_rule = "author = @request.auth.id"
        body: dict[str, Any] = {
            "name": "owned",
            "listRule": owner_rule,
            "viewRule": owner_rule,
            "fields": [
                {"name": "title", "type": "text"},
                {"name": "views", "type": "number"},
                {
                    "name": "author",
                    "type": "relation",
                    "collectionId": users["id"],
                    "maxSelect": 1,
                },
                {"name": "created", "type": "autodate", "onCreate": True},
            ],
            "indexes": ["CREATE INDEX idx_owned_author ON owned (author)"],
        }
        resp = await client.post("/api/collections", json=body, headers=su)
        resp.raise_for_status()
        bodies = [
            {"title": f"Owned {i}", "views": rnd.randint(0, 1000), "author": user_ids[i % 100]}
            for i in range(count)
        ]
        await _create_all(client, "/api/collections/owned/records", bodies, su)


async def user_token(base: str) -> str:
    async with httpx.AsyncClient(base_url=base, timeout=60) as client:
        resp = await client.post(
            "/api/collections/users/auth-with-password",
            json={"identity": "user0@example.com", "password": "s3cret-pw-1"},
        )
        resp.raise_for_status()
        return str(resp.json()["token"])


def scenarios(token: str) -> list[Scenario]:
    return [
        Scenario("rule list, 10k posts, guest", "get.lua", [LIST], 2.0),
        Scenario("rule list, 10k posts, signed-in user", "get.lua", [LIST], 2.0, token),
        Scenario("ownership rule, 100k posts, with total", "get.lua", [OWNED], 2.0, token),
        Scenario(
            "ownership rule, 100k posts, skipTotal",
            "get.lua",
            [OWNED + "&skipTotal=1"],
            2.0,
            token,
        ),
    ]


def main() -> None:
    parser = arguments(__doc__ or "")
    parser.add_argument("--owned", type=int, default=100_000)
    args = parser.parse_args()

    def prepare(server: Server) -> list[Scenario]:
        data = asyncio.run(seed(server.base, EMAIL, PASSWORD, with_rule=True))
        asyncio.run(seed_owned(server.base, data.token, data.user_ids, args.owned))
        return scenarios(asyncio.run(user_token(server.base)))

    side_by_side(args, prepare, "rules", "bench/rules.py")


if __name__ == "__main__":
    main()
