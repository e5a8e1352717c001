"""Fixtures shared by the end-to-end tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from _cluster import Server, make_superuser


@pytest.fixture
def workers2(tmp_path: Path) -> Iterator[Server]:
    """``backroom serve --workers 2`` on a fresh data folder."""
    data = tmp_path / "data"
    make_superuser(data)
    server = Server(data, "--workers", "2")
    try:
        yield server
    finally:
        server.stop()
