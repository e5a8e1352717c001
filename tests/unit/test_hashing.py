"""Password hashing: argon2id with OWASP's parameters, bcrypt from PocketBase verified
without truncation, a fixed pool of hashing threads and a bounded queue."""

from __future__ import annotations

import asyncio
import os
import sys
import threading
from collections.abc import AsyncIterator

import bcrypt
import pytest

from backroom.errors import UnavailableError
from backroom.hashing import HASH_NICENESS, Argon2Hasher


@pytest.fixture
async def hasher() -> AsyncIterator[Argon2Hasher]:
    h = Argon2Hasher()
    yield h
    h.close()


async def test_new_hashes_are_argon2id_with_owasp_parameters(hasher: Argon2Hasher) -> None:
    hashed = await hasher.hash("a fine passphrase")
    assert hashed.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
    assert hasher.parameters == {
        "algorithm": "argon2id",
        "memoryKiB": 19456,
        "iterations": 2,
        "parallelism": 1,
    }
    assert await hasher.verify("a fine passphrase", hashed)
    assert not await hasher.verify("a fine passphrasE", hashed)
    assert not hasher.needs_rehash(hashed)


async def test_pocketbase_bcrypt_hashes_verify_and_ask_to_be_replaced(
    hasher: Argon2Hasher,
) -> None:
    hashed = bcrypt.hashpw(b"from-pocketbase", bcrypt.gensalt(10, prefix=b"2a")).decode()
    assert hashed.startswith("$2a$10$")
    assert await hasher.verify("from-pocketbase", hashed)
    assert not await hasher.verify("from-pocketbasE", hashed)
    assert hasher.needs_rehash(hashed)


async def test_a_longer_password_never_matches_a_bcrypt_hash_of_its_first_72_bytes(
    hasher: Argon2Hasher,
) -> None:
    """Row A11: bcrypt reads 72 bytes; 100 characters sharing them are another password."""
    first = "x" * 72
    hashed = bcrypt.hashpw(first.encode(), bcrypt.gensalt(10, prefix=b"2a")).decode()
    assert await hasher.verify(first, hashed)
    assert not await hasher.verify(first + "y" * 28, hashed)


async def test_argon2_sees_every_character(hasher: Argon2Hasher) -> None:
    long = "p" * 72 + "q" * 28
    hashed = await hasher.hash(long)
    assert await hasher.verify(long, hashed)
    assert not await hasher.verify(long[:72], hashed)
    assert not await hasher.verify(long[:72] + "r" * 28, hashed)


async def test_older_argon2_parameters_ask_to_be_replaced(hasher: Argon2Hasher) -> None:
    weaker = Argon2Hasher(time_cost=1, memory_cost=8192)
    try:
        old = await weaker.hash("a fine passphrase")
    finally:
        weaker.close()
    assert await hasher.verify("a fine passphrase", old)
    assert hasher.needs_rehash(old)


@pytest.mark.parametrize("hashed", ["", "plain-text", "$argon2id$broken", "$2a$10$short"])
async def test_an_unusable_hash_never_verifies(hasher: Argon2Hasher, hashed: str) -> None:
    assert not await hasher.verify("anything", hashed)


def _hash_threads() -> set[threading.Thread]:
    return {t for t in threading.enumerate() if t.name.startswith("br-hash")}


async def test_32_concurrent_hashes_use_the_fixed_pool_only() -> None:
    before = _hash_threads()
    h = Argon2Hasher(workers=2, memory_cost=1024, time_cost=1)
    try:
        hashes = await asyncio.gather(*(h.hash(f"password-{i}") for i in range(32)))
        assert len(set(hashes)) == 32
        assert len(_hash_threads() - before) <= 2
    finally:
        h.close()


async def test_a_flood_past_the_queue_bound_is_refused_not_queued() -> None:
    h = Argon2Hasher(workers=1, memory_cost=1024, time_cost=1, max_pending=4)
    try:
        results = await asyncio.gather(
            *(h.hash(f"password-{i}") for i in range(10)), return_exceptions=True
        )
        refused = [r for r in results if isinstance(r, UnavailableError)]
        done = [r for r in results if isinstance(r, str)]
        assert len(done) == 4
        assert len(refused) == 6
        assert await h.hash("after the flood")  # the bound frees up again
    finally:
        h.close()


@pytest.mark.skipif(sys.platform != "linux", reason="per-thread niceness is Linux's")
async def test_hashing_threads_run_at_a_lower_priority_than_the_event_loop() -> None:
    h = Argon2Hasher(workers=1, memory_cost=1024, time_cost=1)
    try:
        await h.hash("password-0")
        (thread,) = {t for t in _hash_threads() if t.name.startswith(h.thread_prefix + "_")}
        assert thread.native_id is not None
        loop_nice = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
        assert os.getpriority(os.PRIO_PROCESS, thread.native_id) == min(
            loop_nice + HASH_NICENESS, 19
        )
    finally:
        h.close()
