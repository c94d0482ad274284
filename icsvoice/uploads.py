"""Checking an upload is what it claims to be: a readable, unencrypted PDF within the size
limit (`ICSVOICE_MAX_PDF_BYTES`, 20 MB unless set). Both sides of the product use it."""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile

from icsvoice.errors import DomainError

DEFAULT_MAX_PDF_BYTES = 20 * 1024 * 1024


def max_pdf_bytes() -> int:
    return int(getattr(settings, "ICSVOICE_MAX_PDF_BYTES", DEFAULT_MAX_PDF_BYTES))


def size_text(size: int) -> str:
    """A byte count as people say it: '20 MB', '512 KB', '300 bytes'."""
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):g} MB"
    if size >= 1024:
        return f"{size // 1024} KB"
    return f"{size} bytes"


@dataclass(frozen=True)
class CheckedPDF:
    data: bytes
    pages: int
    sha256: str

    @property
    def size(self) -> int:
        return len(self.data)


def check_pdf(upload: UploadedFile, *, error: type[DomainError] = DomainError) -> CheckedPDF:
    """The bytes, page count and hash of an upload that really is a readable PDF; otherwise
    `error` with a plain English reason. Judged by content, never by the file's name."""
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    limit = max_pdf_bytes()
    too_big = f"The file must be smaller than {size_text(limit)}."
    if upload.size is not None and upload.size > limit:
        raise error(too_big)
    data = upload.read(limit + 1)
    if len(data) > limit:
        raise error(too_big)
    if not data.startswith(b"%PDF-"):
        raise error("The file must be a PDF: this one is not.")
    try:
        reader = PdfReader(io.BytesIO(data))
        encrypted = reader.is_encrypted
        pages = 0 if encrypted else len(reader.pages)
    except (
        PyPdfError,
        RecursionError,
        ValueError,
        KeyError,
        TypeError,
        IndexError,
        AttributeError,
        OSError,
    ):
        raise error("The PDF is damaged and cannot be read: upload another copy.") from None
    if encrypted:
        raise error("The PDF is password-protected: upload a copy without a password.")
    if pages == 0:
        raise error("The PDF has no pages.")
    return CheckedPDF(data=data, pages=pages, sha256=hashlib.sha256(data).hexdigest())
