"""Uploads, downloads, thumbnails, protected files and ranges, against a real server over TCP."""

from __future__ import annotations

import io
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from _files_server import Server, image_bytes, make_collection, running_server
from PIL import Image

pytestmark = pytest.mark.e2e

_NAME = re.compile(r"^[a-z0-9_]+_[a-z0-9]{10}(\.[A-Za-z0-9_.*\-+=#]*)?$")
_CSP = "default-src 'none'; media-src 'self'; style-src 'unsafe-inline'; sandbox"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with running_server(tmp_path_factory.mktemp("files") / "br_data") as s:
        make_collection(
            s,
            "docs",
            [
                {"name": "title", "type": "text"},
                {"name": "n", "type": "number"},
                {"name": "one", "type": "file", "maxSelect": 1, "maxSize": 1000},
                {"name": "many", "type": "file", "maxSelect": 3, "thumbs": ["50x50", "0x20"]},
                {"name": "img", "type": "file", "mimeTypes": ["image/png", "image/jpeg"]},
                {"name": "big", "type": "file", "maxSize": 64 << 20},
            ],
            listRule="",
            viewRule="",
            createRule="",
            updateRule="",
            deleteRule="",
        )
        make_collection(
            s,
            "secrets",
            [
                {"name": "owner", "type": "text"},
                {"name": "doc", "type": "file", "protected": True, "thumbs": ["20x20"]},
            ],
            viewRule="@request.auth.id != '' && owner = @request.auth.id",
        )
        yield s


@pytest.fixture
def http(server: Server) -> Iterator[httpx.Client]:
    with server.client() as client:
        yield client


def _create(http: httpx.Client, files: list[Any], data: Any = None, **kw: Any) -> Any:
    r = http.post("/api/collections/docs/records", files=files, data=data, **kw)
    assert r.status_code == 200, r.text
    return r.json()


def test_an_upload_is_stored_under_a_normalized_name_and_downloads_byte_for_byte(
    server: Server, http: httpx.Client
) -> None:
    payload = os.urandom(200_000)
    rec = _create(http, [("many", ("Quarterly Report.PDF.bin", payload, "text/html"))])
    [name] = rec["many"]
    assert name.startswith("quarterly_report_")
    assert name.endswith(".PDF.bin")
    assert _NAME.match(name)
    assert server.stored(rec["collectionId"], rec["id"]) == [name]
    got = http.get(f"/api/files/docs/{rec['id']}/{name}")
    assert got.status_code == 200
    assert got.content == payload
    assert got.headers["content-type"] == "application/octet-stream"
    assert got.headers["content-disposition"] == f'attachment; filename="{name}"'
    assert got.headers["content-security-policy"] == _CSP
    assert got.headers["x-content-type-options"] == "nosniff"
    assert "x-frame-options" not in got.headers
    assert got.headers["accept-ranges"] == "bytes"


def test_form_values_are_typed_and_json_payload_wins(http: httpx.Client) -> None:
    rec = _create(
        http,
        [
            ("title", (None, "form")),
            ("n", (None, "7")),
            ("@jsonPayload", (None, '{"title": "json"}')),
            ("one", ("a.txt", b"hello", "text/plain")),
        ],
    )
    assert rec["title"] == "json"
    assert rec["n"] == 7
    assert _NAME.match(rec["one"])


def test_append_prepend_remove_and_clear(server: Server, http: httpx.Client) -> None:
    rec = _create(http, [("many", ("a.txt", b"a", "text/plain"))])
    rid, cid = rec["id"], rec["collectionId"]
    url = f"/api/collections/docs/records/{rid}"
    r = http.patch(url, files=[("many+", ("b.txt", b"b", "text/plain"))])
    assert r.status_code == 200, r.text
    a, b = r.json()["many"]
    r = http.patch(url, files=[("+many", ("c.txt", b"c", "text/plain"))])
    c, a2, b2 = r.json()["many"]
    assert (a2, b2) == (a, b)
    assert c.startswith("c")
    assert server.stored(cid, rid) == sorted([a, b, c])
    r = http.patch(url, data={"many-": a})
    assert r.json()["many"] == [c, b]
    assert server.stored(cid, rid) == sorted([b, c])
    r = http.patch(url, json={"many": ""})
    assert r.json()["many"] == []
    assert server.stored(cid, rid) == []


