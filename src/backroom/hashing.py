"""Password hashing: argon2id for new hashes, bcrypt hashes from PocketBase still verify.

Hashing is deliberately slow, so it runs on a small bounded thread pool and never on the
event loop.
"""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

__all__ = ["Argon2Hasher"]


class Argon2Hasher:
    def __init__(self, *, workers: int = 2, time_cost: int = 2, memory_cost: int = 19456) -> None:
        # OWASP's argon2id baseline: 19 MiB memory, 2 iterations, 1 lane.
        self._ph = PasswordHasher(time_cost=time_cost, memory_cost=memory_cost, parallelism=1)
        self._pool = ThreadPoolExecutor(workers, thread_name_prefix="br-hash")

    async def hash(self, password: str) -> str:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._pool, self._ph.hash, password)

    def _verify(self, password: str, hashed: str) -> bool:
        if hashed.startswith("$argon2"):
            try:
                return self._ph.verify(hashed, password)
            except (VerificationError, InvalidHashError):
                return False
        if hashed.startswith(("$2a$", "$2b$", "$2y$")):
            return _verify_bcrypt(password, hashed)
        self._ph.hash(password)  # same work for an unknown or empty hash: no timing oracle
        return False

    async def verify(self, password: str, hashed: str) -> bool:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._pool, self._verify, password, hashed)

    def close(self) -> None:
        self._pool.shutdown(wait=False)


def _verify_bcrypt(password: str, hashed: str) -> bool:
    try:
        import bcrypt
    except ImportError:
        return False
    try:
        return bool(bcrypt.checkpw(password.encode(), hashed.encode()))
    except ValueError:
        return False
