from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from backroom.testing.redis import RedisServer, answers
from backroom.testing.s3 import S3Server
from backroom.testing.smtp import MailCatcher


@pytest.fixture
def smtp() -> Iterator[MailCatcher]:
    """A real SMTP server on a free local port that keeps every mail it receives."""
    with MailCatcher() as catcher:
        yield catcher


@pytest.fixture(scope="session")
def s3_server() -> Iterator[S3Server]:
    """A real S3-compatible server (moto's server mode) on a free local port."""
    with S3Server() as server:
        yield server


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    """Redis at 127.0.0.1:6379; when none answers, a throwaway ``redis-server``. In CI a
    missing Redis is a failure, not a reason to start one."""
    if answers("127.0.0.1", 6379):
        yield "redis://127.0.0.1:6379/0"
        return
    if os.environ.get("CI") == "true":
        pytest.fail("CI=true and no Redis answers at 127.0.0.1:6379")
    with RedisServer() as server:
        yield server.url
