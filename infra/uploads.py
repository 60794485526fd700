"""What an uploaded evidence file may be (issue 17 item 1, ADR 033): its type is read from its
bytes (`filetype`), never from its name; a name whose extension says otherwise is refused, as
are types that can carry scripts (SVG, HTML), archives that unpack to far more than they weigh
(a zip bomb inside a .docx) and images whose pixels would take more memory than their bytes
suggest (a decompression bomb). A name is kept as text: its last path component, without
control characters, at most 255 characters.
"""

from __future__ import annotations

import logging
import unicodedata
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import filetype
from PIL import Image, UnidentifiedImageError

log = logging.getLogger("supervision.uploads")

# The types evidence may have, by MIME type: the extensions a name may end with.
IMAGES = {
    "image/jpeg": (".jpg", ".jpeg"),
    "image/png": (".png",),
    "image/gif": (".gif",),
    "image/webp": (".webp",),
}
OFFICE = {
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": (".docx",),
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": (".xlsx",),
}
ACCEPTED = {**IMAGES, **OFFICE, "application/pdf": (".pdf",), "video/mp4": (".mp4",)}
MAX_ZIP_ENTRIES = 10_000
NAME_LENGTH = 255


class Refused(ValueError):
    """An upload the service does not keep: `code` and a message saying why."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code


@dataclass(frozen=True)
class Limits:
    max_file_bytes: int
    max_unpacked_bytes: int
    max_pixels: int


@dataclass(frozen=True)
class Accepted:
    name: str
    content_type: str


def clean_name(name: str | None, content_type: str) -> str:
    """The file's name as text: its last path component (`../../etc/x.jpg` → `x.jpg`),
    NFC, without control characters, at most 255 characters; empty: `文件` plus the type's
    extension."""
    text = unicodedata.normalize("NFC", name or "")
    text = text.replace("\\", "/").rsplit("/", 1)[-1]
    text = "".join(c for c in text if unicodedata.category(c)[0] != "C").strip().lstrip(".")
    if not text:
        text = "文件" + ACCEPTED[content_type][0]
    if len(text) > NAME_LENGTH:
        stem, dot, ext = text.rpartition(".")
        keep = NAME_LENGTH - len(dot + ext) if dot and len(ext) <= 10 else NAME_LENGTH
        text = (stem[:keep] + dot + ext) if dot and len(ext) <= 10 else text[:NAME_LENGTH]
    return text


def sniff(head: bytes) -> str | None:
    """The MIME type the first bytes show, or None when they show no type it knows."""
    kind = filetype.guess(head)
    return None if kind is None else str(kind.mime)


def accept(body: IO[bytes], given_name: str | None, size: int, limits: Limits) -> Accepted:
    """The upload as it will be kept, or `Refused` saying why not."""
    if size > limits.max_file_bytes:
        raise Refused(413, "file_too_large", f"a file may be at most {limits.max_file_bytes} bytes")
    if size == 0:
        raise Refused(422, "empty_file", "the file is empty")
    body.seek(0)
    head = body.read(8192)
    content_type = sniff(head)
    if content_type is None or content_type not in ACCEPTED:
        shown = content_type or ("svg/xml/html text" if looks_like_markup(head) else "unknown")
        raise Refused(
            415,
            "unsupported_file_type",
            f"files of this type ({shown}) are not kept as evidence; accepted: "
            "JPEG, PNG, GIF, WebP, PDF, Word (.docx), Excel (.xlsx), MP4",
        )
    name = clean_name(given_name, content_type)
    extension = Path(name).suffix.lower()
    if extension and extension not in ACCEPTED[content_type]:
        raise Refused(
            415,
            "file_type_mismatch",
            f"the name ends in {extension} but the content is {content_type}",
        )
    if content_type in IMAGES:
        check_image(body, limits)
    if content_type in OFFICE:
        check_archive(body, limits)
    return Accepted(name=name, content_type=content_type)


def looks_like_markup(head: bytes) -> bool:
    start = head.lstrip()[:512].lower()
    return start.startswith(b"<") or b"<svg" in start or b"<script" in start


def check_image(body: IO[bytes], limits: Limits) -> None:
    """It is an image whole, and its pixels, read from the header without decoding them,
    stay within the limit."""
    try:
        body.seek(0)
        with Image.open(body) as image:
            width, height = image.size
            image.verify()  # its structure whole (a truncated PNG is refused), nothing decoded
    except (
        UnidentifiedImageError,
        OSError,
        SyntaxError,
        ValueError,  # a text chunk too large to read
        Image.DecompressionBombError,
    ) as error:
        # Pillow names the file object it was given when it knows no such image: not the user's.
        why = "no image format it knows" if isinstance(error, UnidentifiedImageError) else error
        raise Refused(422, "unsafe_file", f"the image cannot be read safely: {why}") from error
    if width * height > limits.max_pixels:
        raise Refused(
            422,
            "unsafe_file",
            f"the image is {width}×{height} pixels; at most {limits.max_pixels} are kept",
        )


def check_archive(body: IO[bytes], limits: Limits) -> None:
    """An Office file (a zip) unpacks to no more than the limit, in a bounded number of parts."""
    try:
        body.seek(0)
        with zipfile.ZipFile(body) as archive:
            entries = archive.infolist()
    except (zipfile.BadZipFile, OSError) as error:
        raise Refused(422, "unsafe_file", f"the archive cannot be read: {error}") from error
    unpacked = sum(entry.file_size for entry in entries)
    if len(entries) > MAX_ZIP_ENTRIES or unpacked > limits.max_unpacked_bytes:
        log.warning("archive_refused", extra={"entries": len(entries), "unpacked": unpacked})
        raise Refused(
            422,
            "unsafe_file",
            f"the file unpacks to {unpacked} bytes in {len(entries)} parts; at most "
            f"{limits.max_unpacked_bytes} bytes are allowed",
        )
