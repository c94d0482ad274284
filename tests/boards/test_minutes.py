"""Minutes through their services: drafted once a meeting has started, edited while draft,
approved at a later meeting of the same board, then never changed."""

# ruff: noqa: F401, F811
from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from boards.models import Meeting, Minutes
from boards.selectors import conduct as selectors
from boards.services import conduct as services
from icsvoice.models import AuditEvent, OutboxMessage
from tests.boards.conduct_fixtures import (
    future_meeting,
    last_event,
    later_meeting,
    make_meeting,
    meeting,
    other_meeting,
    refused,
)


def draft(meeting, actor, text="## Welcome\n\nThe chair opened the meeting."):
    return services.minutes_draft(
        meeting=meeting, public_text=text, private_text="Item 5 was discussed.", actor=actor
    )


def test_the_secretary_drafts_minutes_rendered_from_markdown(cast, meeting):
    minutes = draft(meeting, cast.secretary)
    assert minutes.state == Minutes.State.DRAFT
    assert "<h2>Welcome</h2>" in minutes.public_html
    assert minutes.private_html == "<p>Item 5 was discussed.</p>"
    assert last_event().event == "board.minutes_drafted"


def test_minutes_refuse_a_meeting_not_yet_started_and_other_people(
    cast, meeting, future_meeting, board_chair, other_secretary
):
    with refused("Minutes are drafted once the meeting has started"):
        draft(future_meeting, cast.secretary)
    for person in (board_chair, cast.gp_rep, cast.board_member, other_secretary):
        with refused("Only this board's secretary"):
            draft(meeting, person)
    with refused("Enter the minutes of the part held in public"):
        draft(meeting, cast.secretary, text="  ")
    with refused("The public minutes must be plain text"):
        draft(meeting, cast.secretary, text="<script>x</script>")
    draft(meeting, cast.secretary)
    with refused("already has draft minutes"):
        draft(meeting, cast.secretary)


def test_draft_minutes_are_edited(cast, meeting):
    minutes = draft(meeting, cast.secretary)
    changed = services.minutes_change(
        minutes=minutes, public_text="Corrected *text*", private_text="", actor=cast.secretary
    )
    assert changed.public_html == "<p>Corrected <em>text</em></p>"
    assert changed.private_html == ""
    assert last_event().event == "board.minutes_changed"
    with refused("Only this board's secretary"):
        services.minutes_change(minutes=minutes, public_text="x", actor=cast.gp_rep)


def test_minutes_are_approved_at_a_later_meeting_and_the_board_is_told(
    cast, meeting, later_meeting, board_chair
):
    minutes = draft(meeting, cast.secretary)
    assert selectors.approval_meetings(meeting) == [later_meeting]
    approved = services.minutes_approve(
        minutes=minutes, at_meeting=later_meeting, actor=cast.secretary
    )
    assert approved.state == Minutes.State.APPROVED
    assert approved.approved_at_meeting == later_meeting
    assert approved.approved_by == cast.secretary and approved.approved_at is not None
    event = last_event()
    assert event.event == "board.minutes_approved"
    assert event.payload["approved_at_meeting"] == later_meeting.pk
    told = set(
        OutboxMessage.objects.filter(kind="board.minutes_approved").values_list(
            "recipient_id", flat=True
        )
    )
    assert told == {board_chair.pk, cast.gp_rep.pk, cast.board_member.pk}


def test_approval_refuses_an_earlier_the_same_or_another_boards_meeting(
    cast, meeting, other_meeting, future_meeting
):
    earlier = make_meeting(
        cast.board, cast.secretary, starts_in=dt.timedelta(days=-40), title="Earlier"
    )
    minutes = draft(meeting, cast.secretary)
    with refused("at a later meeting than the one they record"):
        services.minutes_approve(minutes=minutes, at_meeting=earlier, actor=cast.secretary)
    with refused("at a later meeting than the one they record"):
        services.minutes_approve(minutes=minutes, at_meeting=meeting, actor=cast.secretary)
    with refused("at a meeting of the same board"):
        services.minutes_approve(minutes=minutes, at_meeting=other_meeting, actor=cast.secretary)
    with refused("that meeting has not started yet"):
        services.minutes_approve(minutes=minutes, at_meeting=future_meeting, actor=cast.secretary)
    assert selectors.approval_meetings(meeting) == []


def test_approval_refuses_a_cancelled_meeting_and_other_roles(
    cast, meeting, later_meeting, board_chair
):
    minutes = draft(meeting, cast.secretary)
    with refused("Only this board's secretary"):
        services.minutes_approve(minutes=minutes, at_meeting=later_meeting, actor=board_chair)
    Meeting.objects.filter(pk=later_meeting.pk).update(
        state="cancelled", cancel_reason="Snow", cancelled_at=timezone.now()
    )
    later_meeting.refresh_from_db()
    with refused("That meeting was cancelled"):
        services.minutes_approve(minutes=minutes, at_meeting=later_meeting, actor=cast.secretary)


def test_approved_minutes_cannot_be_edited_or_approved_again(cast, meeting, later_meeting):
    minutes = draft(meeting, cast.secretary)
    stale = Minutes.objects.get(pk=minutes.pk)
    services.minutes_approve(minutes=minutes, at_meeting=later_meeting, actor=cast.secretary)
    with refused("These minutes have been approved, so they cannot be changed"):
        services.minutes_change(minutes=stale, public_text="Rewritten", actor=cast.secretary)
    with refused("These minutes have already been approved"):
        services.minutes_approve(minutes=stale, at_meeting=later_meeting, actor=cast.secretary)
    assert Minutes.objects.get(pk=minutes.pk).public_text.startswith("## Welcome")
