"""Fixtures the board tests share: the board's chair, a second board's secretary, agreed
positions made through the real services, PDFs and a private media folder."""

from __future__ import annotations

import io
from collections.abc import Callable

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from pypdf import PdfWriter

from boards.models import BoardSeat
from groups import services as group_services
from groups.models import Position
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
def make_agreed(cast) -> Callable[..., Position]:
    """Makes a position of the cast's group and takes it through a real vote to agreed."""

    def make(title: str = "Same-day access hubs in every place", group=None) -> Position:
        group = group or cast.group
        author = cast.gp_lead if group == cast.group else cast.outsider
        position = group_services.position_draft(
            group=group,
            actor=author,
            title=title,
            summary="Pool same-day demand across PCNs.",
            ask="Fund one same-day access hub per place from July 2027.",
        )
        chair = group.memberships.filter(role="chair").first()
        opener = chair.user if chair else author
        vote = group_services.vote_open(position=position, actor=opener)
        voters = [m.user for m in group.memberships.select_related("user")]
        for voter in voters:
            group_services.vote_cast(vote=vote, voter=voter, choice="for")
        group_services.vote_close(vote=vote, actor=opener)
        position.refresh_from_db()
        assert position.state == Position.State.AGREED
        return position

    return make


@pytest.fixture
def agreed(make_agreed) -> Position:
    return make_agreed()


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
