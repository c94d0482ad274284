"""Helpers for the meetings, agendas and papers tests: a meeting a few weeks ahead, items
made through the services, and a brief the GP representative tabled for the meeting."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from django.utils import timezone

from boards.models import Brief, Meeting
from boards.services import meetings as services
from icsvoice.models import AuditEvent
from tests.boards.checks import board_fingerprint, refused  # noqa: F401 (shared)

LONDON = ZoneInfo("Europe/London")


def in_days(days: int, hour: int = 10, minute: int = 0) -> dt.datetime:
    day = timezone.localdate() + dt.timedelta(days=days)
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=LONDON)


def schedule(board, secretary, *, days: int = 21, title: str = "Board meeting in public"):
    return services.meeting_schedule(
        board=board,
        title=title,
        starts_at=in_days(days),
        ends_at=in_days(days, 13),
        location="Civic Centre, Room 2",
        actor=secretary,
    )


def add_item(meeting, secretary, title: str = "Finance report", **extra):
    fields = {"duration_minutes": 20, "purpose": "information", "presenter": "CFO", **extra}
    return services.agenda_item_add(meeting=meeting, title=title, actor=secretary, **fields)


def add_private_item(meeting, secretary, title: str = "Estates disposal", **extra):
    return add_item(
        meeting,
        secretary,
        title,
        part="private",
        confidential_reason="Commercially sensitive negotiations.",
        review_on=timezone.localdate() + dt.timedelta(days=180),
        **extra,
    )


def table(meeting: Meeting, position, gp_rep) -> Brief:
    """A brief tabled for the meeting, as the briefs part will make it."""
    return Brief.objects.create(
        board=meeting.board,
        position=position,
        version=position.current_version,
        route="tabled",
        requested_meeting=meeting,
        routed_by=gp_rep,
    )


def events(prefix: str = "board.") -> list[str]:
    return list(
        AuditEvent.objects.filter(event__startswith=prefix)
        .order_by("id")
        .values_list("event", flat=True)
    )
