"""The frames the socket hub and its workers exchange over a Unix socket.

Each frame is a 4-byte big-endian body length, a kind byte, then the body:

    P  publish (worker -> hub) and deliver (hub -> worker): an encoded message
    C  counted publish (worker -> hub): a 4-byte request id, then an encoded message
    N  count (hub -> worker): the request id, then how many workers the message reached
    H  hello (hub -> worker): the worker is registered and receives what is published next
"""

from __future__ import annotations

import struct

__all__ = [
    "COUNT",
    "COUNTED",
    "HEADER",
    "HELLO",
    "MAX_FRAME",
    "PUBLISH",
    "frame",
]

HEADER = struct.Struct(">IB")
PUBLISH = ord("P")
COUNTED = ord("C")
COUNT = ord("N")
HELLO = ord("H")
MAX_FRAME = 16 << 20


def frame(kind: int, body: bytes) -> bytes:
    return HEADER.pack(len(body), kind) + body
