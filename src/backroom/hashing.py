"""Password hashing: argon2id for new hashes; bcrypt hashes from PocketBase still verify and
are replaced by argon2id at the next successful login.

The argon2id parameters are the first configuration of the OWASP Password Storage Cheat
Sheet, the guidance OWASP ASVS 5.0 (V11.4) refers to: 19 MiB of memory, 2 iterations, 1 lane,
a 16-byte random salt and a 32-byte hash.

Hashing is deliberately slow, so it runs on a fixed pool of threads and never on the event
loop, and at a lower CPU priority than the loop. The pool never grows: a flood of logins waits
in its queue, and past ``max_pending`` waiting jobs a new one is refused with 503 instead of
queueing without bound.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

import bcrypt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from backroom.errors import UnavailableError

__all__ = ["BCRYPT_MAX_BYTES", "HASH_NICENESS", "Argon2Hasher"]

T = TypeVar("T")

# bcrypt reads only this many bytes; a longer password never matches a bcrypt hash here,
# so two passwords sharing their first 72 bytes are never taken for each other.
BCRYPT_MAX_BYTES = 72
_BCRYPT_PREFIXES = ("$2a$", "$2b$", "$2y$")
_pools = itertools.count()
# How much nicer than the event loop the hashing threads run (Linux: per-thread niceness).
HASH_NICENESS = 10


class Argon2Hasher:
    def __init__(
        self,
        *,
        workers: int = 2,
        time_cost: int = 2,
        memory_cost: int = 19456,
        parallelism: int = 1,
        max_pending: int = 1024,
    ) -> None:
        self._ph = PasswordHasher(
            time_cost=time_cost, memory_cost=memory_cost, parallelism=parallelism
        )
        self.thread_prefix = f"br-hash-{next(_pools)}"
        self._pool = ThreadPoolExecutor(
            workers, thread_name_prefix=self.thread_prefix, initializer=_yield_to_requests
        )
        self._max_pending = max_pending
        self._pending = 0
        self.workers = workers

    @property
    def parameters(self) -> dict[str, Any]:
        p = self._ph
        return {
            "algorithm": "argon2id",
            "memoryKiB": p.memory_cost,
            "iterations": p.time_cost,
            "parallelism": p.parallelism,
        }

    async def _run(self, fn: Callable[..., T], *args: Any) -> T:
        if self._pending >= self._max_pending:
            raise UnavailableError("Too many sign-ins at once; retry shortly.")
        self._pending += 1
        try:
            return await asyncio.get_running_loop().run_in_executor(self._pool, fn, *args)
        finally:
            self._pending -= 1

    async def hash(self, password: str) -> str:
        return await self._run(self._ph.hash, password)

    def _verify(self, password: str, hashed: str) -> bool:
        if hashed.startswith("$argon2"):
            try:
                return self._ph.verify(hashed, password)
            except (VerificationError, InvalidHashError):
                return False
        if hashed.startswith(_BCRYPT_PREFIXES):
            return _verify_bcrypt(password, hashed)
        self._ph.hash(password)  # same work for an unknown or empty hash: no timing oracle
        return False

    async def verify(self, password: str, hashed: str) -> bool:
        return await self._run(self._verify, password, hashed)

    def needs_rehash(self, hashed: str) -> bool:
        """Whether a hash that just verified should be replaced: bcrypt, or argon2 with
        other parameters than the current ones."""
        if hashed.startswith(_BCRYPT_PREFIXES):
            return True
        if not hashed.startswith("$argon2"):
            return False
        try:
            return self._ph.check_needs_rehash(hashed)
        except InvalidHashError:
            return False

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)


def _yield_to_requests() -> None:
    """Run this hashing thread at a lower CPU priority than the event loop, so a request that
    needs no hash is served at once even when every core is busy hashing; when the loop is
    idle the hashes get the whole CPU anyway."""
    with contextlib.suppress(AttributeError, OSError):  # elsewhere: normal priority
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), HASH_NICENESS)


def _verify_bcrypt(password: str, hashed: str) -> bool:
    secret = password.encode()
    if len(secret) > BCRYPT_MAX_BYTES:
        return False
    try:
        return bool(bcrypt.checkpw(secret, hashed.encode()))
    except ValueError:
        return False
