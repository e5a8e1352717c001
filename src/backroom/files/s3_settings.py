"""The ``s3`` settings section as a store's configuration, and opening that store.

Kept apart from the store itself so the S3 client library loads only once S3 is used: it
costs about a quarter of a second and 17 MiB at import, for every process that never needs it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from backroom.core.ports import FileStore

__all__ = ["S3Config", "open_s3_store"]


@dataclass(frozen=True, slots=True)
class S3Config:
    bucket: str
    region: str
    endpoint: str
    access_key: str
    secret: str = field(repr=False)  # never in a log line or a traceback
    force_path_style: bool = False

    @classmethod
    def from_settings(cls, section: Mapping[str, Any]) -> S3Config:
        """From an ``s3`` section of the settings API (``bucket``, ``accessKey``, ...)."""
        return cls(
            bucket=str(section["bucket"]),
            region=str(section["region"]),
            endpoint=str(section["endpoint"]),
            access_key=str(section["accessKey"]),
            secret=str(section["secret"]),
            force_path_style=bool(section["forcePathStyle"]),
        )

    @property
    def endpoint_url(self) -> str:
        """The endpoint as a URL; like PocketBase, one without a scheme means HTTPS."""
        return self.endpoint if "://" in self.endpoint else f"https://{self.endpoint}"


def open_s3_store(config: S3Config, *, attempts: int = 3) -> FileStore:
    """An ``S3FileStore`` on ``config``; ``attempts`` per request, retries included."""
    from backroom.files.s3 import S3FileStore

    return S3FileStore(config, attempts=attempts)
