"""Thumbnails made with Pillow in a small pool of threads, refusing image bombs.

An image is refused (and its original served) when its header declares more than
``max_pixels`` pixels, when the file is bigger than ``max_source_bytes``, or when Pillow
cannot decode it. Only the first frame of an animation is read.
"""

from __future__ import annotations

import asyncio
import io
import tempfile
import warnings
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from typing import IO

from PIL import Image, ImageOps

from backroom.core.files.thumbs import ThumbnailRefused, ThumbSize

__all__ = ["PillowThumbnailer"]

_SPOOL = 4 << 20
_FORMATS = {"PNG": "PNG", "JPEG": "JPEG", "GIF": "GIF", "WEBP": "PNG"}
_ANCHOR = {"center": 0.5, "top": 0.0, "bottom": 1.0}


class PillowThumbnailer:
    def __init__(
        self,
        *,
        workers: int = 2,
        max_pixels: int = 50_000_000,
        max_source_bytes: int = 64 << 20,
    ) -> None:
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="thumbs")
        self._slots = asyncio.Semaphore(workers * 4)
        self.max_pixels = max_pixels
        self.max_source_bytes = max_source_bytes

    async def make(self, source: AsyncIterator[bytes], size: ThumbSize) -> bytes:
        async with self._slots:
            spool = tempfile.SpooledTemporaryFile(max_size=_SPOOL)  # noqa: SIM115 - closed below
            try:
                total = 0
                async for chunk in source:
                    total += len(chunk)
                    if total > self.max_source_bytes:
                        raise ThumbnailRefused(f"the image is over {self.max_source_bytes} bytes")
                    spool.write(chunk)
                spool.seek(0)
                loop = asyncio.get_running_loop()
                return await loop.run_in_executor(self._pool, self._render, spool, size)
            finally:
                spool.close()

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)

    def _render(self, source: IO[bytes], size: ThumbSize) -> bytes:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("error", Image.DecompressionBombWarning)
                with Image.open(source) as im:
                    return self._thumbnail(im, size)
        except ThumbnailRefused:
            raise
        except (OSError, ValueError, SyntaxError, Image.DecompressionBombError,
                Image.DecompressionBombWarning, MemoryError, EOFError) as err:  # fmt: skip
            raise ThumbnailRefused(str(err) or type(err).__name__) from err

    def _thumbnail(self, im: Image.Image, size: ThumbSize) -> bytes:
        fmt = _FORMATS.get(im.format or "")
        if fmt is None:
            raise ThumbnailRefused(f"no thumbnails of {im.format} images")
        src_w, src_h = im.size
        if src_w * src_h > self.max_pixels or src_w <= 0 or src_h <= 0:
            raise ThumbnailRefused(f"{src_w}x{src_h} is over {self.max_pixels} pixels")
        orientation = im.getexif().get(0x0112, 1)
        if orientation in (5, 6, 7, 8):
            src_w, src_h = src_h, src_w
        box_w, box_h = size.box(src_w, src_h)
        if im.format == "JPEG":
            im.draft("RGB", _draft_size(size, src_w, src_h, box_w, box_h, orientation))
        im.seek(0)
        frame = ImageOps.exif_transpose(im.copy() if im.mode != "P" else im.convert("RGBA"))
        if frame.mode not in ("RGB", "RGBA", "L", "LA"):
            frame = frame.convert("RGBA")
        out = _shape(frame, size, box_w, box_h)
        buf = io.BytesIO()
        if fmt == "JPEG":
            out.convert("RGB").save(buf, "JPEG", quality=75)
        elif fmt == "GIF":
            out.save(buf, "GIF")
        else:
            out.save(buf, "PNG")
        return buf.getvalue()


def _draft_size(
    size: ThumbSize, src_w: int, src_h: int, box_w: int, box_h: int, orientation: int
) -> tuple[int, int]:
    """The smallest decode size (JPEG decodes at 1/2, 1/4, 1/8) that still covers the box."""
    scale = max(box_w / src_w, box_h / src_h)
    want_w, want_h = max(1, int(src_w * scale)), max(1, int(src_h * scale))
    if orientation in (5, 6, 7, 8):
        want_w, want_h = want_h, want_w
    return want_w, want_h


def _shape(im: Image.Image, size: ThumbSize, box_w: int, box_h: int) -> Image.Image:
    src_w, src_h = im.size
    if size.mode in ("resize", "fit"):
        if (box_w, box_h) == (src_w, src_h):
            return im
        return im.resize((box_w, box_h), Image.Resampling.BILINEAR)
    # fill the box, then crop what sticks out at the anchor
    if src_w / src_h > box_w / box_h:
        scaled_w, scaled_h = max(1, int(src_w * box_h / src_h + 0.5)), box_h
    else:
        scaled_w, scaled_h = box_w, max(1, int(src_h * box_w / src_w + 0.5))
    scaled = im.resize((scaled_w, scaled_h), Image.Resampling.BILINEAR)
    anchor = _ANCHOR[size.mode]
    left = (scaled_w - box_w) // 2
    top = int((scaled_h - box_h) * anchor)
    return scaled.crop((left, top, left + box_w, top + box_h))
