"""The file field: stored file names (uploads and serving come with the files release)."""

from __future__ import annotations

from dataclasses import dataclass, field

from backroom.core.fields.multi import MultiValueField

__all__ = ["FileField"]


@dataclass(kw_only=True)
class FileField(MultiValueField):
    type = "file"

    maxSize: int = 0
    mimeTypes: list[str] = field(default_factory=list)
    protected: bool = False
    thumbs: list[str] = field(default_factory=list)
