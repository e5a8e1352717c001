"""Seed a server identically through its public API: 100 users, 10,000 posts."""

from __future__ import annotations

import asyncio
import random
from typing import Any

import httpx

__all__ = ["POSTS_RULE", "Seeded", "seed"]

POSTS_RULE = "published = true || author = @request.auth.id"


class Seeded:
    def __init__(self, token: str, post_ids: list[str], user_ids: list[str]) -> None:
        self.token = token
        self.post_ids = post_ids
        self.user_ids = user_ids


async def _create_all(
    client: httpx.AsyncClient, path: str, bodies: list[dict[str, Any]], headers: dict[str, str]
) -> list[str]:
    """Create every body with 16 requests in flight; the ids in the bodies' order."""
    ids: list[str] = [""] * len(bodies)
    todo = iter(enumerate(bodies))

    async def worker() -> None:
        for i, body in todo:
            r = await client.post(path, json=body, headers=headers)
            r.raise_for_status()
            ids[i] = r.json()["id"]

    await asyncio.gather(*(worker() for _ in range(16)))
    return ids


async def seed(
    base: str,
    email: str,
    password: str,
    *,
    posts: int = 10_000,
    users: int = 100,
    with_rule: bool = False,
) -> Seeded:
    rnd = random.Random(42)
    async with httpx.AsyncClient(base_url=base, timeout=60) as client:
        auth = await client.post(
            "/api/collections/_superusers/auth-with-password",
            json={"identity": email, "password": password},
        )
        auth.raise_for_status()
        token = auth.json()["token"]
        su = {"Authorization": token}
        users_coll = (await client.get("/api/collections/users", headers=su)).json()
        user_bodies = [
            {
                "email": f"user{i}@example.com",
                "password": "s3cret-pw-1",
                "passwordConfirm": "s3cret-pw-1",
                "name": f"User {i}",
            }
            for i in range(users)
        ]
        user_ids = await _create_all(client, "/api/collections/users/records", user_bodies, su)
        rule = POSTS_RULE if with_rule else ""
        posts_coll = {
            "name": "posts",
            "listRule": rule,
            "viewRule": rule,
            "createRule": "",
            "fields": [
                {"name": "title", "type": "text"},
                {"name": "body", "type": "text"},
                {"name": "views", "type": "number"},
                {"name": "published", "type": "bool"},
                {
                    "name": "author",
                    "type": "relation",
                    "collectionId": users_coll["id"],
                    "maxSelect": 1,
                },
                {"name": "created", "type": "autodate", "onCreate": True},
                {"name": "updated", "type": "autodate", "onCreate": True, "onUpdate": True},
            ],
        }
        r = await client.post("/api/collections", json=posts_coll, headers=su)
        r.raise_for_status()
        post_bodies = [
            {
                "title": f"Post number {i}",
                "body": "Lorem ipsum dolor sit amet, consectetur adipiscing elit. " * 4,
                "views": rnd.randint(0, 1000),
                "published": rnd.random() < 0.7,
                "author": rnd.choice(user_ids),
            }
            for i in range(posts)
        ]
        post_ids = await _create_all(client, "/api/collections/posts/records", post_bodies, su)
        return Seeded(token, post_ids, user_ids)
