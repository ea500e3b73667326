"""Files that customers and agents attach to messages.

A file is stored once on disk under ``<instance>/attachments`` by the SHA-256
of its content (``ab/abcdef…``); the :class:`~slaengine.models.Attachment` row
keeps the sanitized name shown to people and the content type we chose for it.
Uploads are checked (name, type, count, size) before anything is written and
copied in chunks, so a large upload is never held in memory; if any file of a
batch fails, the files this batch added are removed again.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import tempfile
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import BinaryIO

from sqlalchemy.orm import Session

from slaengine.errors import InvalidInput
from slaengine.models import Attachment, Message

logger = logging.getLogger(__name__)

CHUNK_BYTES = 64 * 1024
MAX_FILENAME = 120

# The types we accept, by extension. The stored content type comes from this
# table, never from the client, so a page cannot be smuggled in as an image.
CONTENT_TYPES = {
    "png": "image/png",
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "gif": "image/gif",
    "webp": "image/webp",
    "pdf": "application/pdf",
    "txt": "text/plain",
    "log": "text/plain",
    "csv": "text/csv",
    "json": "application/json",
    "xml": "application/xml",
    "har": "application/json",
    "zip": "application/zip",
    "gz": "application/gzip",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


@dataclass(frozen=True)
class Limits:
    """How much one message may carry."""

    max_file_bytes: int = 10 * 1024 * 1024
    max_files: int = 5


@dataclass(frozen=True)
class Upload:
    """A file as it arrives: the client's name and a readable stream."""

    filename: str
    stream: BinaryIO


@dataclass(frozen=True)
class StoredFile:
    filename: str
    content_type: str
    size: int
    sha256: str
    is_new: bool


def sanitize_filename(name: str) -> str:
    """A safe display name: no folders, control characters or odd symbols.

    Keeps letters and digits of any script, spaces, dots, dashes, underscores
    and brackets; everything else becomes ``_``. Leading dots go (no hidden
    files), the stem is shortened to fit :data:`MAX_FILENAME` with the
    extension kept, and an empty result becomes ``attachment``.
    """
    name = unicodedata.normalize("NFKC", name or "")
    name = re.split(r"[\\/]", name)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C")
    name = re.sub(r"[^\w .()\-]", "_", name)
    name = re.sub(r"\s+", " ", name).strip(" .")
    stem, dot, extension = name.rpartition(".")
    if not dot:
        stem, extension = name, ""
    extension = extension[:10]
    room = MAX_FILENAME - len(extension) - (1 if extension else 0)
    stem = stem[:room].rstrip(" .")
    if not stem:
        return f"attachment.{extension}" if extension else "attachment"
    return f"{stem}.{extension}" if extension else stem


def content_type_for(filename: str) -> str:
    """The content type for an accepted file name.

    :raises InvalidInput: (field ``attachments``) for a type we do not accept.
    """
    extension = filename.rpartition(".")[2].lower() if "." in filename else ""
    content_type = CONTENT_TYPES.get(extension)
    if content_type is None:
        accepted = ", ".join(sorted(CONTENT_TYPES))
        raise InvalidInput(
            f"attachments: {filename!r} is not a file type we accept "
            f"(accepted: {accepted})",
            field="attachments",
        )
    return content_type


def check_uploads(uploads: Sequence[Upload], limits: Limits) -> list[tuple[str, str]]:
    """Check names, types and count; return (safe name, content type) pairs.

    :raises InvalidInput: naming ``attachments``.
    """
    if len(uploads) > limits.max_files:
        raise InvalidInput(
            f"attachments: at most {limits.max_files} files per message",
            field="attachments",
        )
    checked = []
    for upload in uploads:
        safe_name = sanitize_filename(upload.filename)
        checked.append((safe_name, content_type_for(safe_name)))
    return checked


def path_for(folder: Path, sha256: str) -> Path:
    return folder / sha256[:2] / sha256


def _copy_limited(
    stream: BinaryIO, target: BinaryIO, max_bytes: int, name: str
) -> tuple[str, int]:
    digest = hashlib.sha256()
    size = 0
    while chunk := stream.read(CHUNK_BYTES):
        size += len(chunk)
        if size > max_bytes:
            raise InvalidInput(
                f"attachments: {name!r} is larger than the limit of "
                f"{max_bytes // (1024 * 1024)} MB",
                field="attachments",
            )
        digest.update(chunk)
        target.write(chunk)
    if size == 0:
        raise InvalidInput(f"attachments: {name!r} is empty", field="attachments")
    return digest.hexdigest(), size


def _store_one(
    folder: Path, upload: Upload, safe_name: str, content_type: str, max_bytes: int
) -> StoredFile:
    folder.mkdir(parents=True, exist_ok=True)
    handle, temp_name = tempfile.mkstemp(dir=folder, prefix=".upload-")
    try:
        with os.fdopen(handle, "wb") as target:
            sha256, size = _copy_limited(upload.stream, target, max_bytes, safe_name)
        final = path_for(folder, sha256)
        is_new = not final.exists()
        if is_new:
            final.parent.mkdir(exist_ok=True)
            os.replace(temp_name, final)
        return StoredFile(safe_name, content_type, size, sha256, is_new)
    finally:
        if os.path.exists(temp_name):
            os.unlink(temp_name)


def remove_files(folder: Path, stored: Sequence[StoredFile]) -> None:
    """Remove files a failed change had added (shared older copies stay)."""
    for item in stored:
        if item.is_new:
            path_for(folder, item.sha256).unlink(missing_ok=True)


def store_uploads(
    folder: Path, uploads: Sequence[Upload], limits: Limits
) -> list[StoredFile]:
    """Check every upload, then copy each to disk by its hash.

    Nothing is written when a name, type or the count is refused; when a file
    turns out too large or empty, the files already written are removed.

    :raises InvalidInput: naming ``attachments``.
    """
    checked = check_uploads(uploads, limits)
    stored: list[StoredFile] = []
    try:
        for upload, (safe_name, content_type) in zip(uploads, checked, strict=True):
            stored.append(
                _store_one(
                    folder, upload, safe_name, content_type, limits.max_file_bytes
                )
            )
    except BaseException:
        remove_files(folder, stored)
        raise
    return stored


def attach(
    session: Session, message: Message, stored: Sequence[StoredFile], *, now: datetime
) -> list[Attachment]:
    """Record stored files on a message (in the caller's transaction)."""
    rows = [
        Attachment(
            message_id=message.id,
            filename=item.filename,
            content_type=item.content_type,
            size=item.size,
            sha256=item.sha256,
            created_at=now,
        )
        for item in stored
    ]
    session.add_all(rows)
    session.flush()
    for row in rows:
        logger.info(
            "event=attachment.stored message=%s sha256=%s size=%s",
            message.id,
            row.sha256,
            row.size,
        )
    return rows
