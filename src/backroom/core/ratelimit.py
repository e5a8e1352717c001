"""Rate limits in PocketBase's rule format: which rule governs a request, and counting.

A rule's label is a tag (``users:create``, ``*:auth``, any plain word), an exact path
(``/api/health``, optionally ``METHOD /path``) or a path prefix (ending in ``/``). For one
request the first match wins, in PocketBase's order: exact tag, wildcard tag, method with exact
path, method with path prefix, exact path, path prefix; among prefixes the longest. Rules that
share a label but name another audience (``@guest``, ``@auth``) are passed over.

Counting is per client address in fixed windows that start with the first request, as
PocketBase counts since 0.36.7.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from backroom.errors import TooManyRequestsError

__all__ = [
    "DEFAULT_RULES",
    "FAILED_LOGINS",
    "FAILED_LOGINS_PER_ADDRESS",
    "FixedWindows",
    "RateLimitRule",
    "RateLimiter",
    "RuleBook",
]


@dataclass(frozen=True, slots=True)
class RateLimitRule:
    label: str
    max_requests: int
    duration: int  # seconds
    audience: str = ""

    @classmethod
    def from_json(cls, raw: Mapping[str, Any]) -> RateLimitRule:
        return cls(
            label=str(raw.get("label", "")),
            max_requests=int(raw.get("maxRequests", 0)),
            duration=int(raw.get("duration", 0)),
            audience=str(raw.get("audience", "")),
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "audience": self.audience,
            "duration": self.duration,
            "maxRequests": self.max_requests,
        }

    def applies_to(self, authed: bool) -> bool:
        return self.audience == "" or (self.audience == "@auth") == authed


# On by default. Sign-ins cost a slow password hash each, so every address gets a generous
# cap; requests that send mail or try a code get tighter ones. An app's ordinary traffic, bulk
# imports and SDK test suites are left alone.
DEFAULT_RULES: tuple[RateLimitRule, ...] = (
    RateLimitRule("*:auth", 60, 10),
    RateLimitRule("*:requestOTP", 10, 60),
    RateLimitRule("*:requestPasswordReset", 10, 60),
    RateLimitRule("*:requestVerification", 10, 60),
    RateLimitRule("*:requestEmailChange", 10, 60),
    RateLimitRule("*:confirmPasswordReset", 20, 60),
    RateLimitRule("*:confirmVerification", 20, 60),
    RateLimitRule("*:confirmEmailChange", 20, 60),
)
# Wrong passwords, counted on top of the rules: per account and address, which stops guessing
# one account's password without ever locking the account for anyone else, and per address,
# which stops trying one common password on many accounts.
FAILED_LOGINS = RateLimitRule("@failedLogin", 10, 300)
FAILED_LOGINS_PER_ADDRESS = RateLimitRule("@failedLoginAddress", 50, 300)


class RuleBook:
    """The rules, indexed so that finding a request's rule costs a few dict lookups."""

    def __init__(self, rules: Iterable[RateLimitRule]) -> None:
        self._exact: dict[str, list[RateLimitRule]] = {}
        prefixes: list[tuple[str, RateLimitRule]] = []
        for rule in rules:
            if rule.label.endswith("/"):
                prefixes.append((rule.label, rule))
            else:
                self._exact.setdefault(rule.label, []).append(rule)
        prefixes.sort(key=lambda p: len(p[0].split(" ", 1)[-1]), reverse=True)
        self._prefixes = prefixes
        self.has_audiences = any(
            r.audience for rules in self._exact.values() for r in rules
        ) or any(r.audience for _, r in prefixes)

    def __bool__(self) -> bool:
        return bool(self._exact or self._prefixes)

    def find(
        self, tags: Sequence[str], method: str, path: str, authed: bool
    ) -> RateLimitRule | None:
        """The rule for a request: ``tags`` in order (exact tags before wildcard tags)."""
        for label in (*tags, f"{method} {path}"):
            found = self._pick(self._exact.get(label), authed)
            if found is not None:
                return found
        with_method = f"{method} "
        for label, rule in self._prefixes:
            if (
                label.startswith(with_method)
                and path.startswith(label[len(with_method) :])
                and rule.applies_to(authed)
            ):
                return rule
        found = self._pick(self._exact.get(path), authed)
        if found is not None:
            return found
        for label, rule in self._prefixes:
            if label.startswith("/") and path.startswith(label) and rule.applies_to(authed):
                return rule
        return None

    @staticmethod
    def _pick(rules: list[RateLimitRule] | None, authed: bool) -> RateLimitRule | None:
        if not rules:
            return None
        for rule in rules:
            if rule.audience and rule.applies_to(authed):
                return rule
        for rule in rules:
            if not rule.audience:
                return rule
        return None


