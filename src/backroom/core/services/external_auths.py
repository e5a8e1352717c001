"""The ``_externalAuths`` links: which auth record a provider's user signs in as.

A link's identity is (collectionRef, provider, providerId), unique; a record has at most
one link per provider.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from backroom.core.collections.model import Collection, Schema
from backroom.core.context import RequestContext
from backroom.core.ids import new_id
from backroom.core.ports import Clock, RecordQuery, Storage, Transaction
from backroom.core.services.access import Access

__all__ = ["EXTERNAL_AUTHS", "ExternalAuths"]

EXTERNAL_AUTHS = "_externalAuths"
_BY_IDENTITY = (
    "collectionRef = @request.body.collectionRef && provider = @request.body.provider && "
    "providerId = @request.body.providerId"
)
_BY_RECORD = "collectionRef = @request.body.collectionRef && recordRef = @request.body.recordRef"
_MAX_LINKS = 1000


class ExternalAuths:
    def __init__(self, schema: Schema, storage: Storage, access: Access, clock: Clock) -> None:
        self._schema = schema
        self._storage = storage
        self._access = access
        self._clock = clock

    def collection(self) -> Collection:
        c = self._schema.get(EXTERNAL_AUTHS)
        assert c is not None, "the _externalAuths system collection is created at start"
        return c

    async def _find(self, expr: str, values: Mapping[str, str], limit: int) -> list[Any]:
        c = self.collection()
        ctx = RequestContext(body=values)
        plan = self._access.rule(c, expr, ctx)
        query = RecordQuery(c, [plan], limit=limit, bind=self._access.bind([plan], ctx))
        return (await self._storage.query(query)).items

    async def find(self, c: Collection, provider: str, provider_id: str) -> dict[str, Any] | None:
        """The link of this provider's user into collection ``c``, if any."""
        found = await self._find(
            _BY_IDENTITY,
            {"collectionRef": c.id, "provider": provider, "providerId": provider_id},
            1,
        )
        return dict(found[0]) if found else None

    async def of_record(self, c: Collection, record_id: str) -> list[dict[str, Any]]:
        found = await self._find(
            _BY_RECORD, {"collectionRef": c.id, "recordRef": record_id}, _MAX_LINKS
        )
        return [dict(r) for r in found]

    async def add(
        self, tx: Transaction, c: Collection, record_id: str, provider: str, provider_id: str
    ) -> None:
        now = self._clock.now()
        link = {
            "id": new_id(),
            "collectionRef": c.id,
            "recordRef": record_id,
            "provider": provider,
            "providerId": provider_id,
            "created": now,
            "updated": now,
        }
        await tx.insert_record(self.collection(), link)

    async def remove(self, tx: Transaction, links: list[dict[str, Any]]) -> None:
        ext = self.collection()
        for link in links:
            await tx.delete_record(ext, str(link["id"]))