def test_a_plain_key_keeps_the_names_it_lists_and_adds_the_new_files(
    server: Server, http: httpx.Client
) -> None:
    rec = _create(http, [("many", (f"{i}.txt", b"x", "text/plain")) for i in "ab"])
    keep, _drop = rec["many"]
    r = http.patch(
        f"/api/collections/docs/records/{rec['id']}",
        data={"many": keep},
        files=[("many", ("new.txt", b"n", "text/plain"))],
    )
    assert r.status_code == 200, r.text
    kept, new = r.json()["many"]
    assert kept == keep
    assert new.startswith("new_")
    assert server.stored(rec["collectionId"], rec["id"]) == sorted([keep, new])


def test_file_field_errors_match_pocketbase(http: httpx.Client) -> None:
    r = http.post("/api/collections/docs/records", files=[("one", ("big.bin", b"x" * 1001, "a/b"))])
    assert r.status_code == 400
    assert r.json()["data"]["one"] == {
        "code": "validation_file_size_limit",
        "message": "Failed to upload big.bin - the maximum allowed file size is 1000 bytes.",
        "params": {"file": "big.bin", "maxSize": 1000},
    }
    r = http.post(
        "/api/collections/docs/records", files=[("img", ("x.png", b"GIF89a..", "image/png"))]
    )
    assert r.json()["data"]["img"]["code"] == "validation_invalid_mime_type"
    assert "mime type must be one of: image/png, image/jpeg." in r.json()["data"]["img"]["message"]
    files = [("many", (f"{i}.txt", b"x", "text/plain")) for i in range(4)]
    r = http.post("/api/collections/docs/records", files=files)
    assert r.json()["data"]["many"] == {
        "code": "validation_too_many_files",
        "message": "The maximum allowed files is 3.",
        "params": {"maxSelect": 3},
    }
    r = http.post("/api/collections/docs/records", json={"one": "someone_elses.txt"})
    assert r.json()["data"]["one"] == {
        "code": "validation_invalid_file",
        "message": "Invalid new files: [someone_elses.txt].",
        "params": {"invalidFiles": ["someone_elses.txt"]},
    }


def test_a_failed_write_leaves_no_file_behind(server: Server, http: httpx.Client) -> None:
    before = sorted((server.data / "storage").rglob("*"))
    files = [("many", ("ok.txt", b"ok", "text/plain")), ("one", ("x.bin", b"x" * 2000, "a/b"))]
    r = http.post("/api/collections/docs/records", files=files)
    assert r.status_code == 400
    rec = _create(http, [("many", ("a.txt", b"a", "text/plain"))])
    middle = sorted((server.data / "storage").rglob("*"))
    r = http.patch(
        f"/api/collections/docs/records/{rec['id']}",
        files=[("many+", ("b.txt", b"b", "text/plain")), ("img", ("x.png", b"nope", "a/b"))],
    )
    assert r.status_code == 400
    assert sorted((server.data / "storage").rglob("*")) == middle
    assert len(middle) > len(before)
    assert server.stored(rec["collectionId"], rec["id"]) == rec["many"]


def test_deleting_a_record_deletes_its_files_after_the_commit(
    server: Server, http: httpx.Client
) -> None:
    rec = _create(http, [("many", ("a.png", image_bytes(), "image/png"))])
    name = rec["many"][0]
    assert http.get(f"/api/files/docs/{rec['id']}/{name}?thumb=50x50").status_code == 200
    assert len(server.stored(rec["collectionId"], rec["id"])) == 2  # the file and its thumbs
    assert http.delete(f"/api/collections/docs/records/{rec['id']}").status_code == 204
    assert not (server.data / "storage" / rec["collectionId"] / rec["id"]).exists()
    assert http.get(f"/api/files/docs/{rec['id']}/{name}").status_code == 404


def test_a_replaced_file_and_its_thumbnails_are_deleted(server: Server, http: httpx.Client) -> None:
    rec = _create(http, [("many", ("a.png", image_bytes(), "image/png"))])
    old = rec["many"][0]
    http.get(f"/api/files/docs/{rec['id']}/{old}?thumb=50x50")
    r = http.patch(
        f"/api/collections/docs/records/{rec['id']}",
        files=[("many", ("b.png", image_bytes(), "image/png"))],
    )
    [new] = r.json()["many"]
    assert server.stored(rec["collectionId"], rec["id"]) == [new]


