from __future__ import annotations

from collections.abc import Iterator

import pytest

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
