"""An optional absolute session lifetime, on top of PocketBase's refreshable tokens.

PocketBase lets a client refresh its token forever. With ``session_max_age`` set, a session
ends that many seconds after its sign-in whatever the refreshes: every token carries the
sign-in time (``auth_time``), a refresh keeps it, and no token expires after the end.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from backroom.errors import UnauthorizedError

__all__ = ["SESSION_OVER", "SessionPolicy"]

SESSION_OVER = "The session has expired; sign in again."


class SessionPolicy:
    def __init__(self, max_age: int = 0, clock: Callable[[], float] = time.time) -> None:
        self.max_age = max(max_age, 0)
        self._clock = clock

    def began(self, auth_time: int | None) -> int:
        """When the session of a token being issued began: now, for a new sign-in."""
        return int(self._clock()) if auth_time is None else auth_time

    def ends(self, began: int) -> int | None:
        return began + self.max_age if self.max_age else None

    def check_refresh(self, auth_time: Any) -> int | None:
        """The sign-in time a refreshed token keeps; raises once the session is over.
        A token without one (issued before this setting existed) starts a session now."""
        if isinstance(auth_time, bool) or not isinstance(auth_time, int | float):
            return None
        if self.max_age and self._clock() >= auth_time + self.max_age:
            raise UnauthorizedError(SESSION_OVER)
        return int(auth_time)
