"""Uploads, downloads, thumbnails, ranges and file tokens, sent to both servers: statuses,
JSON and the headers a browser acts on must agree."""

from __future__ import annotations

import io
import re
import zipfile
from typing import Any

import httpx
import pytest
from _targets import Target, unique
from normalize import normalize
from PIL import Image

pytestmark = pytest.mark.compat

_RANDOM_NAME = re.compile(r"(.*)_([a-z0-9]{10})(\..*)?")
_BOUNDARY = re.compile(rb"[0-9a-f]{60}")
_HEADERS = (
    "content-type",
    "content-disposition",
    "content-security-policy",
    "cache-control",
    "accept-ranges",
    "content-length",
    "content-range",
    "x-content-type-options",
    "x-frame-options",
)


_THUMB_PREFIX = re.compile(r"^(\d+x\d+[tbf]?_)(.*)$")
_QUOTED = re.compile(r'"([^"]+)"')


def _name(value: str) -> str:
    """A stored name (or a thumbnail's) with its random parts replaced."""
    thumb = _THUMB_PREFIX.match(value)
    if thumb is not None:
        return thumb[1] + _name(thumb[2])
    m = _RANDOM_NAME.fullmatch(value)
    if m is None:
        return value
    stem = m[1]
    if re.fullmatch(r"[a-z0-9]{10,12}", stem):
        stem = stem[:-10] + "<r>"
    return f"{stem}_<r>{m[3] or ''}"


