"""Rate-limit rules: which rule governs a request, fixed-window counting, client addresses."""

from __future__ import annotations

import pytest

from backroom.core.ratelimit import (
    FixedWindows,
    RateLimiter,
    RateLimitRule,
    RuleBook,
)
from backroom.errors import TooManyRequestsError
from backroom.http.client_ip import TrustedProxy, client_ip
from backroom.http.ratelimit import route_tags

BOOK = RuleBook(
    [
        RateLimitRule("/api/", 1, 1),
        RateLimitRule("/api/collections/", 2, 1),
        RateLimitRule("/api/health", 3, 1),
        RateLimitRule("GET /api/collections/", 4, 1),
        RateLimitRule("GET /api/collections/posts/records", 5, 1),
        RateLimitRule("*:list", 6, 1),
        RateLimitRule("posts:list", 7, 1),
        RateLimitRule("*:create", 8, 1, "@guest"),
        RateLimitRule("*:create", 9, 1, "@auth"),
        RateLimitRule("*:update", 10, 1, "@auth"),
    ]
)


def _found(tags: tuple[str, ...], method: str, path: str, authed: bool = False) -> int | None:
    rule = BOOK.find(tags, method, path, authed)
    return None if rule is None else rule.max_requests


@pytest.mark.parametrize(
    ("tags", "method", "path", "authed", "expected"),
    [
        (("posts:list", "*:list"), "GET", "/api/collections/posts/records", False, 7),
        (("notes:list", "*:list"), "GET", "/api/collections/notes/records", False, 6),
        ((), "GET", "/api/collections/posts/records", False, 5),
        ((), "GET", "/api/collections/notes/records", False, 4),
        ((), "POST", "/api/collections/notes/records", False, 2),
        ((), "GET", "/api/health", False, 3),
        ((), "GET", "/api/settings", False, 1),
        ((), "GET", "/_/", False, None),
        (("notes:create", "*:create"), "POST", "/x", False, 8),
        (("notes:create", "*:create"), "POST", "/x", True, 9),
        (("notes:update", "*:update"), "PATCH", "/api/collections/notes/records/1", True, 10),
        # a rule for another audience is passed over, and the next kind of match is tried
        (("notes:update", "*:update"), "PATCH", "/api/collections/notes/records/1", False, 2),
    ],
)
def test_the_first_match_wins_in_pocketbase_order(
    tags: tuple[str, ...], method: str, path: str, authed: bool, expected: int | None
) -> None:
    assert _found(tags, method, path, authed) == expected


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_window_allows_its_maximum_then_refuses_until_it_ends() -> None:
    clock = FakeClock()
    windows = FixedWindows(clock=clock)
    assert [windows.hit("k", 3, 10) for _ in range(3)] == [None, None, None]
    clock.now += 4
    assert windows.hit("k", 3, 10) == pytest.approx(6)
    assert windows.hit("other", 3, 10) is None
    clock.now += 6
    assert windows.hit("k", 3, 10) is None


def test_the_number_of_counted_keys_stays_bounded() -> None:
    clock = FakeClock()
    windows = FixedWindows(max_keys=100, clock=clock)
    for i in range(10_000):
        windows.hit(f"client-{i}", 5, 60)
    assert len(windows._windows) <= 100


def test_failed_logins_are_counted_per_account_and_address() -> None:
    limiter = RateLimiter(FixedWindows(clock=FakeClock()))
    for _ in range(10):
        limiter.check_failures("users:v@example.com", "10.0.0.1")
        limiter.count_failure("users:v@example.com", "10.0.0.1")
    with pytest.raises(TooManyRequestsError):
        limiter.check_failures("users:v@example.com", "10.0.0.1")
    limiter.check_failures("users:v@example.com", "10.0.0.2")  # no lockout for others
    limiter.check_failures("users:w@example.com", "10.0.0.1")


