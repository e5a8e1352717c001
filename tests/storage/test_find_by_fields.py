"""``Transaction.find_by_fields``: exact matches on several fields, inside a transaction,
answered from an index that the fields lead."""

from __future__ import annotations

from pathlib import Path

from backroom.core.ids import new_id
from backroom.testing import running_app


async def test_it_sees_the_transactions_own_writes_and_matches_every_field(
    tmp_path: Path,
) -> None:
    async with running_app(tmp_path / "br_data") as app:
        storage = app.backroom.raw_storage
        origins = app.backroom.schema.get("_authOrigins")
        assert origins is not None
        now = "2026-01-01 00:00:00.000Z"
        rows = [
            {"collectionRef": c, "recordRef": r, "fingerprint": f, "created": now, "updated": now}
            for c, r, f in [("a", "1", "x"), ("a", "1", "y"), ("a", "2", "x"), ("b", "1", "x")]
        ]
        async with storage.transaction() as tx:
            for row in rows:
                await tx.insert_record(origins, {"id": new_id(), **row})
            found = await tx.find_by_fields(origins, {"collectionRef": "a", "recordRef": "1"})
            assert sorted(r["fingerprint"] for r in found) == ["x", "y"]
            assert len(await tx.find_by_fields(origins, {"collectionRef": "a"})) == 3
            assert await tx.find_by_fields(origins, {"collectionRef": "c"}) == []

        stmt = storage.statements.by_fields(origins, ("collectionRef", "recordRef"))
        plan = await storage.engine.read(
            lambda c: c.execute(f"EXPLAIN QUERY PLAN {stmt.sql}", stmt.params()).fetchall()
        )
        assert "idx_authOrigins_unique_pairs" in " ".join(str(step[-1]) for step in plan)