def _names(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _names(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_names(v) for v in value]
    if isinstance(value, str):
        if " " in value:  # a message naming files
            return _QUOTED.sub(lambda m: f'"{_name(m[1])}"', value)
        return _name(value)
    return value


def _image(fmt: str, size: tuple[int, int] = (300, 200)) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", size, (20, 120, 200)).save(buf, fmt)
    return buf.getvalue()


def _zip(*names: str) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as archive:
        for name in names or ("a.txt",):
            archive.writestr(name, "hello")
    return buf.getvalue()


def _both(
    targets: tuple[Target, Target], method: str, path: str, *, auth: bool = True, **kw: Any
) -> tuple[httpx.Response, httpx.Response]:
    extra = kw.pop("headers", {})
    pb, br = (
        t.client.request(
            method, path.format(**_ids(t)), headers={**extra, **(t.su() if auth else {})}, **kw
        )
        for t in targets
    )
    assert br.status_code == pb.status_code, (pb.text, br.text)
    if pb.headers.get("content-type", "").startswith("application/json"):
        assert normalize(_names(br.json())) == normalize(_names(pb.json())), (pb.text, br.text)
    return pb, br


_IDS: dict[str, dict[str, str]] = {}


def _ids(t: Target) -> dict[str, str]:
    return _IDS.get(t.name, {})


@pytest.fixture(scope="module")
def coll(targets: tuple[Target, Target]) -> str:
    name = unique("files")
    fields = [
        {"name": "title", "type": "text"},
        {"name": "n", "type": "number"},
        {"name": "j", "type": "json"},
        {"name": "b", "type": "bool"},
        {"name": "one", "type": "file", "maxSelect": 1, "maxSize": 1000},
        {"name": "many", "type": "file", "maxSelect": 3, "thumbs": ["50x50", "0x20"]},
        {"name": "img", "type": "file", "mimeTypes": ["image/png", "image/jpeg"]},
        {
            "name": "pics",
            "type": "file",
            "maxSelect": 30,
            "thumbs": ["40x30", "40x30t", "40x30b", "40x30f", "0x30", "40x0"],
        },
        {"name": "prot", "type": "file", "protected": True},
    ]
    rules = {r: "" for r in ("listRule", "viewRule", "createRule", "updateRule", "deleteRule")}
    for t in targets:
        r = t.client.post(
            "/api/collections", headers=t.su(), json={"name": name, "fields": fields, **rules}
        )
        assert r.status_code == 200, r.text
    return name


def _create_both(
    targets: tuple[Target, Target], coll: str, files: Any, data: Any = None
) -> tuple[dict[str, Any], dict[str, Any]]:
    pb, br = _both(targets, "POST", f"/api/collections/{coll}/records", files=files, data=data)
    assert pb.status_code == 200, pb.text
    return pb.json(), br.json()


@pytest.mark.parametrize(
    "thumbs",
    [["bad"], ["0x0"], ["10x10q"], ["100X100"], ["-1x5"], ["1x1", "1x1"], ["0x0f"]],
    ids=str,
)
def test_thumb_size_definitions(targets: tuple[Target, Target], thumbs: list[str]) -> None:
    body = {"name": unique("th"), "fields": [{"name": "f", "type": "file", "thumbs": thumbs}]}
    _both(targets, "POST", "/api/collections", json=body)


@pytest.mark.parametrize("option", [{"maxSize": -1}, {"maxSelect": -1}], ids=str)
def test_negative_file_options(targets: tuple[Target, Target], option: dict[str, int]) -> None:
    body = {"name": unique("neg"), "fields": [{"name": "f", "type": "file", **option}]}
    _both(targets, "POST", "/api/collections", json=body)


UPLOADS: list[tuple[str, Any, Any]] = [
    ("typed values", {"title": "123", "n": "5", "j": "123", "b": "true"}, None),
    ("shortest numbers only", {"title": "1.50", "j": "1.5", "n": "007"}, None),
    ("json text", {"j": '{"a": 1}'}, None),
    ("repeated keys", None, [("j", (None, "1")), ("j", (None, "x")), ("j", (None, "true"))]),
    ("negative and exponent numbers", {"n": "-2.5", "j": "1e3"}, None),
    ("json payload wins", {"title": "form", "@jsonPayload": '{"title": "json", "n": 3}'}, None),
    ("bad json payload", {"@jsonPayload": "{bad"}, None),
    ("json payload array", {"@jsonPayload": "[1]"}, None),
    ("names", None, [("many", ("My Photo.png", b"x", "image/png")),
                     ("many", ("../../etc/passwd", b"hello", "text/plain")),
                     ("one", ("report.tar.gz", b"gz", "application/gzip"))]),
    ("oversize", None, [("one", ("big.bin", b"x" * 1001, "application/octet-stream"))]),
    ("wrong type", None, [("img", ("x.png", b"GIF89a....", "image/png"))]),
    ("too many", None, [("many", (f"f{i}.txt", b"hi", "text/plain")) for i in range(4)]),
    ("last of two in a single field", None,
     [("one", (f"f{i}.txt", b"hi", "text/plain")) for i in range(2)]),
    ("a name for a file", {"one": "whatever.txt"}, None),
    ("a file in a text field", None, [("title", ("x.txt", b"abc", "text/plain"))]),
    ("a file in no field", None, [("zzz", ("x.txt", b"abc", "text/plain"))]),
    ("an empty file", None, [("one", ("x.txt", b"", "text/plain"))]),
    ("no file name", None, [("one", ("", b"abc", "text/plain"))]),
    ("no extension", None, [("one", ("README", b"hello", "text/plain"))]),
]  # fmt: skip


@pytest.mark.parametrize(("label", "data", "files"), UPLOADS, ids=[u[0] for u in UPLOADS])
def test_record_uploads(
    targets: tuple[Target, Target], coll: str, label: str, data: Any, files: Any
) -> None:
    if files is None:
        files = [(k, (None, v)) for k, v in data.items()]
        data = None
    _both(targets, "POST", f"/api/collections/{coll}/records", data=data, files=files)


def test_modifiers_and_clearing(targets: tuple[Target, Target], coll: str) -> None:
    files = [("many", (f"f{i}.txt", b"x", "text/plain")) for i in range(2)]
    pb, br = _create_both(targets, coll, files)
    _IDS.update({"pocketbase": {"id": pb["id"]}, "backroom": {"id": br["id"]}})
    url = f"/api/collections/{coll}/records/{{id}}"
    _both(targets, "PATCH", url, files=[("many+", ("g.txt", b"g", "text/plain"))])
    _both(targets, "PATCH", url, files=[("+many", ("h.txt", b"h", "text/plain"))])
    answers = []
    for t in targets:
        path = url.format(**_ids(t))
        first = t.client.get(path).json()["many"][0]
        answers.append(t.client.patch(path, headers=t.su(), files=[("many-", (None, first))]))
    assert normalize(_names(answers[1].json())) == normalize(_names(answers[0].json()))
    _both(targets, "PATCH", url, files=[("+many", ("h.txt", b"h", "text/plain"))])
    _both(targets, "PATCH", url, files=[("many-", (None, "nothere.txt"))])
    _both(targets, "PATCH", url, json={"many": ["bogus.txt"]})
    _both(targets, "PATCH", url, json={"many": ""})


def _file_url(coll: str, rec: dict[str, Any], field: str, index: int = 0) -> str:
    value = rec[field]
    name = value[index] if isinstance(value, list) else value
    return f"/api/files/{coll}/{rec['id']}/{name}"


def _compare_headers(pb: httpx.Response, br: httpx.Response, *, thumb: bool = False) -> None:
    """Equal headers; a thumbnail's length is its encoder's business."""
    for header in _HEADERS:
        if thumb and header == "content-length":
            continue
        pv, bv = pb.headers.get(header), br.headers.get(header)
        if header == "content-disposition" and pv is not None and bv is not None:
            pv, bv = (re.sub(r'filename="([^"]*)"', lambda m: f'filename="{_name(m[1])}"', v)
                      for v in (pv, bv))  # fmt: skip
        if header == "content-type" and pv is not None and bv is not None:
            pv, bv = (_BOUNDARY.sub(b"<b>", v.encode()).decode() for v in (pv, bv))
        assert bv == pv, (header, pv, bv)


def _download_both(
    targets: tuple[Target, Target], urls: tuple[str, str], **kw: Any
) -> tuple[httpx.Response, httpx.Response]:
    pb = targets[0].client.get(urls[0], **kw)
    br = targets[1].client.get(urls[1], **kw)
    assert br.status_code == pb.status_code, (pb.text, br.text)
    _compare_headers(pb, br, thumb="thumb" in kw.get("params", {}))
    return pb, br


KINDS: list[tuple[str, str, bytes]] = [
    ("png", "a.png", _image("PNG")),
    ("jpeg", "a.jpg", _image("JPEG")),
    ("gif", "a.gif", _image("GIF")),
    ("webp", "a.webp", _image("WEBP")),
    ("bmp", "a.bmp", _image("BMP")),
    ("pdf", "a.pdf", b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"),
    ("mp4", "a.mp4", b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + b"\x00" * 64),
    ("mp3", "a.mp3", b"ID3\x03\x00\x00\x00\x00\x00\x00" + b"\xff\xfb\x90\x00" * 64),
    ("wav", "a.wav", b"RIFF\x24\x00\x00\x00WAVEfmt " + b"\x00" * 64),
    ("html", "a.html", b"<!DOCTYPE html><html><body><script>alert(1)</script></body></html>"),
    ("html as png", "a.png", b"<html><script>alert(1)</script></html>"),
    ("svg", "a.svg", b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'),
    ("xml", "a.xml", b'<?xml version="1.0"?><note><to>x</to></note>'),
    ("json", "a.json", b'{"a": [1, 2, 3]}'),
    ("text", "a.txt", "plain text, with ümlauts\n".encode()),
    ("css", "a.css", b"body { color: red }\n"),
    ("js", "a.js", b"console.log(1)\n"),
    ("binary", "a.bin", bytes(range(256))),
    ("zip", "a.zip", _zip()),
    ("docx", "a.docx", _zip("[Content_Types].xml", "word/document.xml")),
    ("csv", "a.csv", b"a,b,c\n1,2,3\n4,5,6\n"),
    ("latin-1 text", "a.txt", "caf\xe9 ol\xe9".encode("latin-1")),
    ("gzip", "a.gz", b"\x1f\x8b\x08\x00" + b"\x00" * 20),
    ("empty", "empty.txt", b""),
]


@pytest.fixture(scope="module")
def kinds(targets: tuple[Target, Target], coll: str) -> tuple[dict[str, Any], dict[str, Any]]:
    files = [("pics", (name, content, "application/octet-stream")) for _, name, content in KINDS]
    pb, br = _create_both(targets, coll, files)
    return pb, br


@pytest.mark.parametrize("index", range(len(KINDS)), ids=[k[0] for k in KINDS])
def test_download_headers_by_sniffed_type(
    targets: tuple[Target, Target], coll: str, kinds: Any, index: int
) -> None:
    pb, br = kinds
    urls = (_file_url(coll, pb, "pics", index), _file_url(coll, br, "pics", index))
    p, b = _download_both(targets, urls)
    assert b.content == p.content == KINDS[index][2]
    for flag in ("1", "true", "0", "false", "yes"):
        _download_both(targets, urls, params={"download": flag})


@pytest.mark.parametrize("spec", ["40x30", "40x30t", "40x30b", "40x30f", "0x30", "40x0",
                                  "100x100", "77x77", "0x0", "bad"])  # fmt: skip
@pytest.mark.parametrize("index", range(5), ids=[k[0] for k in KINDS[:5]])
def test_thumbnails(
    targets: tuple[Target, Target], coll: str, kinds: Any, index: int, spec: str
) -> None:
    pb, br = kinds
    urls = (_file_url(coll, pb, "pics", index), _file_url(coll, br, "pics", index))
    p, b = _download_both(targets, urls, params={"thumb": spec})
    pi, bi = Image.open(io.BytesIO(p.content)), Image.open(io.BytesIO(b.content))
    assert (bi.format, bi.size) == (pi.format, pi.size)


RANGES = [
    "bytes=0-9", "bytes=-5", "bytes=100-", "bytes=0-99999", "bytes=99999-", "bytes=5-1",
    "pages=1", "bytes=0-1,4-5", "bytes=0-,0-", "bytes=1 - 2", "bytes=", "bytes=-0",
]  # fmt: skip


@pytest.mark.parametrize("header", RANGES)
def test_range_requests(targets: tuple[Target, Target], coll: str, kinds: Any, header: str) -> None:
    pb, br = kinds
    urls = (_file_url(coll, pb, "pics", 0), _file_url(coll, br, "pics", 0))
    p, b = _download_both(targets, urls, headers={"Range": header})
    assert _BOUNDARY.sub(b"<b>", b.content) == _BOUNDARY.sub(b"<b>", p.content)


def test_conditional_requests(targets: tuple[Target, Target], coll: str, kinds: Any) -> None:
    pb, br = kinds
    urls = (_file_url(coll, pb, "pics", 0), _file_url(coll, br, "pics", 0))
    for t, url in zip(targets, urls, strict=True):
        modified = t.client.get(url).headers["last-modified"]
        assert t.client.get(url, headers={"If-Modified-Since": modified}).status_code == 304
    _download_both(targets, urls, headers={"If-Modified-Since": "Mon, 01 Jan 2001 00:00:00 GMT"})
    _download_both(targets, urls, headers={"If-Range": "Mon, 01 Jan 2001 00:00:00 GMT",
                                            "Range": "bytes=0-1"})  # fmt: skip
    p = targets[0].client.head(urls[0])
    b = targets[1].client.head(urls[1])
    assert b.status_code == p.status_code
    _compare_headers(p, b)


@pytest.mark.parametrize(
    "path",
    ["/api/files/nope/aaaaaaaaaaaaaaa/a.txt", "/api/files/{coll}/aaaaaaaaaaaaaaa/a.txt",
     "/api/files/{coll}/{id}/missing.txt", "/api/files/{coll}/{id}/..%2f..%2fdata.db"],
)  # fmt: skip
def test_missing_files(targets: tuple[Target, Target], coll: str, kinds: Any, path: str) -> None:
    for t, rec in zip(targets, kinds, strict=True):
        _IDS[t.name] = {"id": rec["id"]}
    _both(targets, "GET", path.replace("{coll}", coll), auth=False)


def test_file_tokens_and_protected_files(targets: tuple[Target, Target], coll: str) -> None:
    _both(targets, "POST", "/api/files/token", auth=False)
    _both(targets, "POST", "/api/files/token", auth=False, headers={"Authorization": "x.y.z"})
    pb, br = _create_both(targets, coll, [("prot", ("secret.txt", b"top secret", "text/plain"))])
    urls = (_file_url(coll, pb, "prot"), _file_url(coll, br, "prot"))
    _download_both(targets, urls)  # the viewRule is public: no token needed
    for t in targets:
        t.client.patch(f"/api/collections/{coll}", headers=t.su(), json={"viewRule": None})
    try:
        p, b = _download_both(targets, urls)
        assert p.status_code == 404
        assert normalize(b.json()) == normalize(p.json())
        tokens = [
            t.client.post("/api/files/token", headers=t.su()).json()["token"] for t in targets
        ]
        p = targets[0].client.get(urls[0], params={"token": tokens[0]})
        b = targets[1].client.get(urls[1], params={"token": tokens[1]})
        assert (p.status_code, p.content) == (b.status_code, b.content) == (200, b"top secret")
        p = targets[0].client.get(urls[0], params={"token": targets[0].token})
        b = targets[1].client.get(urls[1], params={"token": targets[1].token})
        assert b.status_code == p.status_code == 404
    finally:
        for t in targets:
            t.client.patch(f"/api/collections/{coll}", headers=t.su(), json={"viewRule": ""})


def test_a_body_over_the_limit(targets: tuple[Target, Target], coll: str) -> None:
    big = b"x" * (60 << 20)
    _both(targets, "POST", f"/api/collections/{coll}/records",
          files=[("many", ("big.bin", big, "application/octet-stream"))])  # fmt: skip


def test_rules_see_uploaded_files_in_the_body(targets: tuple[Target, Target]) -> None:
    name = unique("rulebody")
    body = {
        "name": name,
        "createRule": "@request.body.doc != ''",
        "updateRule": "@request.body.doc:length > 1",
        "fields": [{"name": "t", "type": "text"}, {"name": "doc", "type": "file", "maxSelect": 5}],
    }
    _both(targets, "POST", "/api/collections", json=body)
    url = f"/api/collections/{name}/records"
    _both(targets, "POST", url, auth=False, data={"t": "x"})
    pb, br = _both(targets, "POST", url, auth=False, files=[("doc", ("a.txt", b"a", "t/p"))])
    _IDS.update({"pocketbase": {"id": pb.json()["id"]}, "backroom": {"id": br.json()["id"]}})
    one = [("doc", ("b.txt", b"b", "text/plain"))]
    _both(targets, "PATCH", url + "/{id}", auth=False, files=one)
    _both(targets, "PATCH", url + "/{id}", auth=False, files=[("doc+", ("c.txt", b"c", "t/p"))])
    two = [("doc", (f"{i}.txt", b"b", "text/plain")) for i in "de"]
    _both(targets, "PATCH", url + "/{id}", auth=False, files=two)
