"""The composition root: builds storage and services; HTTP, CLI and tests all start here."""

from __future__ import annotations

import asyncio
import gc
import logging
import signal
import threading
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from typing import Any

from backroom.core.auth.oauth2_port import OAuth2Redirects
from backroom.core.clock import SystemClock
from backroom.core.collections.codec import collection_to_json
from backroom.core.collections.model import Collection, Schema
from backroom.core.collections.system import (
    auth_origins_collection,
    external_auths_collection,
    mfas_collection,
    otps_collection,
    superusers_collection,
    users_collection,
)
from backroom.core.ratelimit import RateLimiter
from backroom.core.records.changes import ObservedStorage
from backroom.core.services.access import Access
from backroom.core.services.auth import AuthService
from backroom.core.services.auth_mail import AuthMailFlows
from backroom.core.services.auth_origins import AuthOrigins
from backroom.core.services.collections import CollectionService
from backroom.core.services.expander import Expander
from backroom.core.services.expired_sign_ins import PURGE_INTERVAL, ExpiredSignIns
from backroom.core.services.files import FileService
from backroom.core.services.impersonation import Impersonation
from backroom.core.services.login_alerts import LoginAlerts
from backroom.core.services.mail import MailService
from backroom.core.services.mfa import MultiFactor
from backroom.core.services.oauth2 import OAuth2Service
from backroom.core.services.otp import OtpFlows
from backroom.core.services.records import RecordService
from backroom.core.services.s3_check import S3Check
from backroom.core.services.settings import SettingsService
from backroom.failures import SharedFailures
from backroom.files.local import LocalFileStore
from backroom.files.s3_settings import S3Config, open_s3_store
from backroom.files.switch import SwitchingFileStore
from backroom.files.thumbs import PillowThumbnailer
from backroom.hashing import Argon2Hasher
from backroom.http.client_ip import TrustedProxy
from backroom.mail.smtp import SmtpMailer
from backroom.oauth2.client import AuthlibOAuth2Client
from backroom.peers import BrokerPeers
from backroom.periodic import PeriodicTask
from backroom.realtime.audience import Audience
from backroom.realtime.brokers import make_broker
from backroom.realtime.clients import ClientRegistry
from backroom.realtime.direct import DirectMessages
from backroom.realtime.forward import RemoteSubscriptions
from backroom.realtime.hub import RealtimeHub
from backroom.realtime.oauth2 import RealtimeRedirects
from backroom.settings import Settings
from backroom.storage.sqlite.storage import SqliteStorage

__all__ = ["Backroom"]

log = logging.getLogger("backroom")


