"""An upload that races a collection change made by another process on the same data: its
streamed multipart body cannot be read twice (a JSON body runs again, see
tests/e2e/test_workers.py), so it gets 503 and is sent again, never a 500 or a half-written
record."""

from __future__ import annotations

from pathlib import Path

from backroom.testing import running_app

DOCS = {
    "name": "docs",
    "type": "base",
    "createRule": "",
    "listRule": "",
    "fields": [
        {"name": "title", "type": "text"},
        {"name": "doc", "type": "file", "maxSelect": 1, "maxSize": 1000000},
    ],
}


async def test_bodies_racing_a_change_elsewhere_are_run_again_or_refused(tmp_path: Path) -> None:
    data = tmp_path / "br_data"
    async with running_app(data) as here:
        await here.login()
        r = await here.client.post("/api/collections", headers=here.su(), json=DOCS)
        assert r.status_code == 200, r.text
        # another process, with no broker between the two, drops the field "title"
        async with running_app(data) as there:
            fields = [f for f in r.json()["fields"] if f["name"] != "title"]
            changed = await there.client.patch(
                "/api/collections/docs", headers=here.su(), json={"fields": fields}
            )
            assert changed.status_code == 200, changed.text
        url = "/api/collections/docs/records"
        upload = await here.client.post(
            url, data={"title": "a"}, files={"doc": ("a.txt", b"hello", "text/plain")}
        )
        assert upload.status_code == 503, upload.text
        assert upload.headers["retry-after"] == "1"
        assert upload.json() == {
            "status": 503,
            "message": "The collection changed while the request ran; send it again.",
            "data": {},
        }
        assert (await here.client.get(url)).json()["totalItems"] == 0
        # now in step: the same upload goes through
        again = await here.client.post(
            url, data={"title": "a"}, files={"doc": ("a.txt", b"hello", "text/plain")}
        )
        assert again.status_code == 200, again.text
        assert "title" not in again.json()
        assert (await here.client.get(url)).json()["totalItems"] == 1
