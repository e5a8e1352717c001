"""S3 settings and ``POST /api/settings/test/s3`` against the real PocketBase: both servers
test their own bucket on one real S3-compatible server (moto's server mode)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from _targets import Target, both
from normalize import normalize

from backroom.testing.s3 import S3Server

pytestmark = pytest.mark.compat

PREFIX = "Failed to test the S3 filesystem. Raw error: \n"
DEFAULT_S3 = {
    "enabled": False,
    "bucket": "",
    "region": "",
    "endpoint": "",
    "accessKey": "",
    "secret": "",
    "forcePathStyle": False,
}


@pytest.fixture
def s3_settings(targets: tuple[Target, Target], s3_server: S3Server) -> Iterator[S3Server]:
    """Puts both servers' s3 sections back to the defaults afterwards."""
    yield s3_server
    for t in targets:
        body = {"s3": DEFAULT_S3, "backups": {"s3": DEFAULT_S3}}
        r = t.client.patch("/api/settings", headers=t.su(), json=body)
        assert r.status_code == 200, r.text


def test_the_s3_test_needs_a_superuser(targets: tuple[Target, Target]) -> None:
    both(targets, "POST", "/api/settings/test/s3", auth=False, json={"filesystem": "storage"})


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"filesystem": ""},
        {"filesystem": None},
        {"filesystem": "x"},
        {"filesystem": "STORAGE"},
        {"filesystem": 1},
        {"filesystem": ["storage"]},
        [],
        {"filesystem": "storage"},
        {"filesystem": "backups"},
    ],
    ids=str,
)
def test_bad_s3_test_requests_get_the_same_errors(
    targets: tuple[Target, Target], body: Any
) -> None:
    both(targets, "POST", "/api/settings/test/s3", json=body)


def test_malformed_json_gets_the_same_error(targets: tuple[Target, Target]) -> None:
    both(targets, "POST", "/api/settings/test/s3", content=b"{bad")


@pytest.mark.parametrize(
    "body",
    [
        {"s3": {"enabled": True}},
        {"s3": {"enabled": True, "endpoint": "not a url"}},
        {"s3": {"enabled": True, "endpoint": "localhost"}},
        {"s3": {"enabled": True, "bucket": "b", "region": "r", "accessKey": "a", "secret": ""}},
        {"backups": {"s3": {"enabled": True, "endpoint": "x"}}},
        {"s3": {"enabled": "yes"}},
        {"s3": {"forcePathStyle": 1}},
        {"s3": {"bucket": 5}},
        {"s3": "on"},
        {"backups": {"s3": []}},
    ],
    ids=str,
)
def test_invalid_s3_settings_get_the_same_errors(targets: tuple[Target, Target], body: Any) -> None:
    both(targets, "PATCH", "/api/settings", json=body)


@pytest.mark.parametrize("filesystem", ["storage", "backups"])
def test_a_working_bucket_passes_and_is_left_empty(
    targets: tuple[Target, Target], s3_settings: S3Server, filesystem: str
) -> None:
    buckets = []
    answers = []
    for t in targets:
        bucket = s3_settings.create_bucket()
        buckets.append(bucket)
        section = s3_settings.settings(bucket)
        patch = {"s3": section} if filesystem == "storage" else {"backups": {"s3": section}}
        answers.append(t.client.patch("/api/settings", headers=t.su(), json=patch))
        r = t.client.post("/api/settings/test/s3", headers=t.su(), json={"filesystem": filesystem})
        assert r.status_code == 204, (t.name, r.text)
    pb, br = answers
    assert pb.status_code == br.status_code == 200
    shown = [normalize(a.json()[filesystem if filesystem == "s3" else "s3"]) for a in answers]
    assert shown[0].keys() == shown[1].keys()
    pb_body, br_body = pb.json(), br.json()
    for body, bucket in ((pb_body, buckets[0]), (br_body, buckets[1])):
        section = body["s3"] if filesystem == "storage" else body["backups"]["s3"]
        assert section == {k: v for k, v in s3_settings.settings(bucket).items() if k != "secret"}
    for bucket in buckets:
        assert s3_settings.keys(bucket) == []


@pytest.mark.parametrize(
    "change",
    [{"bucket": "no-such-bucket"}, {"endpoint": "http://127.0.0.1:1"}],
    ids=str,
)
def test_a_broken_bucket_fails_alike(
    targets: tuple[Target, Target], s3_settings: S3Server, change: dict[str, str]
) -> None:
    answers = []
    for t in targets:
        section = {**s3_settings.settings(s3_settings.create_bucket()), **change}
        r = t.client.patch("/api/settings", headers=t.su(), json={"s3": section})
        assert r.status_code == 200, r.text
        answers.append(
            t.client.post("/api/settings/test/s3", headers=t.su(), json={"filesystem": "storage"})
        )
    pb, br = answers
    assert pb.status_code == br.status_code == 400
    # the raw error is each client library's own words; the frame around it is PocketBase's
    for answer in (pb.json(), br.json()):
        assert answer["message"].startswith(PREFIX + "failed to upload a test file: [key: ")
        assert answer["data"] == {}
        assert answer["status"] == 400


ENDPOINTS = [
    "localhost",
    "localhost:9000",
    "http://localhost",
    "minio",
    "http://minio:9000",
    "ftp://minio",
    "gopher://minio.example.com",
    "x.y",
    "127.0.0.1",
    "127.0.0.1:9000",
    "[::1]:9000",
    "http://[::1]:9000",
    "s3.amazonaws.com",
    "https://s3.us-east-1.amazonaws.com",
    "//x.example.com",
    "http:/x.example.com",
    "http://x.example.com:99999",
    "http://x.example.com:9a",
    "http://-a.com",
    "http://a..com",
    "http://user:pw@x.example.com/path?q=1",
]


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_endpoint_urls_are_judged_alike(
    targets: tuple[Target, Target], s3_settings: S3Server, endpoint: str
) -> None:
    body = {"s3": {"enabled": False, "endpoint": endpoint}, "meta": {"appURL": endpoint}}
    try:
        pb, br = (t.client.patch("/api/settings", headers=t.su(), json=body) for t in targets)
    finally:
        for t in targets:
            t.client.patch(
                "/api/settings", headers=t.su(), json={"meta": {"appURL": "http://localhost:8090"}}
            )
    assert br.status_code == pb.status_code, (pb.text, br.text)
    if pb.status_code == 200:
        assert br.json()["s3"]["endpoint"] == endpoint
    else:
        assert br.json() == pb.json()


def test_a_blank_secret_keeps_the_stored_one(
    targets: tuple[Target, Target], s3_settings: S3Server
) -> None:
    for t in targets:
        section = s3_settings.settings(s3_settings.create_bucket())
        r = t.client.patch("/api/settings", headers=t.su(), json={"s3": section})
        assert r.status_code == 200, r.text
    # while enabled, a blank secret is refused
    both(targets, "PATCH", "/api/settings", json={"s3": {"secret": ""}})
    # while disabled it is accepted, yet the stored secret stays: enabling again needs none
    for t in targets:
        r = t.client.patch("/api/settings", headers=t.su(), json={"s3": DEFAULT_S3})
        assert r.status_code == 200, r.text
    both(targets, "PATCH", "/api/settings", json={"s3": {"enabled": True}})
