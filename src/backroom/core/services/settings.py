"""The settings API: superusers read and change the app settings, kept in ``_params``."""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from typing import Any

from backroom.core.appsettings.defaults import (
    default_settings,
    keep_stored_secrets,
    merge_settings,
    public_settings,
)
from backroom.core.appsettings.validate import check_patch_types, settings_errors
from backroom.core.context import RequestContext
from backroom.core.ports import Clock, ParamStore, Peers
from backroom.core.services.collections import require_superuser
from backroom.errors import ValidationError

__all__ = ["SETTINGS_PARAM", "SettingsService"]

SETTINGS_PARAM = "settings"

Listener = Callable[[Mapping[str, Any]], None]


class SettingsService:
    """Holds the current settings; every change is stored first, then seen by the whole app
    at once (``current``) and by each listener."""

    def __init__(self, store: ParamStore, clock: Clock, peers: Peers | None = None) -> None:
        self._store = store
        self._clock = clock
        self._peers = peers
        self._current: dict[str, Any] = default_settings()
        self._listeners: list[Listener] = []
        self._changes = 0

    @property
    def current(self) -> Mapping[str, Any]:
        """The settings in force, secrets included; callers must not change them."""
        return self._current

    def section(self, name: str) -> Mapping[str, Any]:
        value = self._current[name]
        assert isinstance(value, dict)
        return value

    def subscribe(self, listener: Listener) -> None:
        self._listeners.append(listener)

    async def load(self) -> None:
        """Read the stored settings; what was stored before a key existed gets its default.
        Read again if this process changed them meanwhile: what was read may predate it."""
        for _ in range(5):
            seen = self._changes
            stored = await self._store.load_param(SETTINGS_PARAM)
            if self._changes == seen:
                break
        base = default_settings()
        self._set(merge_settings(base, stored) if isinstance(stored, Mapping) else base)

    def _set(self, settings: dict[str, Any]) -> None:
        self._changes += 1
        self._current = settings
        for listener in self._listeners:
            listener(settings)

    def view(self, ctx: RequestContext) -> dict[str, Any]:
        require_superuser(ctx)
        return public_settings(self._current)

    async def update(self, ctx: RequestContext, patch: Mapping[str, Any]) -> dict[str, Any]:
        require_superuser(ctx)
        check_patch_types(self._current, patch)
        merged = merge_settings(self._current, patch)
        errors = settings_errors(merged)
        if errors:
            raise ValidationError("An error occurred while saving the new settings.", errors)
        merged = keep_stored_secrets(self._current, merged)
        await self._store.save_param(SETTINGS_PARAM, merged, self._clock.now())
        self._set(merged)
        if self._peers is not None:
            await self._peers.changed("settings")
        return public_settings(merged)

    def snapshot(self) -> dict[str, Any]:
        return copy.deepcopy(self._current)