@pytest.mark.parametrize(
    ("spec", "size"),
    [
        ("50x50", (50, 50)),
        ("0x20", (30, 20)),
        ("100x100", (100, 100)),
    ],
)
def test_thumbnails_have_pocketbase_sizes_and_are_cached(
    server: Server, http: httpx.Client, spec: str, size: tuple[int, int]
) -> None:
    rec = _create(http, [("many", ("photo.jpg", image_bytes("JPEG"), "image/jpeg"))])
    name = rec["many"][0]
    r = http.get(f"/api/files/docs/{rec['id']}/{name}", params={"thumb": spec})
    assert r.status_code == 200
    assert r.headers["content-type"] == "image/jpeg"
    assert r.headers["content-disposition"] == f'inline; filename="{spec}_{name}"'
    assert Image.open(io.BytesIO(r.content)).size == size
    thumb = server.data / "storage" / rec["collectionId"] / rec["id"] / f"thumbs_{name}"
    assert (thumb / f"{spec}_{name}").read_bytes() == r.content
    again = http.get(f"/api/files/docs/{rec['id']}/{name}", params={"thumb": spec})
    assert again.content == r.content
    url = f"/api/files/docs/{rec['id']}/{name}"
    part = http.get(url, params={"thumb": spec}, headers={"Range": "bytes=2-5"})
    assert part.status_code == 206
    assert part.content == r.content[2:6]
    parts = http.get(url, params={"thumb": spec}, headers={"Range": "bytes=0-1,-2"})
    assert parts.status_code == 206
    assert r.content[:2] in parts.content
    assert parts.content.endswith(r.content[-2:] + b"\r\n--" + parts.content[2:62] + b"--\r\n")


def test_a_thumb_size_not_in_the_list_serves_the_original(http: httpx.Client) -> None:
    original = image_bytes()
    rec = _create(http, [("many", ("p.png", original, "image/png"))])
    name = rec["many"][0]
    for spec in ("77x77", "0x0", "junk", "50x50x"):
        r = http.get(f"/api/files/docs/{rec['id']}/{name}", params={"thumb": spec})
        assert r.status_code == 200
        assert r.content == original
        assert r.headers["content-disposition"] == f'inline; filename="{name}"'


def test_range_requests(http: httpx.Client) -> None:
    payload = bytes(range(256)) * 40
    rec = _create(http, [("many", ("r.bin", payload, "a/b"))])
    url = f"/api/files/docs/{rec['id']}/{rec['many'][0]}"
    r = http.get(url, headers={"Range": "bytes=10-19"})
    assert r.status_code == 206
    assert r.content == payload[10:20]
    assert r.headers["content-range"] == f"bytes 10-19/{len(payload)}"
    r = http.get(url, headers={"Range": "bytes=-5"})
    assert r.content == payload[-5:]
    r = http.get(url, headers={"Range": "bytes=10000-"})
    assert r.content == payload[10000:]
    r = http.get(url, headers={"Range": "bytes=0-1,4-5"})
    assert r.status_code == 206
    assert r.headers["content-type"].startswith("multipart/byteranges; boundary=")
    assert int(r.headers["content-length"]) == len(r.content)
    assert b"Content-Range: bytes 4-5/10240\r\n" in r.content
    r = http.get(url, headers={"Range": f"bytes={len(payload)}-"})
    assert r.status_code == 416
    assert r.headers["content-range"] == f"bytes */{len(payload)}"
    r = http.get(url, headers={"Range": "pages=1"})
    assert r.status_code == 416
    r = http.get(url)
    modified = r.headers["last-modified"]
    assert http.get(url, headers={"If-Modified-Since": modified}).status_code == 304
    r = http.get(url, headers={"If-Range": "Mon, 01 Jan 2001 00:00:00 GMT", "Range": "bytes=0-0"})
    assert r.status_code == 200
    assert r.content == payload
    assert http.head(url).headers["content-length"] == str(len(payload))


def test_unknown_collection_record_and_file_are_404(http: httpx.Client) -> None:
    rec = _create(http, [("many", ("a.txt", b"a", "text/plain"))])
    for path, message in [
        (f"/api/files/nope/{rec['id']}/{rec['many'][0]}", "Missing or invalid collection context."),
        (
            f"/api/files/docs/aaaaaaaaaaaaaaa/{rec['many'][0]}",
            "The requested resource wasn't found.",
        ),
        (f"/api/files/docs/{rec['id']}/missing.txt", "The requested resource wasn't found."),
    ]:
        r = http.get(path)
        assert r.status_code == 404
        assert r.json() == {"status": 404, "message": message, "data": {}}


