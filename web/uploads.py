"""Files people upload (incident attachments, Circular 124 evidence), under one set of rules: a size cap per file
(never above the request cap, `MAX_CONTENT_LENGTH`, beyond which Flask answers 413 before any view runs), a list
of allowed types recognised from the file's first bytes and matching its extension (the browser's declared type
is not trusted), and a file name that is safe to store and to send back."""

from __future__ import annotations

import io
import re
import unicodedata
import zipfile
from typing import NamedTuple

from flask import current_app
from werkzeug.datastructures import FileStorage

MAX_ATTACHMENT = 8 * 1024 * 1024
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
# type → the extensions a file of that type may carry
EXTENSIONS: dict[str, tuple[str, ...]] = {
    "image/jpeg": (".jpg", ".jpeg"),
    "image/png": (".png",),
    "image/webp": (".webp",),
    "application/pdf": (".pdf",),
    "text/plain": (".txt",),
    DOCX: (".docx",),
    "application/msword": (".doc",),
}
ALLOWED_TYPES = frozenset(EXTENSIONS)
ACCEPT = ",".join(ext for exts in EXTENSIONS.values() for ext in exts)  # for <input type="file" accept=…>
MAX_NAME = 120


class Upload(NamedTuple):
    filename: str
    content_type: str
    data: bytes


class UploadError(ValueError):
    """A file refused: `reason` is "too_big", "empty" or "type"; `filename` is the (safe) name it was sent under."""

    def __init__(self, reason: str, filename: str):
        super().__init__(f"{filename}: {reason}")
        self.reason = reason
        self.filename = filename


def size_cap() -> int:
    """Bytes one file may have: MAX_ATTACHMENT, or the request cap when that is lower."""
    request_cap = current_app.config.get("MAX_CONTENT_LENGTH")
    return min(MAX_ATTACHMENT, request_cap) if request_cap else MAX_ATTACHMENT


def human_size(size: int) -> str:
    """ "8 MB", "512 KB" (binary units, as the caps are set)."""
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):g} MB"
    return f"{max(size // 1024, 1)} KB"


def safe_filename(name: str | None, fallback: str = "tep") -> str:
    """The last path component, NFC, letters (Vietnamese ones kept), digits, spaces and . _ - ( ) only; no
    leading dots; at most MAX_NAME characters with the extension kept."""
    name = unicodedata.normalize("NFC", name or "")
    name = re.split(r"[\\/]", name)[-1]
    name = "".join(c if c.isalnum() or c in " ._-()" else "_" for c in name)
    name = re.sub(r"\s+", " ", name).strip(" ._")
    stem, dot, ext = name.rpartition(".")
    if not dot:
        stem, ext = name, ""
    ext = ext[:10].lower()
    stem = stem[: MAX_NAME - len(ext) - 1].strip(" ._") or fallback
    return f"{stem}.{ext}" if ext else stem


def sniff(data: bytes) -> str | None:
    """The allowed type these bytes are, or None."""
    if data.startswith(b"%PDF-"):
        return "application/pdf"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    if data.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return "application/msword"
    if data.startswith(b"PK\x03\x04"):
        try:
            names = set(zipfile.ZipFile(io.BytesIO(data)).namelist())
        except (zipfile.BadZipFile, ValueError):
            return None
        return DOCX if {"[Content_Types].xml", "word/document.xml"} <= names else None
    if data and b"\x00" not in data[:8192]:
        return "text/plain"
    return None


def read_upload(upload: FileStorage) -> Upload | None:
    """One uploaded file, checked (UploadError otherwise); None when the field was left empty."""
    if upload is None or not upload.filename:
        return None
    filename = safe_filename(upload.filename)
    cap = size_cap()
    data = upload.read(cap + 1)
    if len(data) > cap:
        raise UploadError("too_big", filename)
    if not data:
        raise UploadError("empty", filename)
    content_type = sniff(data)
    extension = "." + filename.rpartition(".")[2].lower() if "." in filename else ""
    if content_type is None or extension not in EXTENSIONS[content_type]:
        raise UploadError("type", filename)
    return Upload(filename, content_type, data)


def read_uploads(uploads: list[FileStorage]) -> list[Upload]:
    """Every file of a multi-file field, checked; the first refused one raises UploadError."""
    return [u for u in (read_upload(upload) for upload in uploads) if u is not None]
