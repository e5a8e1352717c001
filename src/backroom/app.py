"""The composition root: builds storage and services; HTTP, CLI and tests all start here."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import Any

from backroom.core.auth.oauth2_port import NoRealtimeRedirects, OAuth2Redirects
from backroom.core.clock import SystemClock
from backroom.core.collections.model import Schema
from backroom.core.collections.system import (
    auth_origins_collection,
    external_auths_collection,
    mfas_collection,
    otps_collection,
    superusers_collection,
    users_collection,
)
from backroom.core.ratelimit import RateLimiter
from backroom.core.services.access import Access
from backroom.core.services.auth import AuthService
from backroom.core.services.auth_mail import AuthMailFlows
from backroom.core.services.auth_origins import AuthOrigins
from backroom.core.services.collections import CollectionService
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
from backroom.files.local import LocalFileStore
from backroom.files.s3_settings import S3Config, open_s3_store
from backroom.files.switch import SwitchingFileStore
from backroom.files.thumbs import PillowThumbnailer
from backroom.hashing import Argon2Hasher
from backroom.http.client_ip import TrustedProxy
from backroom.mail.smtp import SmtpMailer
from backroom.oauth2.client import AuthlibOAuth2Client
from backroom.periodic import PeriodicTask
from backroom.realtime.brokers.memory import InProcessBroker
from backroom.settings import Settings
from backroom.storage.sqlite.storage import SqliteStorage

__all__ = ["Backroom"]

log = logging.getLogger("backroom")


class Backroom:
    """One running Backroom: its storage, its schema and its services."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.clock = SystemClock()
        self.storage = SqliteStorage(
            settings.data_dir,
            durability=settings.durability,
            readers=settings.readers,
            query_timeout=settings.query_timeout,
        )
        self.hasher = Argon2Hasher()
        self.broker = InProcessBroker()
        # the local folder, or S3 once the settings enable it (``_apply_settings``)
        self.files = SwitchingFileStore(LocalFileStore(settings.data_dir / "storage"))
        self.schema = Schema()
        self.access = Access(self.schema, self.clock)
        self.collections = CollectionService(
            self.schema, self.storage, self.clock, self.access.check_rule, files=self.files
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
        self.app_settings = SettingsService(self.storage, self.clock)
        self.app_settings.subscribe(self._apply_settings)
        # the S3 test makes one attempt: a superuser is waiting for the verdict
        self.s3_check = S3Check(
            self.app_settings,
            lambda section: open_s3_store(S3Config.from_settings(section), attempts=1),
        )
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
        # realtime replaces this one
        self.oauth2_redirects: OAuth2Redirects = NoRealtimeRedirects()
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

    def _apply_settings(self, settings: Mapping[str, Any]) -> None:
        self.limiter.configure_from(settings["rateLimits"])
        self.trusted_proxy = TrustedProxy.from_json(settings["trustedProxy"])
        self.files.configure(settings["s3"])

    async def start(self) -> None:
        if self._started:
            return
        for c in await self.storage.load_collections():
            self.schema.put(c)
        await self.app_settings.load()
        await self._bootstrap()
        await self.broker.start()
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
                async with self.storage.transaction() as tx:
                    await tx.save_collection(None, c)
                self.schema.put(c)

    async def stop(self) -> None:
        await self.purge_task.stop()
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
        try:
            yield
        finally:
            await self.stop()

    def run(self, coro: Any) -> Any:
        """Run a coroutine against this app from synchronous code (the CLI)."""

        async def main() -> Any:
            await self.start()
            try:
                return await coro
            finally:
                await self.stop()

        return asyncio.run(main())
