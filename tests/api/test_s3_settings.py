"""S3 in the settings API: the app's files follow ``s3`` live, and
``POST /api/settings/test/s3`` checks a bucket by writing and deleting a file in it."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from backroom.files.local import LocalFileStore
from backroom.files.s3 import S3FileStore
from backroom.testing import TestApp, running_app
from backroom.testing.s3 import S3Server

TEST_FAILED = "Failed to test the S3 filesystem."


@pytest.fixture
async def app(tmp_path: Path) -> AsyncIterator[TestApp]:
    async with running_app(tmp_path / "br_data") as test_app:
        await test_app.login()
        yield test_app


async def _chunks(data: bytes) -> AsyncIterator[bytes]:
    yield data


async def _patch(app: TestApp, body: dict[str, Any]) -> dict[str, Any]:
    r = await app.client.patch("/api/settings", headers=app.su(), json=body)
    assert r.status_code == 200, r.text
    result: dict[str, Any] = r.json()
    return result


async def test_enabling_s3_sends_new_files_to_the_bucket_without_a_restart(
    app: TestApp, s3_server: S3Server, tmp_path: Path
) -> None:
    files = app.backroom.files
    assert isinstance(files.backend, LocalFileStore)
    await files.save("c1/r1/before.txt", _chunks(b"local"), 100)

    bucket = s3_server.create_bucket()
    body = await _patch(app, {"s3": s3_server.settings(bucket)})
    assert "secret" not in body["s3"]
    assert body["s3"]["bucket"] == bucket
    assert app.backroom.files is files  # services holding the store see the switch too
    s3 = files.backend
    assert isinstance(s3, S3FileStore)
    await files.save("c1/r1/after.txt", _chunks(b"remote"), 100)
    assert s3_server.keys(bucket) == ["c1/r1/after.txt"]
    assert (tmp_path / "br_data" / "storage" / "c1" / "r1" / "before.txt").exists()

    # a change that leaves the secret out keeps it, and still switches to the new bucket
    other = s3_server.create_bucket()
    await _patch(app, {"s3": {"bucket": other}})
    assert app.backroom.app_settings.current["s3"]["secret"] == s3_server.secret
    await files.save("c1/r1/other.txt", _chunks(b"moved on"), 100)
    assert s3_server.keys(other) == ["c1/r1/other.txt"]

    await _patch(app, {"s3": {"enabled": False}})
    assert isinstance(files.backend, LocalFileStore)
    assert await files.stat("c1/r1/before.txt") is not None


async def test_s3_settings_apply_at_start_and_the_store_is_closed_on_shutdown(
    tmp_path: Path, s3_server: S3Server
) -> None:
    bucket = s3_server.create_bucket()
    async with running_app(tmp_path / "d") as app:
        await app.login()
        await _patch(app, {"s3": s3_server.settings(bucket)})
    async with running_app(tmp_path / "d") as app:
        s3 = app.backroom.files.backend
        assert isinstance(s3, S3FileStore)
        await app.backroom.files.save("c1/r1/a", _chunks(b"1"), 10)
        assert not s3.closed
    assert s3.closed
    assert s3_server.keys(bucket) == ["c1/r1/a"]


async def test_the_s3_test_needs_a_superuser(app: TestApp) -> None:
    r = await app.client.post("/api/settings/test/s3", json={"filesystem": "storage"})
    assert r.status_code == 401
    password = "s3cret-pw-1"
    body = {"email": "u@example.com", "password": password, "passwordConfirm": password}
    await app.client.post("/api/collections/users/records", json=body)
    login = await app.client.post(
        "/api/collections/users/auth-with-password",
        json={"identity": "u@example.com", "password": password},
    )
    user = {"Authorization": login.json()["token"]}
    r = await app.client.post("/api/settings/test/s3", headers=user, json={"filesystem": "storage"})
    assert r.status_code == 403


@pytest.mark.parametrize(
    ("body", "message", "data"),
    [
        ({}, TEST_FAILED, {"filesystem": "validation_required"}),
        ({"filesystem": ""}, TEST_FAILED, {"filesystem": "validation_required"}),
        ({"filesystem": None}, TEST_FAILED, {"filesystem": "validation_required"}),
        ({"filesystem": "x"}, TEST_FAILED, {"filesystem": "validation_in_invalid"}),
        ({"filesystem": 1}, "An error occurred while loading the submitted data.", {}),
        ([], "An error occurred while loading the submitted data.", {}),
        (
            {"filesystem": "storage"},
            f"{TEST_FAILED} Raw error: \nS3 storage filesystem is not enabled.",
            {},
        ),
        (
            {"filesystem": "backups"},
            f"{TEST_FAILED} Raw error: \nS3 storage filesystem is not enabled.",
            {},
        ),
    ],
)
async def test_bad_s3_test_requests(
    app: TestApp, body: Any, message: str, data: dict[str, str]
) -> None:
    r = await app.client.post("/api/settings/test/s3", headers=app.su(), json=body)
    assert r.status_code == 400
    answer = r.json()
    assert answer["message"] == message
    assert {k: v["code"] for k, v in answer["data"].items()} == data


@pytest.mark.parametrize("filesystem", ["storage", "backups"])
async def test_a_working_bucket_passes_and_is_left_empty(
    app: TestApp, s3_server: S3Server, filesystem: str
) -> None:
    bucket = s3_server.create_bucket()
    section = s3_server.settings(bucket)
    await _patch(app, {"s3": section} if filesystem == "storage" else {"backups": {"s3": section}})
    r = await app.client.post(
        "/api/settings/test/s3", headers=app.su(), json={"filesystem": filesystem}
    )
    assert r.status_code == 204, r.text
    assert s3_server.keys(bucket) == []


@pytest.mark.parametrize(
    ("change", "detail"),
    [
        ({"bucket": "no-such-bucket"}, "NoSuchBucket"),
        ({"endpoint": "http://127.0.0.1:1"}, "127.0.0.1:1"),
        ({"endpoint": "ftp://127.0.0.1"}, "failed to upload a test file"),
    ],
)
async def test_a_broken_bucket_fails_with_the_reason(
    app: TestApp, s3_server: S3Server, change: dict[str, str], detail: str
) -> None:
    section = {**s3_server.settings(s3_server.create_bucket()), **change}
    await _patch(app, {"backups": {"s3": section}})
    r = await app.client.post(
        "/api/settings/test/s3", headers=app.su(), json={"filesystem": "backups"}
    )
    assert r.status_code == 400
    body = r.json()
    assert body["message"].startswith(f"{TEST_FAILED} Raw error: \nfailed to upload a test file")
    assert detail in body["message"]
    assert body["data"] == {}


@pytest.mark.parametrize("path", [("s3",), ("backups", "s3")])
async def test_a_blank_s3_secret_is_validated_but_never_clears_the_stored_one(
    app: TestApp, s3_server: S3Server, path: tuple[str, ...]
) -> None:
    def nest(section: dict[str, Any]) -> dict[str, Any]:
        return {"s3": section} if path == ("s3",) else {"backups": {"s3": section}}

    def stored() -> Any:
        current: Any = app.backroom.app_settings.current
        for part in path:
            current = current[part]
        return current

    await _patch(app, nest(s3_server.settings(s3_server.create_bucket())))
    r = await app.client.patch("/api/settings", headers=app.su(), json=nest({"secret": ""}))
    assert r.status_code == 400
    codes = r.json()["data"]
    for part in path:
        codes = codes[part]
    assert codes == {"secret": {"code": "validation_required", "message": "Cannot be blank."}}
    await _patch(app, nest({"enabled": False, "secret": ""}))
    assert stored()["secret"] == s3_server.secret
    await _patch(app, nest({"secret": "rotated"}))
    assert stored()["secret"] == "rotated"


async def test_an_unreachable_bucket_answers_503_and_writes_nothing(
    app: TestApp, s3_server: S3Server
) -> None:
    r = await app.client.post(
        "/api/collections",
        headers=app.su(),
        json={
            "name": "docs",
            "listRule": "",
            "viewRule": "",
            "createRule": "",
            "fields": [{"name": "doc", "type": "file"}],
        },
    )
    assert r.status_code == 200, r.text
    await _patch(app, {"s3": s3_server.settings(s3_server.create_bucket())})
    made = await app.client.post(
        "/api/collections/docs/records", files={"doc": ("a.txt", b"hello", "text/plain")}
    )
    assert made.status_code == 200, made.text
    record = made.json()

    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{s.getsockname()[1]}"
    await _patch(app, {"s3": {"endpoint": closed}})
    unavailable = {
        "status": 503,
        "message": "The file storage is unavailable, try again later.",
        "data": {},
    }
    r = await app.client.get(f"/api/files/docs/{record['id']}/{record['doc']}")
    assert r.status_code == 503
    assert r.json() == unavailable
    r = await app.client.post(
        "/api/collections/docs/records", files={"doc": ("b.txt", b"bye", "text/plain")}
    )
    assert r.status_code == 503
    assert r.json() == unavailable
    listed = await app.client.get("/api/collections/docs/records")
    assert [item["id"] for item in listed.json()["items"]] == [record["id"]]
