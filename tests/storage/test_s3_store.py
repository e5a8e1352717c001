"""What only the S3 store has: its connection pool, its part size and its settings."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import AsyncGenerator, AsyncIterator

import pytest

from backroom.files.s3 import MIN_PART_SIZE, S3Config, S3FileStore
from backroom.testing.s3 import S3Server


async def _chunks(*parts: bytes) -> AsyncIterator[bytes]:
    for p in parts:
        yield p


async def test_many_slow_downloads_do_not_starve_other_operations(s3_server: S3Server) -> None:
    store = S3FileStore(S3Config.from_settings(s3_server.settings(s3_server.create_bucket())))
    try:
        await store.save("c1/r1/big.bin", _chunks(os.urandom(2 * 1024 * 1024)), 10**8)
        readers: list[AsyncGenerator[bytes, None]] = []
        for _ in range(40):  # each holds a pooled connection until it is read to the end
            reader = store.read("c1/r1/big.bin")
            assert isinstance(reader, AsyncGenerator)
            await asyncio.wait_for(anext(reader), 20)
            readers.append(reader)
        stat = await asyncio.wait_for(store.stat("c1/r1/big.bin"), 20)
        assert stat is not None
        await asyncio.wait_for(store.save("c1/r1/small", _chunks(b"x"), 10), 20)
        for reader in readers:
            await reader.aclose()
    finally:
        await store.close()


async def test_objects_carry_the_content_type_of_their_name(s3_server: S3Server) -> None:
    bucket = s3_server.create_bucket()
    store = S3FileStore(S3Config.from_settings(s3_server.settings(bucket)), part_size=MIN_PART_SIZE)
    raw = S3FileStore(S3Config.from_settings(s3_server.settings(bucket)))
    try:
        await store.save("c1/r1/photo.png", _chunks(b"x"), 10)
        await store.save("c1/r1/notes", _chunks(b"x"), 10)
        await store.save("c1/r1/big.pdf", _chunks(os.urandom(MIN_PART_SIZE + 1)), 10**8)
        s3 = await raw._s3()
        types = {
            key: (await s3.head_object(Bucket=bucket, Key=key))["ContentType"]
            for key in ("c1/r1/photo.png", "c1/r1/notes", "c1/r1/big.pdf")
        }
        assert types == {
            "c1/r1/photo.png": "image/png",
            "c1/r1/notes": "application/octet-stream",
            "c1/r1/big.pdf": "application/pdf",  # a multipart upload
        }
    finally:
        await store.close()
        await raw.close()


def test_parts_smaller_than_s3_allows_are_refused() -> None:
    config = S3Config("b", "r", "http://127.0.0.1:9", "a", "s")
    with pytest.raises(ValueError, match="part_size"):
        S3FileStore(config, part_size=MIN_PART_SIZE - 1)


@pytest.mark.parametrize(
    ("endpoint", "url"),
    [
        ("s3.example.com", "https://s3.example.com"),
        ("127.0.0.1:9000", "https://127.0.0.1:9000"),
        ("http://minio:9000", "http://minio:9000"),
    ],
)
def test_an_endpoint_without_a_scheme_means_https(endpoint: str, url: str) -> None:
    assert S3Config("b", "r", endpoint, "a", "s").endpoint_url == url


def test_the_config_reads_a_settings_section() -> None:
    section = {
        "enabled": True,
        "bucket": "files",
        "region": "eu-1",
        "endpoint": "https://s3.example.com",
        "accessKey": "AK",
        "secret": "SK",
        "forcePathStyle": True,
    }
    assert S3Config.from_settings(section) == S3Config(
        "files", "eu-1", "https://s3.example.com", "AK", "SK", True
    )


async def test_a_closed_store_refuses_new_operations(s3_server: S3Server) -> None:
    store = S3FileStore(S3Config.from_settings(s3_server.settings(s3_server.create_bucket())))
    await store.save("c1/r1/a", _chunks(b"1"), 10)
    await store.close()
    assert store.closed
    with pytest.raises(RuntimeError, match="closed"):
        await store.stat("c1/r1/a")


def test_the_secret_stays_out_of_the_config_repr() -> None:
    config = S3Config("b", "r", "https://s3.example.com", "AK", "very-secret-value")
    assert "very-secret-value" not in repr(config)
    assert "AK" in repr(config)


def test_the_s3_client_library_loads_only_once_s3_is_used() -> None:
    code = (
        "import sys, backroom.app, backroom.http.asgi, backroom.cli.main\n"
        "s3 = ('botocore', 'aiobotocore')\n"
        "loaded = sorted(m for m in sys.modules if m.split('.')[0] in s3)\n"
        "print(loaded)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
