"""Seed a server identically through its public API: 100 users, 10,000 posts."""

from __future__ import annotations

import asyncio
import http.client
import json
import random
import threading
from concurrent.futures import ThreadPoolExecutor
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
    """Create every body with 16 requests in flight; the ids in the bodies' order.

    Sent over plain keep-alive connections from 16 threads: an async client spends more time
    per request than the servers under test, and seeding 100,000 records took minutes."""
    url = httpx.URL(str(client.base_url))
    send_headers = {"Content-Type": "application/json", **headers}
    local = threading.local()

    def create(body: dict[str, Any]) -> str:
        conn = getattr(local, "conn", None)
        if conn is None:
            conn = local.conn = http.client.HTTPConnection(url.host, url.port, timeout=60)
        conn.request("POST", path, body=json.dumps(body), headers=send_headers)
        resp = conn.getresponse()
        data = resp.read()
        if resp.status != 200:
            raise RuntimeError(f"POST {path} answered {resp.status}: {data[:200]!r}")
        return str(json.loads(data)["id"])

    def run() -> list[str]:
        with ThreadPoolExecutor(16) as pool:
            return list(pool.map(create, bodies, chunksize=64))

    return await asyncio.to_thread(run)


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
