"""Helpers for the briefs tests: meetings made directly (not through the meetings part's
services), a position tabled or routed through the briefs services, and the ICS B
representative who must see nothing of ICS A."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from boards.models import BoardSeat, Brief, Meeting
from boards.services import briefs as services
from icsvoice.models import AuditEvent
from tests import factories as f
from tests.boards.checks import board_fingerprint, refused  # noqa: F401 (shared)

LONDON = ZoneInfo("Europe/London")


def in_days(days: int, hour: int = 10) -> dt.datetime:
    day = timezone.localdate() + dt.timedelta(days=days)
    return dt.datetime.combine(day, dt.time(hour, 0), tzinfo=LONDON)


def on_day(days: int) -> dt.date:
    return timezone.localdate() + dt.timedelta(days=days)


def meeting(board, user, days: int = 21, title: str = "Board meeting in public", **extra):
    return Meeting.objects.create(
        board=board,
        title=title,
        starts_at=in_days(days),
        location="Civic Centre",
        created_by=user,
        **extra,
    )


def cancelled(board, user, days: int):
    return meeting(
        board,
        user,
        days,
        state=Meeting.State.CANCELLED,
        cancel_reason="Not quorate",
        cancelled_at=timezone.now(),
    )


def table(cast, position, at: Meeting) -> Brief:
    return services.brief_table(board=cast.board, position=position, meeting=at, actor=cast.gp_rep)


def held(brief: Brief, days_ago: int = 1) -> Brief:
    """Moves the requested meeting into the past, as if it has taken place."""
    assert brief.requested_meeting is not None
    Meeting.objects.filter(pk=brief.requested_meeting_id).update(starts_at=in_days(-days_ago))
    return Brief.objects.select_related("board", "position__group", "version").get(pk=brief.pk)


def events() -> list[str]:
    return list(AuditEvent.objects.order_by("id").values_list("event", flat=True))


def board_events() -> list[str]:
    return [e for e in events() if e.startswith("board.")]


def board_state() -> dict:
    """The board rows and outbox, and the board's audit events (signing in audits too)."""
    state = board_fingerprint()
    state["audit"] = AuditEvent.objects.filter(event__startswith="board.").count()
    return state


@pytest.fixture
def upcoming(cast):
    return meeting(cast.board, cast.secretary, 21)


@pytest.fixture
def other_rep(cast):
    """ICS B's board's GP representative."""
    rep = f.UserFactory(email="rep@b.example.nhs.uk", full_name="Dr Bea Otherrep")
    f.BoardSeatFactory(board=cast.other_board, user=rep, role=BoardSeat.Role.GP_REPRESENTATIVE)
    return rep


@pytest.fixture
def tabled(cast, agreed, upcoming) -> Brief:
    return table(cast, agreed, upcoming)
