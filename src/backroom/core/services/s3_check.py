"""``POST /api/settings/test/s3``: write a small file to the configured bucket and delete it,
so a superuser learns at once whether the S3 settings work."""

from __future__ import annotations

import secrets
import string
from collections.abc import AsyncIterator, Callable, Mapping
from typing import Any

from backroom.core.context import RequestContext
from backroom.core.ports import FileStore
from backroom.core.services.collections import require_superuser
from backroom.core.services.settings import SettingsService
from backroom.errors import BadRequestError, ErrorDetail, ValidationError

__all__ = ["FILESYSTEMS", "S3Check"]

FILESYSTEMS = ("storage", "backups")
_FAILED = "Failed to test the S3 filesystem."
_ALPHABET = string.ascii_letters + string.digits
_REQUIRED = ErrorDetail("validation_required", "Cannot be blank.")
_INVALID = ErrorDetail("validation_in_invalid", "Must be a valid value.")

OpenS3 = Callable[[Mapping[str, Any]], FileStore]


def _failed(detail: str) -> BadRequestError:
    return BadRequestError(f"{_FAILED} Raw error: \n{detail.rstrip('.')}.")


async def _test_file() -> AsyncIterator[bytes]:
    yield b"test"


class S3Check:
    """``open_s3`` builds a store from an ``s3`` settings section; each check gets its own,
    closed when the check ends."""

    def __init__(self, settings: SettingsService, open_s3: OpenS3) -> None:
        self._settings = settings
        self._open_s3 = open_s3

    async def test(self, ctx: RequestContext, body: Mapping[str, Any]) -> None:
        require_superuser(ctx)
        filesystem = body.get("filesystem")
        if not isinstance(filesystem, str | None):
            raise BadRequestError("An error occurred while loading the submitted data.")
        if not filesystem:
            raise ValidationError(_FAILED, {"filesystem": _REQUIRED})
        if filesystem not in FILESYSTEMS:
            raise ValidationError(_FAILED, {"filesystem": _INVALID})
        current = self._settings.current
        section = current["s3"] if filesystem == "storage" else current["backups"]["s3"]
        if not section["enabled"]:
            # PocketBase names the storage filesystem here for both
            raise _failed("S3 storage filesystem is not enabled.")
        folder = "backroom_settings_test_" + "".join(secrets.choice(_ALPHABET) for _ in range(5))
        key = f"{folder}/test.txt"
        store = self._open_s3(section)
        try:
            try:
                await store.save(key, _test_file(), 1024)
            except Exception as err:
                raise _failed(f"failed to upload a test file: [key: {key}] {err}") from err
            try:
                await store.delete_prefix(folder)
            except Exception as err:
                raise _failed(f"failed to delete a test file: [key: {key}] {err}") from err
        finally:
            await store.close()
