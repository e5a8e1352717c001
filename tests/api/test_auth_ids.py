"""Auth record ids are unique across every auth collection (as PocketBase's)."""

from __future__ import annotations

from backroom.testing import TestApp

PASSWORD = "s3cret-pw-1"


def _body(email: str, record_id: str) -> dict[str, str]:
    return {"id": record_id, "email": email, "password": PASSWORD, "passwordConfirm": PASSWORD}


async def test_an_id_taken_in_another_auth_collection_is_refused(app: TestApp) -> None:
    taken = "sharedid0000001"
    r = await app.client.post(
        "/api/collections/_superusers/records", headers=app.su(), json=_body("a@example.com", taken)
    )
    assert r.status_code == 200, r.text
    r = await app.client.post(
        "/api/collections/users/records", headers=app.su(), json=_body("b@example.com", taken)
    )
    assert r.status_code == 400
    assert r.json()["data"]["id"]["code"] == "validation_invalid_auth_id"
    listed = await app.client.get("/api/collections/users/records", headers=app.su())
    assert listed.json()["totalItems"] == 0


async def test_a_base_collection_may_reuse_an_auth_id(app: TestApp) -> None:
    taken = "sharedid0000002"
    r = await app.client.post(
        "/api/collections/users/records", headers=app.su(), json=_body("b@example.com", taken)
    )
    assert r.status_code == 200, r.text
    notes = {"name": "notes", "fields": [{"name": "text", "type": "text"}]}
    assert (await app.client.post("/api/collections", headers=app.su(), json=notes)).is_success
    r = await app.client.post(
        "/api/collections/notes/records", headers=app.su(), json={"id": taken, "text": "x"}
    )
    assert r.status_code == 200, r.text
