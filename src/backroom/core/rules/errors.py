"""The error a filter or rule raises; its message is safe to show (no SQL, no internals)."""

from __future__ import annotations

from backroom.errors import BadRequestError

__all__ = ["FilterError"]


class FilterError(BadRequestError):
    """An invalid filter, sort or rule. ``detail`` says why, for rule validation messages."""

    def __init__(self, detail: str) -> None:
        super().__init__()
        self.detail = detail
