"""The realtime hub of one process: committed changes in through the broker, frames out to
this process's clients.

Every process publishes the changes it commits on the broker and delivers what the broker
hands it, its own changes included, so a write on one process reaches the subscribers of
all of them. Changes are handled one at a time, in the order the broker delivers them.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Iterable, Mapping, Sequence

import orjson

from backroom.core.collections.model import Collection, Schema
from backroom.core.context import AuthInfo
from backroom.core.ports import Broker
from backroom.core.records.changes import RecordChange
from backroom.realtime.audience import Audience, Group, group_key, view_key
from backroom.realtime.clients import ClientRegistry, RealtimeClient, sse_prefix
from backroom.realtime.topics import Subscription, record_topics
from backroom.realtime.wire import CHANNEL, WireChange, decode_changes, encode_changes
from backroom.realtime.wire import token_digest as _digest

__all__ = ["OAUTH2_TOPIC", "RealtimeHub"]

log = logging.getLogger("backroom.realtime")

OAUTH2_TOPIC = "@oauth2"
_Entry = tuple[RealtimeClient, Subscription, bytes]  # with the message prefix


class RealtimeHub:
    def __init__(
        self,
        schema: Schema,
        broker: Broker,
        audience: Audience,
        clients: ClientRegistry,
    ) -> None:
        self._schema = schema
        self._broker = broker
        self._audience = audience
        self.clients = clients
        self._by_topic: dict[str, dict[tuple[str, str], _Entry]] = {}
        self._outbox: deque[bytes] = deque()
        self._inbox: deque[bytes] = deque()
        self._publishing: asyncio.Task[None] | None = None
        self._delivering: asyncio.Task[None] | None = None
        self.delivered = 0
        broker.listen(CHANNEL, self._received)

    # -- clients and subscriptions ------------------------------------------------------

    def connect(self, ip: str) -> RealtimeClient:
        return self.clients.connect(ip)

    def disconnect(self, client: RealtimeClient) -> None:
        client.close(client.close_reason or "gone")
        self._unindex(client)
        self.clients.disconnect(client)

    def _unindex(self, client: RealtimeClient) -> None:
        for sub in client.subscriptions.values():
            entries = self._by_topic.get(sub.topic)
            if entries is not None:
                entries.pop((client.id, sub.raw), None)
                if not entries:
                    del self._by_topic[sub.topic]

    def subscribe(
        self, client: RealtimeClient, auth: AuthInfo | None, subscriptions: Iterable[str]
    ) -> None:
        """Replace the client's auth and subscriptions (PocketBase's ``POST /api/realtime``)."""
        self._unindex(client)
        client.auth = auth
        client.subscriptions = {}
        for raw in subscriptions:
            if not raw:
                continue
            sub = Subscription.parse(raw)
            client.subscriptions[raw] = sub
            entry = (client, sub, sse_prefix(client.id, raw))
            self._by_topic.setdefault(sub.topic, {})[(client.id, raw)] = entry

    def send_to(self, client_id: str, topic: str, data: bytes, *, once: bool = False) -> bool:
        """Push ``data`` as event ``topic`` to a client subscribed to that exact topic."""
        client = self.clients.get(client_id)
        if client is None or client.closed or topic not in client.subscriptions:
            return False
        client.push(sse_prefix(client.id, topic), data)
        if once:
            sub = client.subscriptions.pop(topic)
            entries = self._by_topic.get(sub.topic, {})
            entries.pop((client.id, topic), None)
        return True

    # -- publishing: this process's commits onto the broker -----------------------------

    def records_committed(self, changes: Sequence[RecordChange]) -> None:
        try:
            payload = encode_changes(changes)
        except (TypeError, orjson.JSONEncodeError):
            log.exception("a committed change could not be encoded for realtime")
            return
        self._outbox.append(payload)
        if self._publishing is None or self._publishing.done():
            self._publishing = asyncio.get_running_loop().create_task(self._publish())

    async def _publish(self) -> None:
        while self._outbox:
            payload = self._outbox.popleft()
            try:
                await self._broker.publish(CHANNEL, payload)
            except Exception:
                log.exception("realtime changes could not be published")

    # -- delivering: what the broker hands this process ---------------------------------

    def _received(self, payload: bytes) -> None:
        self._inbox.append(payload)
        if self._delivering is None or self._delivering.done():
            self._delivering = asyncio.get_running_loop().create_task(self._deliver_all())

    async def _deliver_all(self) -> None:
        while self._inbox:
            payload = self._inbox.popleft()
            try:
                changes = decode_changes(payload)
            except Exception:
                log.exception("a realtime payload could not be read")
                continue
            for change in changes:
                try:
                    await self._deliver(change)
                except Exception:  # one bad event must not stop the ones after it
                    log.exception("a realtime event could not be delivered")

    async def idle(self) -> None:
        """Wait until everything published so far has been delivered here (tests)."""
        while _running(self._publishing) or _running(self._delivering):
            for task in (self._publishing, self._delivering):
                if task is not None and not task.done():
                    await task

    async def _deliver(self, change: WireChange) -> None:
        c = self._schema.get(change.collection_id)
        if c is None:
            return
        if c.is_auth:
            self._refresh_auth(c, change)
        if not self.clients or not self._by_topic:
            return
        rid = str(change.record.get("id", ""))
        view_topics, list_topics = record_topics(c.id, c.name, rid)
        groups: dict[tuple[object, ...], Group] = {}
        for rule_name, topics in (("viewRule", view_topics), ("listRule", list_topics)):
            for topic in topics:
                for client, sub, prefix in self._by_topic.get(topic, {}).values():
                    if client.closed:
                        continue
                    key = group_key(rule_name, client.auth, sub)
                    group = groups.get(key)
                    if group is None:
                        group = groups[key] = Group(rule_name, client.auth, sub)
                    group.members.append((client, prefix))
        if not groups:
            return
        ordered = list(groups.values())
        record = change.record
        verdicts = await self._audience.allowed(c, record, ordered)
        payloads: dict[tuple[object, ...], bytes] = {}
        for group, ok in zip(ordered, verdicts, strict=True):
            if not ok:
                continue
            vkey = view_key(c, group)
            data = payloads.get(vkey)
            if data is None:
                data = payloads[vkey] = await self._audience.payload(
                    c, record, change.action, group
                )
            for client, prefix in group.members:
                client.push(prefix, data)
            self.delivered += len(group.members)

    def _refresh_auth(self, c: Collection, change: WireChange) -> None:
        """A subscriber whose record was deleted, or whose tokenKey changed (a password or
        email change), loses its auth at once; other changes refresh the record its rules
        see. Its stream stays open, as a guest's."""
        rid = change.record.get("id")
        for client in self.clients:
            auth = client.auth
            if auth is None or auth.collection_id != c.id or auth.id != rid:
                continue
            revoked = change.action == "delete" or _digest(
                auth.record.get("tokenKey")
            ) != change.record.get("tokenKey")
            if revoked:
                client.auth = None
            else:
                client.auth = AuthInfo(c.id, c.name, _merged(auth.record, change.record))

    def begin_shutdown(self) -> None:
        """Close every stream now and take no new ones; clients reconnect elsewhere or
        once the server is back."""
        self.clients.closing = True
        self.clients.close_all("shutdown")

    async def close(self) -> None:
        self.begin_shutdown()
        for task in (self._publishing, self._delivering):
            if task is not None and not task.done():
                task.cancel()


def _running(task: asyncio.Task[None] | None) -> bool:
    return task is not None and not task.done()


def _merged(old: Mapping[str, object], new: Mapping[str, object]) -> dict[str, object]:
    """The new values, with the secrets that do not travel on the broker kept from before."""
    merged = dict(new)
    for secret in ("tokenKey", "password"):
        if secret in old:
            merged[secret] = old[secret]
    return merged
