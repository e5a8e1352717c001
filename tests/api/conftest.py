from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from backroom.testing import TestApp, running_app


@pytest.fixture
async def app(tmp_path: Path) -> AsyncIterator[TestApp]:
    async with running_app(tmp_path / "br_data") as test_app:
        await test_app.login()
        yield test_app
