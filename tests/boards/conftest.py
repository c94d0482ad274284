"""Fixtures the board tests share: the board's chair, a second board's secretary, PDFs and a
private media folder. Agreed positions (`make_agreed`, `agreed`) are in tests/conftest.py."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from pypdf import PdfWriter

from boards.models import BoardSeat
from tests import factories as f


@pytest.fixture
def board_chair(cast):
    chair = f.UserFactory(email="board.chair@a.example.nhs.uk", full_name="Cara Boardchair")
    f.BoardSeatFactory(board=cast.board, user=chair, role=BoardSeat.Role.CHAIR)
    return chair


@pytest.fixture
def other_secretary(cast):
    """The secretary of ICS B's board: must be able to touch nothing of ICS A's."""
    secretary = f.UserFactory(email="secretary@b.example.nhs.uk", full_name="Otis Othersec")
    f.BoardSeatFactory(board=cast.other_board, user=secretary, role=BoardSeat.Role.SECRETARY)
    return secretary


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def pdf_bytes(pages: int = 1, password: str | None = None) -> bytes:
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=595, height=842)
    if password:
        writer.encrypt(password)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def pdf_upload(data: bytes | None = None, name: str = "paper.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, pdf_bytes() if data is None else data, "application/pdf")
