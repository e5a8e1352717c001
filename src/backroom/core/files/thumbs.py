"""Thumbnail sizes in PocketBase's formats and the geometry each one asks for.

``WxH`` crops to fill from the center, ``WxHt`` from the top, ``WxHb`` from the bottom,
``WxHf`` fits inside without cropping, ``0xH`` and ``Wx0`` keep the aspect ratio.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Literal, Protocol

__all__ = [
    "DEFAULT_THUMBS",
    "ThumbSize",
    "ThumbnailRefused",
    "Thumbnailer",
    "parse_thumb_size",
]

DEFAULT_THUMBS = ("100x100",)
_SIZE = re.compile(r"^(\d+)x(\d+)(t|b|f)?$")

Mode = Literal["center", "top", "bottom", "fit", "resize"]


@dataclass(frozen=True, slots=True)
class ThumbSize:
    width: int
    height: int
    mode: Mode

    def box(self, src_w: int, src_h: int) -> tuple[int, int]:
        """The size of the thumbnail of a ``src_w`` x ``src_h`` image."""
        if self.mode == "resize":
            if self.width == 0:
                return max(1, round_half_up(src_w * self.height / src_h)), self.height
            return self.width, max(1, round_half_up(src_h * self.width / src_w))
        if self.mode == "fit":
            if src_w <= self.width and src_h <= self.height:
                return src_w, src_h
            src_ratio = src_w / src_h
            if src_ratio > self.width / self.height:
                return self.width, max(1, int(self.width / src_ratio))
            return max(1, int(self.height * src_ratio)), self.height
        return self.width, self.height


def round_half_up(value: float) -> int:
    return int(value + 0.5)


def parse_thumb_size(spec: str) -> ThumbSize | None:
    """The size ``spec`` names, or None when it is not one of the formats."""
    match = _SIZE.match(spec)
    if match is None:
        return None
    width, height = int(match[1]), int(match[2])
    if width == 0 and height == 0:
        return None
    if width == 0 or height == 0:
        return ThumbSize(width, height, "resize")
    modes: dict[str | None, Mode] = {None: "center", "t": "top", "b": "bottom", "f": "fit"}
    return ThumbSize(width, height, modes[match[3]])


class ThumbnailRefused(Exception):
    """The image cannot be made into a thumbnail: too many pixels, too big, or not an image
    the decoder accepts. The original is served instead."""


class Thumbnailer(Protocol):
    async def make(self, source: AsyncIterator[bytes], size: ThumbSize) -> bytes:
        """The encoded thumbnail of the image read from ``source``; raises
        ``ThumbnailRefused``."""
        ...
