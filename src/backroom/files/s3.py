"""Files in an S3-compatible bucket (AWS S3, MinIO, Cloudflare R2, Backblaze B2, ...).

Keys map one to one to object keys, as PocketBase lays them out, so a bucket filled by one
reads in the other. Saves stream: a file smaller than one part is sent with a single PUT;
a larger one goes up as a multipart upload, part by part, and becomes visible only when the
upload completes; on any failure the upload is aborted so the bucket keeps nothing.
"""

from __future__ import annotations

import asyncio
import logging
import mimetypes
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, AsyncExitStack
from datetime import UTC
from typing import TYPE_CHECKING

from aiobotocore.config import AioConfig
from aiobotocore.session import AioSession
from botocore.exceptions import BotoCoreError, ClientError

from backroom.core.ports import FileTooLarge, StoredFile
from backroom.errors import UnavailableError
from backroom.files.keys import split_key
from backroom.files.s3_settings import S3Config

if TYPE_CHECKING:
    from types_aiobotocore_s3 import S3Client
    from types_aiobotocore_s3.type_defs import CompletedPartTypeDef, ObjectIdentifierTypeDef

__all__ = ["MIN_PART_SIZE", "S3Config", "S3Error", "S3FileStore"]

log = logging.getLogger("backroom.files")

MIN_PART_SIZE = 5 * 1024 * 1024  # S3 refuses smaller parts, the last one excepted
_PART_SIZE = 8 * 1024 * 1024
_READ_CHUNK = 64 * 1024
_CONNECTIONS = 256
_MISSING = ("404", "NoSuchKey", "NotFound")


class S3Error(UnavailableError):
    """The bucket could not be reached or refused an operation. The client gets 503 with a
    plain message; what went wrong is the exception's text, for the log."""

    default_message = "The file storage is unavailable, try again later."

    def __init__(self, detail: str) -> None:
        super().__init__()
        self.detail = detail

    def __str__(self) -> str:
        return self.detail


def _failed(action: str, key: str, err: Exception) -> S3Error:
    log.warning("S3 %s of %s failed: %s", action, key, err)
    return S3Error(f"S3 {action} of {key} failed: {err}")