def test_a_disabled_limiter_counts_nothing() -> None:
    limiter = RateLimiter(FixedWindows(clock=FakeClock()))
    limiter.configure(False, [RateLimitRule("/api/", 1, 60)])
    for _ in range(5):
        limiter.check("10.0.0.1", (), "GET", "/api/health", False)
    limiter.configure(True, [RateLimitRule("/api/", 1, 60)])
    limiter.check("10.0.0.1", (), "GET", "/api/health", False)
    with pytest.raises(TooManyRequestsError):
        limiter.check("10.0.0.1", (), "GET", "/api/health", False)


@pytest.mark.parametrize(
    ("method", "path", "tags"),
    [
        ("GET", "/api/collections/posts/records", ("posts:list", "*:list")),
        ("POST", "/api/collections/posts/records", ("posts:create", "*:create")),
        ("GET", "/api/collections/posts/records/abc", ("posts:view", "*:view")),
        ("PATCH", "/api/collections/posts/records/abc", ("posts:update", "*:update")),
        ("DELETE", "/api/collections/posts/records/abc", ("posts:delete", "*:delete")),
        (
            "POST",
            "/api/collections/users/auth-with-password",
            ("users:authWithPassword", "users:auth", "*:authWithPassword", "*:auth"),
        ),
        (
            "POST",
            "/api/collections/users/request-password-reset",
            ("users:requestPasswordReset", "*:requestPasswordReset"),
        ),
        ("GET", "/api/files/posts/abc/a.png", ("posts:file", "*:file")),
        ("GET", "/api/collections/posts", ()),
        ("GET", "/api/health", ()),
    ],
)
def test_requests_are_tagged_by_collection_and_action(
    method: str, path: str, tags: tuple[str, ...]
) -> None:
    assert route_tags(method, path) == tags


def _scope(peer: str, *headers: tuple[str, str]) -> dict[str, object]:
    return {
        "client": (peer, 5000),
        "headers": [(k.encode(), v.encode()) for k, v in headers],
    }


def test_forwarded_headers_count_only_behind_a_configured_proxy() -> None:
    scope = _scope("10.0.0.9", ("x-forwarded-for", "1.2.3.4, 5.6.7.8"))
    assert client_ip(scope, TrustedProxy()) == "10.0.0.9"
    assert client_ip(scope, TrustedProxy(("x-forwarded-for",))) == "5.6.7.8"
    assert client_ip(scope, TrustedProxy(("x-forwarded-for",), True)) == "1.2.3.4"
    junk = _scope("10.0.0.9", ("x-forwarded-for", "not-an-address"))
    assert client_ip(junk, TrustedProxy(("x-forwarded-for",))) == "10.0.0.9"
    proxy = TrustedProxy.from_json({"headers": ["CF-Connecting-IP"], "useLeftmostIP": False})
    assert client_ip(_scope("10.0.0.9", ("cf-connecting-ip", "::1")), proxy) == "::1"


def test_failed_logins_are_also_capped_per_address_across_accounts() -> None:
    limiter = RateLimiter(FixedWindows(clock=FakeClock()))
    for i in range(50):
        limiter.check_failures(f"users:{i}@example.com", "10.0.0.1")
        limiter.count_failure(f"users:{i}@example.com", "10.0.0.1")
    with pytest.raises(TooManyRequestsError):
        limiter.check_failures("users:new@example.com", "10.0.0.1")
    limiter.check_failures("users:new@example.com", "10.0.0.2")


def test_settings_configure_the_rules_and_the_excluded_addresses() -> None:
    limiter = RateLimiter(FixedWindows(clock=FakeClock()))
    limiter.configure_from(
        {
            "enabled": True,
            "rules": [{"label": "/api/", "maxRequests": 1, "duration": 60, "audience": ""}],
            "excludedIPs": ["10.0.0.9"],
        }
    )
    for _ in range(3):
        limiter.check("10.0.0.9", (), "GET", "/api/health", False)
    limiter.check("10.0.0.1", (), "GET", "/api/health", False)
    with pytest.raises(TooManyRequestsError):
        limiter.check("10.0.0.1", (), "GET", "/api/health", False)
    limiter.configure_from({"enabled": False, "rules": []})
    limiter.check("10.0.0.1", (), "GET", "/api/health", False)
