"""What every broker shares: the listeners of this process, and how a payload reaches them."""

from __future__ import annotations

import logging
import struct
from collections import defaultdict
from collections.abc import Callable

from backroom.core.ports import BrokerHandler

__all__ = ["Listeners", "decode_message", "encode_message"]

log = logging.getLogger("backroom.broker")

_CHANNEL_LEN = struct.Struct(">H")


def encode_message(channel: str, payload: bytes) -> bytes:
    """One message as bytes: the channel's length, the channel, then the payload."""
    name = channel.encode()
    return _CHANNEL_LEN.pack(len(name)) + name + payload


def decode_message(data: bytes | memoryview) -> tuple[str, bytes]:
    (size,) = _CHANNEL_LEN.unpack_from(data)
    end = _CHANNEL_LEN.size + size
    return bytes(data[_CHANNEL_LEN.size : end]).decode(), bytes(data[end:])


class Listeners:
    """The handlers this process registered, by channel, and those told of reconnects."""

    def __init__(self) -> None:
        self._handlers: defaultdict[str, list[BrokerHandler]] = defaultdict(list)
        self._reconnect_handlers: list[Callable[[], None]] = []

    def listen(self, channel: str, handler: BrokerHandler) -> None:
        self._handlers[channel].append(handler)

    def on_reconnect(self, handler: Callable[[], None]) -> None:
        self._reconnect_handlers.append(handler)

    def deliver(self, channel: str, payload: bytes) -> None:
        """Hand ``payload`` to this process's listeners; one failing listener does not stop
        the others."""
        for handler in self._handlers.get(channel, ()):
            try:
                handler(payload)
            except Exception:
                log.exception("broker listener on %r failed", channel)

    def reconnected(self) -> None:
        for handler in self._reconnect_handlers:
            try:
                handler()
            except Exception:
                log.exception("broker reconnect listener failed")

    def clear(self) -> None:
        self._handlers.clear()
        self._reconnect_handlers.clear()