class Backroom:
    """One running Backroom: its storage, its schema and its services."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.clock = SystemClock()
        self.raw_storage = SqliteStorage(
            settings.data_dir,
            durability=settings.durability,
            readers=settings.readers,
            query_timeout=settings.query_timeout,
        )
        # every committed record change reaches realtime through this wrapper
        self.storage = ObservedStorage(self.raw_storage)
        self.hasher = Argon2Hasher()
        self.broker = make_broker(settings)
        self.peers = BrokerPeers(self.broker)
        # the local folder, or S3 once the settings enable it (``_apply_settings``)
        self.files = SwitchingFileStore(LocalFileStore(settings.data_dir / "storage"))
        self.schema = Schema()
        self.access = Access(self.schema, self.clock)
        self.collections = CollectionService(
            self.schema,
            self.storage,
            self.clock,
            self.access.check_rule,
            files=self.files,
            peers=self.peers,
        )
        self.limiter = RateLimiter()
        self.records = RecordService(
            self.schema,
            self.storage,
            self.clock,
            self.hasher,
            self.access,
            self.limiter,
            files=self.files,
        )
        self.thumbnailer = PillowThumbnailer()
        self.file_service = FileService(
            self.schema, self.storage, self.files, self.access, self.thumbnailer
        )
        self.trusted_proxy = TrustedProxy()
        self.mfa = MultiFactor(self.schema, self.storage, self.access, self.clock)
        self.auth = AuthService(
            self.schema,
            self.storage,
            self.hasher,
            self.access,
            self.limiter,
            settings.session_max_age,
            mfa=self.mfa,
        )
        self.impersonation = Impersonation(self.schema, self.storage, self.auth)
        self.app_settings = SettingsService(self.raw_storage, self.clock, self.peers)
        self.app_settings.subscribe(self._apply_settings)
        # the S3 test makes one attempt: a superuser is waiting for the verdict
        self.s3_check = S3Check(
            self.app_settings,
            lambda section: open_s3_store(S3Config.from_settings(section), attempts=1),
        )
        self.peers.reloads("collections", self.reload_collections)
        self.peers.reloads("settings", self.app_settings.load)
        self.mailer = SmtpMailer(lambda: self.app_settings.section("smtp"))
        self.mail = MailService(self.mailer, self.app_settings, self.schema)
        self.login_alerts = LoginAlerts(self.mail, self.clock)
        self.auth.origins = AuthOrigins(self.schema, self.storage, self.clock, self.login_alerts)
        self.auth_mail = AuthMailFlows(
            self.schema, self.storage, self.hasher, self.clock, self.mail
        )
        self.otp = OtpFlows(
            self.schema, self.storage, self.hasher, self.clock, self.mail, self.auth
        )
        self.failures = SharedFailures(self.broker, self.peers.node, self.limiter, self.otp)
        self.realtime = RealtimeHub(
            self.schema,
            self.broker,
            Audience(self.storage, self.access, Expander(self.schema, self.storage, self.access)),
            ClientRegistry(
                settings.realtime_max_clients,
                settings.realtime_max_clients_per_ip,
                settings.realtime_queue,
            ),
        )
        self.storage.listen(self.realtime)
        self.draining = False  # set at SIGTERM: /api/health answers 503 from then on
        self.remote_subscriptions = RemoteSubscriptions(
            self.realtime, self.broker, self.auth.authenticate
        )
        self.oauth2_redirects: OAuth2Redirects = RealtimeRedirects(
            DirectMessages(self.realtime, self.broker)
        )
        self.oauth2_client = AuthlibOAuth2Client()
        self.oauth2 = OAuth2Service(
            self.schema,
            self.storage,
            self.clock,
            self.hasher,
            self.access,
            self.auth,
            self.oauth2_client,
            self.login_alerts,
        )
        self.expired_sign_ins = ExpiredSignIns(self.schema, self.storage, self.access, self.clock)
        self.purge_task = PeriodicTask(
            "purge of expired sign-ins", self.expired_sign_ins.purge, PURGE_INTERVAL
        )
        self._started = False
        self._reloading = asyncio.Lock()

    def _apply_settings(self, settings: Mapping[str, Any]) -> None:
        self.limiter.configure_from(settings["rateLimits"])
        self.trusted_proxy = TrustedProxy.from_json(settings["trustedProxy"])
        self.files.configure(settings["s3"])

    async def reload_collections(self) -> None:
        """Bring the schema in line with the database, replacing only what changed (a
        replaced collection's compiled rules and statements are built again). One at a time:
        a reload that read the database earlier must not finish after one that read later;
        and read again when this process changed the schema meanwhile, as what was read may
        predate that change."""
        async with self._reloading:
            for _ in range(5):
                seen = self.schema.generation
                stored = {c.id: c for c in await self.storage.load_collections()}
                if self.schema.generation == seen:
                    break
            self._apply_stored(stored)

    def _apply_stored(self, stored: dict[str, Collection]) -> None:
        changed = [
            c
            for c in stored.values()
            if (cur := self.schema.get(c.id)) is None
            or collection_to_json(cur) != collection_to_json(c)
        ]
        gone = {c.id for c in changed} | {c.id for c in self.schema if c.id not in stored}
        for cid in gone:  # every removal first: a name may pass from one collection to another
            self.schema.remove(cid)
        for c in changed:
            self.schema.put(c)

    async def start(self) -> None:
        if self._started:
            return
        # connected first: a change another process commits after this is heard, and one
        # committed before is in what is loaded next
        await self.broker.start()
        for c in await self.storage.load_collections():
            self.schema.put(c)
        await self.app_settings.load()
        await self._bootstrap()
        self.purge_task.start()
        self._started = True

    async def _bootstrap(self) -> None:
        now = self.clock.now()
        for make in (
            superusers_collection,
            users_collection,
            otps_collection,
            external_auths_collection,
            mfas_collection,
            auth_origins_collection,
        ):
            c = make(now)
            if self.schema.get(c.id) is None and self.schema.get(c.name) is None:
                try:
                    async with self.storage.transaction() as tx:
                        await tx.save_collection(None, c)
                except Exception:
                    # another process starting on the same data may have just made it
                    await self.reload_collections()
                    if self.schema.get(c.id) is None:
                        raise
                    continue
                self.schema.put(c)

    async def stop(self) -> None:
        await self.realtime.close()
        await self.purge_task.stop()
        await self.peers.close()
        await self.broker.close()
        await self.mail.drain()
        await self.oauth2_client.close()
        await self.files.close()
        await self.storage.close()
        self.hasher.close()
        self.thumbnailer.close()

    @asynccontextmanager
    async def lifespan(self, app: Any) -> AsyncIterator[None]:
        await self.start()
        # what exists once the server is up lives as long as the process: leaving it out of
        # the collector's full passes keeps those from pausing every request (and every
        # realtime fan-out) for 50-100 ms
        gc.freeze()
        restore = self._close_streams_on_terminate()
        try:
            yield
        finally:
            restore()
            await self.stop()

    def drain(self) -> None:
        """Stop taking work: health checks answer 503 so that balancers send no more, and
        realtime streams close so that their clients reconnect elsewhere. Requests in
        flight finish."""
        self.draining = True
        self.realtime.begin_shutdown()

    def _close_streams_on_terminate(self) -> Callable[[], None]:
        """The server waits for open connections before it shuts the app down, and a
        realtime stream never ends by itself: on SIGTERM drain at once (row G1), then let the
        server's own handler carry on."""
        if threading.current_thread() is not threading.main_thread():
            return lambda: None
        loop = asyncio.get_running_loop()
        previous = signal.getsignal(signal.SIGTERM)

        def on_terminate(signum: int, frame: Any) -> None:
            loop.call_soon_threadsafe(self.drain)
            if callable(previous):
                previous(signum, frame)

        signal.signal(signal.SIGTERM, on_terminate)

        def restore() -> None:
            signal.signal(signal.SIGTERM, previous)

        return restore

    def run(self, coro: Any) -> Any:
        """Run a coroutine against this app from synchronous code (the CLI)."""

        async def main() -> Any:
            await self.start()
            try:
                return await coro
            finally:
                await self.stop()

        return asyncio.run(main())