class FixedWindows:
    """Request counts per key in fixed windows, with a cap on how many keys are kept."""

    def __init__(self, *, max_keys: int = 100_000, clock: Callable[[], float] = time.monotonic):
        self._max_keys = max_keys
        self._clock = clock
        self._windows: dict[str, tuple[float, int]] = {}

    def hit(self, key: str, limit: int, duration: float) -> float | None:
        """Count one request; None if it is allowed, else the seconds until the window ends."""
        now = self._clock()
        start, count = self._windows.get(key, (now, 0))
        if now - start >= duration:
            start, count = now, 0
        if count >= limit:
            return duration - (now - start)
        self._windows[key] = (start, count + 1)
        if len(self._windows) > self._max_keys:
            self._evict(now, duration)
        return None

    def peek(self, key: str, limit: int, duration: float) -> float | None:
        """Like ``hit`` without counting: whether the next request would be refused."""
        now = self._clock()
        start, count = self._windows.get(key, (now, 0))
        if now - start >= duration or count < limit:
            return None
        return duration - (now - start)

    def _evict(self, now: float, duration: float) -> None:
        """Drop finished windows; if that is not enough, the oldest half."""
        live = {k: v for k, v in self._windows.items() if now - v[0] < duration}
        if len(live) > self._max_keys // 2:
            live = dict(list(live.items())[len(live) // 2 :])
        self._windows = live


class RateLimiter:
    """Applies the rule book to requests; the settings API swaps the rules at run time."""

    def __init__(self, windows: FixedWindows | None = None) -> None:
        self._windows = windows or FixedWindows()
        self.enabled = True
        self._book = RuleBook(DEFAULT_RULES)
        self._excluded: frozenset[str] = frozenset()
        self.on_failure: Callable[[str, str], None] | None = None

    def configure(
        self, enabled: bool, rules: Iterable[RateLimitRule], excluded: Iterable[str] = ()
    ) -> None:
        self.enabled = enabled
        self._book = RuleBook(rules)
        self._excluded = frozenset(excluded)

    def configure_from(self, raw: Mapping[str, Any]) -> None:
        """Apply the ``rateLimits`` section of the settings."""
        rules = [RateLimitRule.from_json(r) for r in raw.get("rules") or () if isinstance(r, dict)]
        excluded = [str(ip) for ip in raw.get("excludedIPs") or ()]
        self.configure(bool(raw.get("enabled", False)), rules, excluded)

    @property
    def needs_auth(self) -> bool:
        """Whether some rule applies to guests or to signed-in callers only."""
        return self._book.has_audiences

    def check(self, client: str, tags: Sequence[str], method: str, path: str, authed: bool) -> None:
        """Count the request against its rule; raise TooManyRequestsError past the limit."""
        if not self.enabled or not self._book or client in self._excluded:
            return
        rule = self._book.find(tags, method, path, authed)
        if rule is None:
            return
        key = f"{rule.label}\x00{rule.audience}\x00{client}"
        wait = self._windows.hit(key, rule.max_requests, rule.duration)
        if wait is not None:
            raise TooManyRequestsError(retry_after=wait)

    def _failure_keys(self, account: str, client: str) -> tuple[tuple[str, RateLimitRule], ...]:
        return (
            (f"{FAILED_LOGINS.label}\x00{account}\x00{client}", FAILED_LOGINS),
            (f"{FAILED_LOGINS_PER_ADDRESS.label}\x00{client}", FAILED_LOGINS_PER_ADDRESS),
        )

    def check_failures(self, account: str, client: str) -> None:
        """Refuse a sign-in once this address has failed too often, for this account or all."""
        if not self.enabled or client in self._excluded:
            return
        for key, rule in self._failure_keys(account, client):
            wait = self._windows.peek(key, rule.max_requests, rule.duration)
            if wait is not None:
                raise TooManyRequestsError(retry_after=wait)

    def count_failure(self, account: str, client: str, *, here: bool = True) -> None:
        """Count a wrong password; ``here`` when it happened in this process, whose other
        processes ``on_failure`` then tells, so a guesser gains nothing by spreading tries."""
        if self.enabled:
            for key, rule in self._failure_keys(account, client):
                self._windows.hit(key, rule.max_requests, rule.duration)
            if here and self.on_failure is not None:
                self.on_failure(account, client)