class S3FileStore:
    """A ``FileStore`` on one bucket. The connection pool opens on first use and is released
    by ``close``."""

    def __init__(
        self,
        config: S3Config,
        *,
        part_size: int = _PART_SIZE,
        page_size: int = 1000,
        attempts: int = 3,
    ) -> None:
        if part_size < MIN_PART_SIZE:
            raise ValueError(f"part_size must be at least {MIN_PART_SIZE} bytes")
        self.config = config
        self._part_size = part_size
        self._page_size = page_size
        self._attempts = attempts
        self._client: S3Client | None = None
        self._stack = AsyncExitStack()
        self._lock = asyncio.Lock()
        self._closed = False

    async def _s3(self) -> S3Client:
        if self._client is not None:
            return self._client
        async with self._lock:
            if self._closed:
                raise RuntimeError("the S3 file store is closed")
            client = self._client
            if client is None:
                url = self.config.endpoint_url
                if not url.startswith(("http://", "https://")):
                    raise S3Error(f"the S3 endpoint {url} is not an http:// or https:// URL")
                try:
                    client = await self._stack.enter_async_context(self._new_client())
                except ValueError as err:  # botocore's word for an endpoint it cannot use
                    raise S3Error(f"the S3 endpoint {url} cannot be used: {err}") from err
                self._client = client
        return client

    def _new_client(self) -> AbstractAsyncContextManager[S3Client]:
        c = self.config
        config = AioConfig(
            s3={"addressing_style": "path" if c.force_path_style else "virtual"},
            retries={"max_attempts": self._attempts, "mode": "standard"},
            # a download holds its connection while the client reads: room for many at once
            max_pool_connections=_CONNECTIONS,
            connect_timeout=10,
            read_timeout=60,
            # checksums only where S3 requires them: many S3-compatible stores reject the rest
            request_checksum_calculation="when_required",
            response_checksum_validation="when_required",
        )
        return AioSession().create_client(
            "s3",
            region_name=c.region,
            endpoint_url=c.endpoint_url,
            aws_access_key_id=c.access_key,
            aws_secret_access_key=c.secret,
            config=config,
        )

    async def save(self, key: str, chunks: AsyncIterator[bytes], max_size: int) -> int:
        split_key(key)
        s3 = await self._s3()
        bucket = self.config.bucket
        # for whoever reads the bucket directly (a CDN, a public bucket); Backroom's own
        # downloads set their type themselves
        ctype = mimetypes.guess_type(key)[0] or "application/octet-stream"
        buffer = bytearray()
        size = 0
        upload_id = ""
        parts: list[CompletedPartTypeDef] = []

        async def send_part(body: bytes) -> None:
            number = len(parts) + 1
            answer = await s3.upload_part(
                Bucket=bucket, Key=key, UploadId=upload_id, PartNumber=number, Body=body
            )
            parts.append({"PartNumber": number, "ETag": answer["ETag"]})

        try:
            async for chunk in chunks:
                size += len(chunk)
                if size > max_size:
                    raise FileTooLarge(key)
                buffer += chunk
                while len(buffer) >= self._part_size:
                    if not upload_id:
                        created = await s3.create_multipart_upload(
                            Bucket=bucket, Key=key, ContentType=ctype
                        )
                        upload_id = created["UploadId"]
                    body = bytes(buffer[: self._part_size])
                    del buffer[: self._part_size]
                    await send_part(body)
            if not upload_id:
                await s3.put_object(Bucket=bucket, Key=key, Body=bytes(buffer), ContentType=ctype)
                return size
            if buffer:
                await send_part(bytes(buffer))
            await s3.complete_multipart_upload(
                Bucket=bucket, Key=key, UploadId=upload_id, MultipartUpload={"Parts": parts}
            )
        except BaseException as err:
            if upload_id:
                # shielded: a cancelled request still leaves no parts behind in the bucket
                await asyncio.shield(self._abort(s3, key, upload_id))
            if isinstance(err, ClientError | BotoCoreError):
                raise _failed("upload", key, err) from err
            raise
        return size

    async def _abort(self, s3: S3Client, key: str, upload_id: str) -> None:
        try:
            await s3.abort_multipart_upload(Bucket=self.config.bucket, Key=key, UploadId=upload_id)
        except Exception:
            log.exception("could not abort the multipart upload of %s", key)

    async def stat(self, key: str) -> StoredFile | None:
        try:
            split_key(key)
        except ValueError:
            return None
        s3 = await self._s3()
        try:
            head = await s3.head_object(Bucket=self.config.bucket, Key=key)
        except ClientError as err:
            if _code(err) in _MISSING:
                return None
            raise _failed("stat", key, err) from err
        except BotoCoreError as err:
            raise _failed("stat", key, err) from err
        return StoredFile(head["ContentLength"], head["LastModified"].astimezone(UTC))

    async def read(self, key: str, start: int = 0, end: int | None = None) -> AsyncIterator[bytes]:
        split_key(key)
        s3 = await self._s3()
        if end is not None and end <= start:
            return
        bucket = self.config.bucket
        try:
            if start or end is not None:
                last = "" if end is None else end - 1
                answer = await s3.get_object(Bucket=bucket, Key=key, Range=f"bytes={start}-{last}")
            else:
                answer = await s3.get_object(Bucket=bucket, Key=key)
        except ClientError as err:
            if _code(err) in _MISSING:
                raise FileNotFoundError(key) from err
            if _code(err) == "InvalidRange":  # the range starts past the end
                return
            raise _failed("download", key, err) from err
        except BotoCoreError as err:
            raise _failed("download", key, err) from err
        body = answer["Body"]
        try:
            async for chunk in body.iter_chunks(_READ_CHUNK):
                yield chunk
        except (ClientError, BotoCoreError) as err:
            raise _failed("download", key, err) from err
        finally:
            body.close()

    async def delete(self, key: str) -> None:
        split_key(key)
        s3 = await self._s3()
        try:
            await s3.delete_object(Bucket=self.config.bucket, Key=key)
        except (ClientError, BotoCoreError) as err:
            raise _failed("delete", key, err) from err

    async def delete_prefix(self, prefix: str) -> None:
        folder = "/".join(split_key(prefix.rstrip("/"))) + "/"
        try:
            await self._delete_folder(folder)
        except (ClientError, BotoCoreError) as err:
            raise _failed("delete", folder, err) from err

    async def _delete_folder(self, folder: str) -> None:
        s3 = await self._s3()
        bucket = self.config.bucket
        pages = s3.get_paginator("list_objects_v2").paginate(
            Bucket=bucket, Prefix=folder, PaginationConfig={"PageSize": self._page_size}
        )
        async for page in pages:
            keys: list[ObjectIdentifierTypeDef] = [
                {"Key": item["Key"]} for item in page.get("Contents", []) if "Key" in item
            ]
            if not keys:
                continue
            answer = await s3.delete_objects(Bucket=bucket, Delete={"Objects": keys, "Quiet": True})
            errors = answer.get("Errors", [])
            if errors:
                first = errors[0]
                raise S3Error(
                    f"could not delete {len(errors)} keys under {folder}, "
                    f"first {first.get('Key')}: {first.get('Code')} {first.get('Message')}"
                )

    @property
    def closed(self) -> bool:
        return self._closed

    async def close(self) -> None:
        async with self._lock:
            self._closed = True
            self._client = None
            await self._stack.aclose()


def _code(err: ClientError) -> str:
    return str(err.response.get("Error", {}).get("Code", ""))
