"""Meeting services: scheduling, changing and cancelling, each refusal leaving nothing
behind."""

from __future__ import annotations

import pytest

from boards.models import Meeting
from boards.services import meetings as services
from icsvoice.models import AuditEvent, OutboxMessage
from tests.boards.meetings_fixtures import events, in_days, refused, schedule

pytestmark = pytest.mark.django_db


@pytest.fixture
def meeting(cast):
    return schedule(cast.board, cast.secretary)


def _details(**over):
    return {
        "title": "Board meeting in public",
        "starts_at": in_days(30),
        "ends_at": in_days(30, 12),
        "location": "Town Hall",
        "online_url": "",
        **over,
    }


def test_the_secretary_schedules_a_meeting(cast):
    meeting = services.meeting_schedule(board=cast.board, actor=cast.secretary, **_details())
    assert meeting.state == Meeting.State.SCHEDULED
    assert meeting.starts_at == in_days(30)
    assert events() == ["board.meeting_scheduled"]
    event = AuditEvent.objects.get(event="board.meeting_scheduled")
    assert event.role == "board_secretary" and event.ics_id == cast.ics.pk
    assert event.payload["title"] == "Board meeting in public"


def test_an_online_only_meeting_is_fine(cast):
    meeting = services.meeting_schedule(
        board=cast.board,
        actor=cast.secretary,
        **_details(location="", online_url="https://teams.example.com/meet/1"),
    )
    assert meeting.online_url.startswith("https://")


@pytest.mark.parametrize(
    ("over", "match"),
    [
        ({"title": "  "}, "Enter the meeting's title"),
        ({"starts_at": None}, "Enter the date and start time"),
        ({"ends_at": in_days(30, 9)}, "end time must be after the start time"),
        ({"location": "", "online_url": ""}, "Enter a place, an online joining link, or both"),
        ({"online_url": "http://insecure.example.com"}, "must start with https://"),
        ({"title": "<b>Board</b>"}, "The title"),
    ],
)
def test_scheduling_refuses_bad_details(cast, over, match):
    with refused(match):
        services.meeting_schedule(board=cast.board, actor=cast.secretary, **_details(**over))


@pytest.mark.parametrize("who", ["board_member", "gp_rep", "reviewer", "outsider"])
def test_only_the_secretary_schedules(cast, who):
    with refused("Only this board's secretary"):
        services.meeting_schedule(board=cast.board, actor=getattr(cast, who), **_details())


def test_the_secretary_of_another_board_cannot_schedule_here(cast, other_secretary):
    with refused("Only this board's secretary"):
        services.meeting_schedule(board=cast.board, actor=other_secretary, **_details())


def test_the_secretary_changes_the_details(cast, meeting):
    changed = services.meeting_change(
        meeting=meeting, actor=cast.secretary, **_details(title="Extraordinary meeting")
    )
    assert changed.title == "Extraordinary meeting"
    assert changed.starts_at == in_days(30)
    event = AuditEvent.objects.filter(event="board.meeting_changed").get()
    assert set(event.payload["changed"]) == {"title", "starts_at", "ends_at", "location"}


def test_changing_nothing_is_refused(cast, meeting):
    same = {
        "title": meeting.title,
        "starts_at": meeting.starts_at,
        "ends_at": meeting.ends_at,
        "location": meeting.location,
        "online_url": meeting.online_url,
    }
    with refused("Nothing has changed"):
        services.meeting_change(meeting=meeting, actor=cast.secretary, **same)


def test_changing_refuses_a_wrong_role_and_bad_input(cast, meeting):
    with refused("Only this board's secretary"):
        services.meeting_change(meeting=meeting, actor=cast.board_member, **_details())
    with refused("end time must be after"):
        services.meeting_change(
            meeting=meeting, actor=cast.secretary, **_details(ends_at=in_days(29))
        )


def test_the_secretary_cancels_with_a_reason_and_members_are_told(cast, meeting):
    cancelled = services.meeting_cancel(
        meeting=meeting, reason="Not quorate: moved to next month.", actor=cast.secretary
    )
    assert cancelled.state == Meeting.State.CANCELLED and cancelled.is_cancelled
    assert cancelled.cancel_reason == "Not quorate: moved to next month."
    assert cancelled.cancelled_at is not None
    assert events()[-1] == "board.meeting_cancelled"
    told = set(
        OutboxMessage.objects.filter(kind="board.meeting_cancelled").values_list(
            "recipient_id", flat=True
        )
    )
    assert told == {cast.gp_rep.pk, cast.board_member.pk}


def test_cancelling_refuses_no_reason_a_second_cancel_and_changes_after(cast, meeting):
    with refused("Enter the reason"):
        services.meeting_cancel(meeting=meeting, reason=" ", actor=cast.secretary)
    with refused("Only this board's secretary"):
        services.meeting_cancel(meeting=meeting, reason="No", actor=cast.gp_rep)
    services.meeting_cancel(meeting=meeting, reason="Snow.", actor=cast.secretary)
    with refused("already been cancelled"):
        services.meeting_cancel(meeting=meeting, reason="Again", actor=cast.secretary)
    with refused("has been cancelled"):
        services.meeting_change(meeting=meeting, actor=cast.secretary, **_details())
