"""Who may receive one record event, and what each of them sees.

Subscribers are grouped by everything their access and their view of the record depend on:
the rule (list or view), the auth record, and the subscription's options (query and
headers). A rule is evaluated once per group, and every group's check runs in one storage
call against the record as committed; the record is serialized once per distinct view.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson

from backroom.core.collections.model import Collection
from backroom.core.context import AuthInfo, RequestContext
from backroom.core.ports import Storage
from backroom.core.records.expand import parse_expand
from backroom.core.records.projection import parse_fields, project
from backroom.core.rules import FilterError
from backroom.core.services.access import Access
from backroom.core.services.expander import Expander
from backroom.errors import BadRequestError
from backroom.realtime.topics import Subscription

__all__ = ["Audience", "Group", "GroupKey"]

_SUPERUSER_ONLY = ("@collection.", "@request.")

GroupKey = tuple[Any, ...]


@dataclass(slots=True)
class Group:
    """Subscribers who share a rule context; ``members`` are (client, message prefix)."""

    rule_name: str
    auth: AuthInfo | None
    subscription: Subscription
    members: list[tuple[Any, bytes]] = field(default_factory=list)

    def context(self) -> RequestContext:
        s = self.subscription
        return RequestContext(
            auth=self.auth,
            method="GET",
            context="realtime",
            headers=dict(s.headers),
            query=dict(s.query),
        )


def group_key(rule_name: str, auth: AuthInfo | None, sub: Subscription) -> GroupKey:
    if auth is None:
        who: Any = None
    elif auth.is_superuser:
        who = "superuser"
    else:
        who = (auth.collection_id, auth.id)
    return (rule_name, who, sub.query, sub.headers)


class Audience:
    def __init__(self, storage: Storage, access: Access, expander: Expander) -> None:
        self._storage = storage
        self._access = access
        self._expander = expander
        self.rule_checks = 0  # groups evaluated with a query, for the benchmark and tests

    def _plans(self, c: Collection, group: Group, ctx: RequestContext) -> list[Any] | None:
        """The filters a group must pass (empty: none); None when it may see nothing."""
        plans: list[Any] = []
        if not ctx.is_superuser:
            rule = c.rule(group.rule_name)
            if rule is None:
                return None
            if rule:
                plans.append(self._access.rule(c, rule, ctx))
        raw_filter = group.subscription.option("filter")
        if raw_filter:
            if not ctx.is_superuser and any(i in raw_filter for i in _SUPERUSER_ONLY):
                return None
            plans.append(self._access.filter(c, raw_filter, ctx))
        return plans

    async def allowed(
        self, c: Collection, record: dict[str, Any], groups: Sequence[Group]
    ) -> list[bool]:
        """Whether each group may receive the event about ``record``."""
        verdicts: list[bool | None] = []
        checks: list[tuple[list[Any], dict[str, Any]]] = []
        for group in groups:
            ctx = group.context()
            try:
                plans = self._plans(c, group, ctx)
            except FilterError:
                plans = None
            if plans is None:
                verdicts.append(False)
            elif not plans:
                verdicts.append(True)
            else:
                verdicts.append(None)
                checks.append((plans, self._access.bind(plans, ctx)))
        if checks:
            self.rule_checks += len(checks)
            results = iter(await self._storage.snapshot_matches(c, record, checks))
            return [next(results) if v is None else v for v in verdicts]
        return [bool(v) for v in verdicts]

    async def payload(
        self, c: Collection, record: dict[str, Any], action: str, group: Group
    ) -> bytes:
        """The event's data as this group sees it: hidden fields stripped, ``expand`` and
        ``fields`` from the subscription's options applied with the subscriber's auth."""
        ctx = group.context()
        sub = group.subscription
        try:
            tree = parse_expand(sub.option("expand")) if sub.option("expand") else None
        except (BadRequestError, FilterError, ValueError):
            tree = None
        data = (await self._expander.serialize(ctx, c, [record], tree))[0]
        raw_fields = sub.option("fields")
        if raw_fields:
            # PocketBase sends the whole record when the fields option is invalid
            with contextlib.suppress(BadRequestError, FilterError, ValueError):
                data = project(data, parse_fields(raw_fields))
        return orjson.dumps({"record": data, "action": action})


def view_key(c: Collection, group: Group) -> GroupKey:
    """Groups with equal view keys are sent the same bytes."""
    sub = group.subscription
    if sub.option("expand") or c.is_auth:
        return ("group", group_key(group.rule_name, group.auth, sub))
    superuser = group.auth is not None and group.auth.is_superuser
    return ("plain", superuser, sub.option("fields"))
