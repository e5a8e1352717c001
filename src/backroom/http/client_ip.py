"""The client's address: the connection's peer, or a header set by a trusted proxy.

Headers are read only when the settings name them (``trustedProxy.headers``): behind no proxy a
client could otherwise claim any address and walk around every per-address limit.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

__all__ = ["CLIENT_IP", "TrustedProxy", "client_ip"]

CLIENT_IP = "backroom.client_ip"  # the scope key the address is kept under once found


@dataclass(frozen=True, slots=True)
class TrustedProxy:
    headers: tuple[str, ...] = ()
    use_leftmost_ip: bool = False

    @classmethod
    def from_json(cls, raw: Mapping[str, Any]) -> TrustedProxy:
        headers = raw.get("headers") or []
        return cls(
            headers=tuple(str(h).lower() for h in headers if str(h).strip()),
            use_leftmost_ip=bool(raw.get("useLeftmostIP", False)),
        )


def _valid(candidate: str) -> str | None:
    candidate = candidate.strip()
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return None


def _from_header(value: str, leftmost: bool) -> str | None:
    parts = [p for p in value.split(",") if p.strip()]
    if not parts:
        return None
    return _valid(parts[0] if leftmost else parts[-1])


def client_ip(scope: Mapping[str, Any], proxy: TrustedProxy) -> str:
    """The address to count requests by and to show in logs."""
    known = scope.get(CLIENT_IP)
    if known is not None:
        return str(known)
    if proxy.headers:
        headers: Sequence[tuple[bytes, bytes]] = scope.get("headers") or ()
        for wanted in proxy.headers:
            name = wanted.encode()
            for key, value in headers:
                if key == name:
                    found = _from_header(value.decode("latin-1"), proxy.use_leftmost_ip)
                    if found is not None:
                        return found
    peer = scope.get("client")
    return str(peer[0]) if peer else ""
