"""Uploaded files on their way into a record: which names a write keeps, which files it
must store, and which stored files it leaves behind to delete once it has committed."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from backroom.core.collections.model import Collection
from backroom.core.fields.file import FileField
from backroom.core.files.names import file_key, thumbs_prefix
from backroom.errors import ErrorDetail

__all__ = ["FilePlan", "Upload", "merge_uploads", "plan_files", "upload_precheck"]


@dataclass(eq=False, slots=True)
class Upload:
    """One uploaded file, already read to the end (and kept aside) by the transport."""

    original_name: str
    name: str  # the normalized name it is stored under
    size: int
    mime: str  # sniffed from its first bytes
    open: Callable[[], AsyncIterator[bytes]]  # its bytes, from the start, as often as asked
    too_large: bool = False  # the transport stopped keeping it past the field's maxSize


@dataclass(slots=True)
class FilePlan:
    """What one record write does with files."""

    errors: dict[str, ErrorDetail] = field(default_factory=dict)
    save: list[tuple[str, Upload]] = field(default_factory=list)  # (key, upload)
    delete: list[str] = field(default_factory=list)  # keys of files the write removes
    delete_prefixes: list[str] = field(default_factory=list)  # their thumbnails ("/"-ended)


def _plain(key: str) -> bool:
    return not (key.startswith("+") or key.endswith(("+", "-")))


def merge_uploads(
    body: Mapping[str, Any], uploads: Mapping[str, Sequence[Upload]]
) -> dict[str, Any]:
    """The body with the uploads in it, as PocketBase merges them: a plain ``field`` key keeps
    the names the body also lists for it (so existing files are not lost) and adds the new
    files; ``field+``, ``+field`` carry just the new files."""
    out = dict(body)
    for key, files in uploads.items():
        given = body.get(key)
        kept: list[Any] = []
        if given is not None and _plain(key):
            kept = [given] if not isinstance(given, list) else list(given)
            kept = [v for v in kept if isinstance(v, str) and v]
        out[key] = [*kept, *files]
    return out


def _names(value: Any) -> list[str]:
    if isinstance(value, list):
        return [str(v) for v in value if v]
    return [str(value)] if value else []


def _go_list(items: list[str]) -> str:
    return "[" + " ".join(items) + "]"


def _upload_error(f: FileField, upload: Upload) -> ErrorDetail | None:
    limit = f.max_bytes
    if upload.too_large or upload.size > limit:
        return ErrorDetail(
            "validation_file_size_limit",
            f"Failed to upload {upload.original_name} - the maximum allowed file size is "
            f"{limit} bytes.",
            {"file": upload.original_name, "maxSize": limit},
        )
    if f.mimeTypes and upload.mime.split(";", 1)[0].strip() not in f.mimeTypes:
        return ErrorDetail(
            "validation_invalid_mime_type",
            f'"{upload.name}" mime type must be one of: {", ".join(f.mimeTypes)}.',
        )
    return None


def plan_files(
    c: Collection,
    record_id: str,
    old: Mapping[str, Any] | None,
    new: Mapping[str, Any],
    uploads: Mapping[str, Upload],
) -> FilePlan:
    """Check every file field of ``new`` against ``old`` and the ``uploads`` (by stored name)."""
    plan = FilePlan()
    for f in c.fields:
        if not isinstance(f, FileField):
            continue
        before = _names(old.get(f.name)) if old is not None else []
        after = _names(new.get(f.name))
        invalid = [n for n in after if n not in before and n not in uploads]
        if invalid:
            plan.errors[f.name] = ErrorDetail(
                "validation_invalid_file",
                f"Invalid new files: {_go_list(invalid)}.",
                {"invalidFiles": invalid},
            )
            continue
        for name in after:
            upload = uploads.get(name)
            if upload is None or name in before:
                continue
            err = _upload_error(f, upload)
            if err is not None:
                plan.errors.setdefault(f.name, err)
            plan.save.append((file_key(c.id, record_id, name), upload))
        for name in before:
            if name not in after:
                plan.delete.append(file_key(c.id, record_id, name))
                plan.delete_prefixes.append(thumbs_prefix(c.id, record_id, name) + "/")
    return plan


def upload_precheck(c: Collection, key: str, upload: Upload) -> ErrorDetail | None:
    """The error an upload sent under ``key`` will get whatever else the write does."""
    name = key.strip("+-")
    f = c.field(name)
    if not isinstance(f, FileField):
        return None
    return _upload_error(f, upload)