def _user(server: Server, http: httpx.Client, email: str) -> tuple[str, str]:
    password = "a-long-pass-123"
    r = http.post(
        "/api/collections/users/records",
        json={"email": email, "password": password, "passwordConfirm": password},
    )
    assert r.status_code == 200, r.text
    auth = http.post(
        "/api/collections/users/auth-with-password",
        json={"identity": email, "password": password},
    )
    return r.json()["id"], auth.json()["token"]


def test_protected_files_need_a_file_token_whose_owner_passes_the_view_rule(
    server: Server, http: httpx.Client
) -> None:
    alice, alice_auth = _user(server, http, "alice@example.com")
    bob, bob_auth = _user(server, http, "bob@example.com")
    mine = http.post(
        "/api/collections/secrets/records",
        headers=server.su(),
        data={"owner": alice},
        files=[("doc", ("pic.png", image_bytes(), "image/png"))],
    ).json()
    theirs = http.post(
        "/api/collections/secrets/records",
        headers=server.su(),
        data={"owner": bob},
        files=[("doc", ("pic.png", image_bytes(), "image/png"))],
    ).json()
    url = f"/api/files/secrets/{mine['id']}/{mine['doc']}"
    assert http.post("/api/files/token").status_code == 401
    alice_token = http.post("/api/files/token", headers={"Authorization": alice_auth}).json()[
        "token"
    ]
    bob_token = http.post("/api/files/token", headers={"Authorization": bob_auth}).json()["token"]
    su_token = http.post("/api/files/token", headers=server.su()).json()["token"]

    assert http.get(url).status_code == 404
    assert http.get(url, headers={"Authorization": alice_auth}).status_code == 404
    assert http.get(url, params={"token": alice_auth}).status_code == 404  # an auth token
    assert http.get(url, params={"token": bob_token}).status_code == 404
    assert http.get(url, params={"token": "x.y.z"}).status_code == 404
    assert http.get(url, params={"token": alice_token}).status_code == 200
    assert http.get(url, params={"token": su_token}).status_code == 200
    other = f"/api/files/secrets/{theirs['id']}/{theirs['doc']}"
    assert http.get(other, params={"token": alice_token}).status_code == 404
    thumb = {"thumb": "20x20"}
    assert http.get(url, params=thumb).status_code == 404
    r = http.get(url, params={**thumb, "token": alice_token})
    assert r.status_code == 200
    assert Image.open(io.BytesIO(r.content)).size == (20, 20)


def test_files_of_a_deleted_collection_are_deleted(server: Server, http: httpx.Client) -> None:
    c = make_collection(server, "temp", [{"name": "f", "type": "file"}])
    r = http.post(
        "/api/collections/temp/records", headers=server.su(), files=[("f", ("a.txt", b"a", "t/p"))]
    )
    assert r.status_code == 200
    assert (server.data / "storage" / c["id"]).exists()
    assert http.delete("/api/collections/temp", headers=server.su()).status_code == 204
    assert not (server.data / "storage" / c["id"]).exists()


def test_uploads_stream_through_a_bounded_spool(server: Server, tmp_path: Path) -> None:
    """A 40 MB upload is stored and served back equal, in chunks."""
    payload = os.urandom(40 << 20)
    with server.client() as http:
        r = http.post("/api/collections/docs/records", files=[("big", ("big.bin", payload, "a/b"))])
        assert r.status_code == 200, r.text
        rec = r.json()
        got = bytearray()
        with http.stream("GET", f"/api/files/docs/{rec['id']}/{rec['big']}") as resp:
            for chunk in resp.iter_bytes():
                got += chunk
    assert bytes(got) == payload


def test_a_caller_the_update_rule_refuses_gets_404_and_stores_nothing(
    server: Server, http: httpx.Client
) -> None:
    c = make_collection(
        server,
        "guarded",
        [{"name": "owner", "type": "text"}, {"name": "f", "type": "file", "maxSelect": 2}],
        createRule="",
        updateRule="@request.auth.id != '' && owner = @request.auth.id",
    )
    r = http.post("/api/collections/guarded/records", files=[("f", ("a.txt", b"a", "t/p"))])
    assert r.status_code == 200, r.text
    rec = r.json()
    before = server.stored(c["id"], rec["id"])
    r = http.patch(
        f"/api/collections/guarded/records/{rec['id']}",
        files=[("f+", ("b.txt", b"b", "text/plain"))],
    )
    assert r.status_code == 404
    assert server.stored(c["id"], rec["id"]) == before == rec["f"]
