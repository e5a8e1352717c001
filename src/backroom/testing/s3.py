"""A real S3-compatible server for tests: moto's server mode in its own process, on a free
local port, speaking the S3 protocol over HTTP (install ``moto[server]``).

with S3Server() as s3:
    bucket = s3.create_bucket()
    ...  # point the app's s3 settings at s3.settings(bucket)
"""

from __future__ import annotations

import itertools
import subprocess
import sys
import time
from types import TracebackType
from typing import Any
from xml.etree import ElementTree

import httpx

from backroom.testing.ports import free_port

__all__ = ["S3Server"]

_buckets = itertools.count()


class S3Server:
    """Any credentials are accepted; every bucket lives in ``region``."""

    region = "us-east-1"
    access_key = "test-access-key"
    secret = "test-secret-key"

    def __init__(self) -> None:
        self.port = free_port()
        self.endpoint = f"http://127.0.0.1:{self.port}"
        self._proc: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> S3Server:
        cmd = [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(self.port)]
        self._proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                raise RuntimeError(f"the S3 server exited with {self._proc.returncode}")
            try:
                httpx.get(self.endpoint, timeout=1)
                return self
            except httpx.TransportError:
                time.sleep(0.05)
        self.__exit__(None, None, None)
        raise RuntimeError("the S3 server did not start")

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._proc is not None:
            self._proc.terminate()
            try:
                self._proc.wait(10)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()
            self._proc = None

    def create_bucket(self, name: str = "") -> str:
        name = name or f"bucket-{next(_buckets)}"
        httpx.put(f"{self.endpoint}/{name}", timeout=10).raise_for_status()
        return name

    def keys(self, bucket: str) -> list[str]:
        """Every key in ``bucket`` (the first 1,000), read straight from the server."""
        r = httpx.get(f"{self.endpoint}/{bucket}", params={"list-type": "2"}, timeout=10)
        r.raise_for_status()
        ns = "{http://s3.amazonaws.com/doc/2006-03-01/}"
        root = ElementTree.fromstring(r.content)  # noqa: S314 - our own test server's answer
        return sorted(str(el.text) for el in root.iter(f"{ns}Key"))

    def settings(self, bucket: str, **changes: Any) -> dict[str, Any]:
        """An ``s3`` section of the settings API that points at ``bucket`` on this server."""
        section: dict[str, Any] = {
            "enabled": True,
            "bucket": bucket,
            "region": self.region,
            "endpoint": self.endpoint,
            "accessKey": self.access_key,
            "secret": self.secret,
            "forcePathStyle": True,
        }
        section.update(changes)
        return section
