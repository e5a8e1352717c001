"""A server under comparison, and sending one request to both servers."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

import httpx
from normalize import normalize


@dataclass
class Target:
    name: str
    client: httpx.Client
    token: str

    def su(self) -> dict[str, str]:
        return {"Authorization": self.token}


_names = itertools.count()


def unique(prefix: str) -> str:
    return f"{prefix}{next(_names)}"


def both(
    targets: tuple[Target, Target],
    method: str,
    path: str,
    *,
    auth: bool = True,
    **kwargs: Any,
) -> tuple[Any, Any]:
    """Send one request to both servers; assert equal status and equal normalized JSON."""
    answers = []
    extra_headers = kwargs.pop("headers", {})
    for t in targets:
        headers = {**extra_headers, **(t.su() if auth else {})}
        answers.append(t.client.request(method, path, headers=headers, **kwargs))
    pb, br = answers
    assert br.status_code == pb.status_code, (pb.text, br.text)
    if pb.content:
        assert normalize(br.json()) == normalize(pb.json()), (pb.text, br.text)
    return pb, br
