from __future__ import annotations

from collections.abc import Iterator

import pytest

from backroom.testing.smtp import MailCatcher


@pytest.fixture
def smtp() -> Iterator[MailCatcher]:
    """A real SMTP server on a free local port that keeps every mail it receives."""
    with MailCatcher() as catcher:
        yield catcher
