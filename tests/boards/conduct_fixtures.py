"""Meetings for the tests of the meeting's record, made directly with the ORM (the meetings
part has its own services): a meeting with a published agenda, later and earlier ones, and
ICS B's."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from boards.models import AgendaItem, AgendaVersion, BoardSeat, Meeting, Purpose
from icsvoice.models import AuditEvent
from tests import factories as f
from tests.boards.checks import board_fingerprint, refused  # noqa: F401 (shared)


def last_event() -> AuditEvent:
    return AuditEvent.objects.order_by("-id").first()


def make_meeting(
    board,
    creator,
    *,
    starts_in: dt.timedelta = dt.timedelta(days=-1),
    items: int = 3,
    published: bool = True,
    title: str = "Board meeting in public",
) -> Meeting:
    meeting = Meeting.objects.create(
        board=board,
        title=title,
        starts_at=timezone.now() + starts_in,
        location="Civic Centre",
        created_by=creator,
    )
    version = AgendaVersion.objects.create(
        meeting=meeting,
        number=1,
        state=AgendaVersion.State.PUBLISHED if published else AgendaVersion.State.DRAFT,
        created_by=creator,
        published_by=creator if published else None,
        published_at=timezone.now() if published else None,
    )
    for order in range(1, items + 1):
        AgendaItem.objects.create(
            version=version, order=order, title=f"Item {order}", purpose=Purpose.DECISION
        )
    return meeting


def item_keys(meeting: Meeting) -> list:
    version = meeting.agendas.exclude(state=AgendaVersion.State.SUPERSEDED).order_by("-number")[0]
    return list(version.items.order_by("order").values_list("key", flat=True))


def seat_members(board, n: int, role: str = BoardSeat.Role.MEMBER) -> list:
    return [f.BoardSeatFactory(board=board, role=role).user for _ in range(n)]


@pytest.fixture
def meeting(cast):
    """ICS A's board met yesterday; its agenda (three items) is published."""
    return make_meeting(cast.board, cast.secretary)


@pytest.fixture
def later_meeting(cast, meeting):
    """ICS A's next meeting, which started an hour ago."""
    return make_meeting(
        cast.board, cast.secretary, starts_in=dt.timedelta(hours=-1), title="Next meeting"
    )


@pytest.fixture
def future_meeting(cast):
    return make_meeting(
        cast.board, cast.secretary, starts_in=dt.timedelta(days=30), title="Future meeting"
    )


@pytest.fixture
def other_meeting(cast, other_secretary):
    """ICS B's board's meeting: nothing of ICS A's people may touch it."""
    return make_meeting(cast.other_board, other_secretary, title="ICS B meeting")
