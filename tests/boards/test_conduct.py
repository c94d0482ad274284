"""The meeting's record through its services: attendance and quorum, declarations of
interest on items, decisions and actions; each rule and each refusal."""

# ruff: noqa: F401, F811
from __future__ import annotations

import datetime as dt
from contextlib import contextmanager

import pytest
from django.utils import timezone

from boards.models import (
    Action,
    AgendaItem,
    AgendaVersion,
    Attendance,
    BoardSeat,
    Decision,
    Meeting,
    MeetingDeclaration,
)
from boards.selectors import conduct as selectors
from boards.services import conduct as services
from groups.models import today
from icsvoice.errors import DomainError
from icsvoice.models import AuditEvent, OutboxMessage
from tests import factories as f
from tests.boards.checks import board_fingerprint
from tests.boards.conduct_fixtures import (
    future_meeting,
    item_keys,
    last_event,
    later_meeting,
    make_meeting,
    meeting,
    other_meeting,
    refused,
    seat_members,
)

P, A, X = "present", "apologies", "absent"


def everyone(meeting, status: str = P) -> dict[int, str]:
    return dict.fromkeys(selectors.seat_holders(meeting.board, meeting.day), status)


# --- Attendance --------------------------------------------------------------------------------


def test_the_register_lists_seat_holders_on_the_meeting_day_and_records_each(
    cast, meeting, board_chair
):
    ended = f.BoardSeatFactory(
        board=cast.board, starts_on=dt.date(2025, 4, 1), ends_on=today() - dt.timedelta(days=3)
    )
    starts_later = f.BoardSeatFactory(board=cast.board, starts_on=today() + dt.timedelta(days=1))
    register = selectors.register(meeting)
    people = {r.person for r in register.members}
    assert people == {cast.gp_rep, cast.secretary, cast.board_member, board_chair}
    assert ended.user not in people and starts_later.user not in people
    statuses = {
        board_chair.pk: P,
        cast.gp_rep.pk: P,
        cast.board_member.pk: A,
        cast.secretary.pk: P,
    }
    rows = services.attendance_record(meeting=meeting, statuses=statuses, actor=cast.secretary)
    assert len(rows) == 4
    by_person = {a.person_id: a for a in Attendance.objects.filter(meeting=meeting)}
    assert by_person[board_chair.pk].counts_for_quorum
    assert by_person[cast.gp_rep.pk].counts_for_quorum
    assert not by_person[cast.board_member.pk].counts_for_quorum  # apologies
    assert not by_person[cast.secretary.pk].counts_for_quorum  # the secretary has no vote
    assert by_person[cast.gp_rep.pk].role == "GP board representative"
    event = last_event()
    assert event.event == "board.attendance_recorded"
    assert event.role == "board_secretary"
    assert event.payload["before"] == {}
    assert event.payload["after"][str(cast.board_member.pk)] == A
    assert event.payload["quorum_present"] == 2


def test_re_recording_updates_the_rows_and_audits_before_and_after(cast, meeting):
    services.attendance_record(meeting=meeting, statuses=everyone(meeting), actor=cast.secretary)
    statuses = everyone(meeting)
    statuses[cast.board_member.pk] = X
    services.attendance_record(meeting=meeting, statuses=statuses, actor=cast.secretary)
    assert Attendance.objects.filter(meeting=meeting).count() == 3
    row = Attendance.objects.get(meeting=meeting, person=cast.board_member)
    assert row.status == X and not row.counts_for_quorum
    event = last_event()
    assert event.payload["before"] == {str(cast.board_member.pk): P}
    assert event.payload["after"] == {str(cast.board_member.pk): X}


def test_the_register_refuses_a_missing_person_a_stranger_and_a_bad_status(cast, meeting):
    statuses = everyone(meeting)
    del statuses[cast.gp_rep.pk]
    with refused("Record Dr Rhiannon Rep as present, apologies or absent"):
        services.attendance_record(meeting=meeting, statuses=statuses, actor=cast.secretary)
    with refused("Record Dr Rhiannon Rep as present"):
        services.attendance_record(
            meeting=meeting,
            statuses={**everyone(meeting), cast.gp_rep.pk: "in_attendance"},
            actor=cast.secretary,
        )
    with refused("add anyone else as in attendance"):
        services.attendance_record(
            meeting=meeting,
            statuses={**everyone(meeting), cast.gp_lead.pk: P},
            actor=cast.secretary,
        )


def test_only_the_secretary_records_attendance(cast, meeting, board_chair, other_secretary):
    for person in (board_chair, cast.board_member, cast.gp_rep, cast.reviewer, other_secretary):
        with refused("Only this board's secretary"):
            services.attendance_record(meeting=meeting, statuses=everyone(meeting), actor=person)


def test_a_cancelled_meeting_has_no_register(cast, meeting):
    Meeting.objects.filter(pk=meeting.pk).update(
        state="cancelled", cancel_reason="Snow", cancelled_at=timezone.now()
    )
    meeting.refresh_from_db()
    with refused("cancelled"):
        services.attendance_record(
            meeting=meeting, statuses=everyone(meeting), actor=cast.secretary
        )


def test_someone_in_attendance_is_added_and_never_counts_for_quorum(cast, meeting):
    guest = f.UserFactory(full_name="Dee Director")
    attendance = services.attendee_add(
        meeting=meeting, person=guest, role="Director of Public Health", actor=cast.secretary
    )
    assert attendance.status == Attendance.Status.IN_ATTENDANCE
    assert not attendance.counts_for_quorum
    assert last_event().event == "board.attendee_added"
    register = selectors.register(meeting)
    assert [a.person for a in register.in_attendance] == [guest]
    assert register.quorum.present == 0
    # Recording the register keeps them.
    services.attendance_record(meeting=meeting, statuses=everyone(meeting), actor=cast.secretary)
    assert Attendance.objects.filter(meeting=meeting).count() == 4


def test_adding_in_attendance_refuses_members_twice_and_markup(cast, meeting):
    with refused("holds a seat on the board: record them in the register"):
        services.attendee_add(meeting=meeting, person=cast.board_member, actor=cast.secretary)
    guest = f.UserFactory(full_name="Dee Director")
    services.attendee_add(meeting=meeting, person=guest, actor=cast.secretary)
    with refused("Dee Director is already recorded at this meeting"):
        services.attendee_add(meeting=meeting, person=guest, actor=cast.secretary)
    with refused("Their role must be plain text"):
        services.attendee_add(
            meeting=meeting, person=f.UserFactory(), role="<b>x</b>", actor=cast.secretary
        )
    with refused("Only this board's secretary"):
        services.attendee_add(meeting=meeting, person=f.UserFactory(), actor=cast.board_member)


# --- Quorum ------------------------------------------------------------------------------------


@pytest.mark.parametrize(("present", "quorate"), [(5, False), (6, True), (7, True)])
def test_quorum_follows_the_boards_own_number_on_both_sides_of_the_line(
    cast, meeting, present, quorate
):
    cast.board.quorum = 6
    cast.board.quorum_rule = "Six members, including the chair or vice chair"
    cast.board.save()
    meeting.board.refresh_from_db()
    members = seat_members(cast.board, 8)
    statuses = everyone(meeting, A)
    for member in members[:present]:
        statuses[member.pk] = P
    statuses[cast.secretary.pk] = P  # present, but no vote
    services.attendance_record(meeting=meeting, statuses=statuses, actor=cast.secretary)
    quorum = selectors.register(meeting).quorum
    assert quorum.present == present
    assert quorum.is_quorate is quorate
    head = "Quorate" if quorate else "Not quorate"
    assert quorum.sentence == f"{head}: {present} of the 6 voting members needed are present"
    assert quorum.rule.startswith("Six members")
    summary = selectors.conduct_summary(meeting)
    assert summary.quorum.is_quorate is quorate
    assert summary.present == present + 1
    assert summary.apologies == 11 - present - 1  # everyone else sent apologies


def test_quorum_before_anything_is_recorded(cast, meeting):
    quorum = selectors.register(meeting).quorum
    assert not quorum.recorded
    assert quorum.sentence == "Attendance has not been recorded yet."


# --- Declarations ------------------------------------------------------------------------------


def test_a_declaration_on_an_item_records_the_withdrawal(cast, meeting):
    key = item_keys(meeting)[1]
    declaration = services.declaration_record(
        meeting=meeting,
        item_key=str(key),
        person=cast.gp_rep,
        category="financial",
        interest="Partner in a practice bidding for the contract",
        actor=cast.secretary,
    )
    assert declaration.withdrew and declaration.chair_note == ""
    assert declaration.item_key == key
    event = last_event()
    assert event.event == "board.declaration_recorded"
    assert event.payload["withdrew"] is True
    records = selectors.by_item(
        meeting, selectors.meeting_items(meeting), declared=selectors.declarations(meeting)
    )
    assert [len(r.declarations) for r in records] == [0, 1, 0]


def test_staying_needs_the_chairs_note(cast, meeting):
    key = item_keys(meeting)[0]
    with refused("enter the chair's reason for letting them stay"):
        services.declaration_record(
            meeting=meeting,
            item_key=key,
            person=cast.gp_rep,
            category="professional",
            interest="Clinical lead for the service",
            withdrew=False,
            actor=cast.secretary,
        )
    declaration = services.declaration_record(
        meeting=meeting,
        item_key=key,
        person=cast.gp_rep,
        category="professional",
        interest="Clinical lead for the service",
        withdrew=False,
        chair_note="Stayed to answer questions; took no part in the decision.",
        actor=cast.secretary,
    )
    assert not declaration.withdrew
    assert declaration.chair_note.startswith("Stayed")


def test_someone_in_attendance_may_declare(cast, meeting):
    guest = f.UserFactory(full_name="Dee Director")
    services.attendee_add(meeting=meeting, person=guest, actor=cast.secretary)
    declaration = services.declaration_record(
        meeting=meeting,
        item_key=item_keys(meeting)[0],
        person=guest,
        category="indirect",
        interest="Spouse works for the provider",
        actor=cast.secretary,
    )
    assert declaration.person == guest


def test_declarations_refuse_items_off_the_agenda_strangers_and_repeats(
    cast, meeting, other_meeting
):
    key = item_keys(meeting)[0]
    base = {
        "meeting": meeting,
        "person": cast.gp_rep,
        "category": "financial",
        "interest": "Shares",
        "actor": cast.secretary,
    }
    with refused("must be one of this meeting's items"):
        services.declaration_record(**{**base, "item_key": item_keys(other_meeting)[0]})
    with refused("must be one of this meeting's items"):
        services.declaration_record(**{**base, "item_key": "not-a-key"})
    with refused("Choose the agenda item"):
        services.declaration_record(**{**base, "item_key": ""})
    with refused("Dr Asha Lead is neither a member of the board on the day of the meeting"):
        services.declaration_record(**{**base, "item_key": key, "person": cast.gp_lead})
    with refused("Choose the kind of interest"):
        services.declaration_record(**{**base, "item_key": key, "category": "hunch"})
    with refused("Enter what the interest is"):
        services.declaration_record(**{**base, "item_key": key, "interest": "  "})
    with refused("The interest must be plain text"):
        services.declaration_record(**{**base, "item_key": key, "interest": "<i>x</i>"})
    with refused("Only this board's secretary"):
        services.declaration_record(**{**base, "item_key": key, "actor": cast.board_member})
    services.declaration_record(**{**base, "item_key": key})
    with refused("has already declared an interest on this item"):
        services.declaration_record(**{**base, "item_key": key})


def test_the_items_are_the_published_agendas_or_the_drafts(cast):
    drafted = make_meeting(cast.board, cast.secretary, published=False, items=2)
    assert len(selectors.meeting_items(drafted)) == 2
    # A new draft of a published agenda does not replace the published items.
    published = make_meeting(cast.board, cast.secretary, items=2)
    draft = AgendaVersion.objects.create(meeting=published, number=2, created_by=cast.secretary)
    AgendaItem.objects.create(version=draft, order=1, title="Only in the draft", purpose="decision")
    assert [i.title for i in selectors.meeting_items(published)] == ["Item 1", "Item 2"]
    with refused("must be one of this meeting's items"):
        services.declaration_record(
            meeting=published,
            item_key=draft.items.get().key,
            person=cast.gp_rep,
            category="financial",
            interest="Shares",
            actor=cast.secretary,
        )


# --- Decisions ---------------------------------------------------------------------------------


def test_a_decision_is_recorded_on_an_item_or_the_meeting(cast, meeting):
    key = item_keys(meeting)[2]
    on_item = services.decision_record(
        meeting=meeting, text="Approved the plan.", item_key=key, actor=cast.secretary
    )
    general = services.decision_record(
        meeting=meeting, text="Next meeting moves online.", actor=cast.secretary
    )
    assert on_item.item_key == key and general.item_key is None
    assert last_event().event == "board.decision_recorded"
    records = selectors.by_item(
        meeting, selectors.meeting_items(meeting), decided=selectors.decisions(meeting)
    )
    assert records[2].decisions == [on_item]
    assert records[-1].label == "Not on a particular item"
    assert records[-1].decisions == [general]


def test_decisions_refuse_empty_text_a_stranger_item_a_future_meeting_and_other_roles(
    cast, meeting, future_meeting, other_meeting
):
    with refused("Enter the decision"):
        services.decision_record(meeting=meeting, text=" ", actor=cast.secretary)
    with refused("must be one of this meeting's items"):
        services.decision_record(
            meeting=meeting, text="Yes", item_key=item_keys(other_meeting)[0], actor=cast.secretary
        )
    with refused("Decisions are recorded once the meeting has started"):
        services.decision_record(meeting=future_meeting, text="Yes", actor=cast.secretary)
    with refused("Only this board's secretary"):
        services.decision_record(meeting=meeting, text="Yes", actor=cast.gp_rep)


# --- Actions -----------------------------------------------------------------------------------


def test_an_action_is_added_and_its_owner_told(cast, meeting):
    due = today() + dt.timedelta(days=14)
    action = services.action_add(
        meeting=meeting,
        description="Bring the estates plan",
        owner=cast.board_member,
        due_on=due,
        item_key=item_keys(meeting)[0],
        actor=cast.secretary,
    )
    assert action.state == Action.State.OPEN
    assert last_event().event == "board.action_added"
    told = OutboxMessage.objects.get(kind="board.action_added")
    assert told.recipient == cast.board_member


def test_actions_refuse_an_owner_off_the_board_a_past_due_date_and_other_roles(
    cast, meeting, other_secretary
):
    due = today() + dt.timedelta(days=14)
    base = {
        "meeting": meeting,
        "description": "Bring the plan",
        "owner": cast.board_member,
        "due_on": due,
        "actor": cast.secretary,
    }
    with refused("The owner must hold a seat on the board: Dr Asha Lead does not"):
        services.action_add(**{**base, "owner": cast.gp_lead})
    with refused("The owner must hold a seat on the board"):
        services.action_add(**{**base, "owner": other_secretary})
    with refused("The due date must be on or after the day of the meeting"):
        services.action_add(**{**base, "due_on": today() - dt.timedelta(days=10)})
    with refused("Enter what the action is"):
        services.action_add(**{**base, "description": ""})
    with refused("must be one of this meeting's items"):
        services.action_add(**{**base, "item_key": "00000000-0000-0000-0000-000000000000"})
    with refused("Only this board's secretary"):
        services.action_add(**{**base, "actor": other_secretary})


def test_an_action_is_done_once(cast, meeting):
    action = services.action_add(
        meeting=meeting,
        description="Bring the plan",
        owner=cast.gp_rep,
        due_on=today(),
        actor=cast.secretary,
    )
    with refused("Enter a note of what was done"):
        services.action_done(action=action, note="", actor=cast.secretary)
    with refused("Only this board's secretary"):
        services.action_done(action=action, note="Done", actor=cast.gp_rep)
    stale = Action.objects.get(pk=action.pk)  # a second tab, loaded while still open
    done = services.action_done(action=action, note="Plan circulated", actor=cast.secretary)
    assert done.state == Action.State.DONE and done.done_at is not None
    assert last_event().event == "board.action_done"
    assert stale.state == Action.State.OPEN
    with refused("This action is already done"):
        services.action_done(action=stale, note="Again", actor=cast.secretary)


def test_the_action_log_puts_open_first_overdue_at_the_top_then_done(cast, meeting):
    def add(days: int, text: str) -> Action:
        action = services.action_add(
            meeting=meeting,
            description=text,
            owner=cast.gp_rep,
            due_on=today() + dt.timedelta(days=days),
            actor=cast.secretary,
        )
        return action

    later = add(30, "later")
    overdue = add(0, "overdue")
    Action.objects.filter(pk=overdue.pk).update(due_on=today() - dt.timedelta(days=1))
    soon = add(2, "soon")
    done = add(1, "done")
    services.action_done(action=done, note="Done", actor=cast.secretary)
    log = selectors.action_log(cast.board)
    assert [r.action.description for r in log.open] == ["overdue", "soon", "later"]
    assert [r.overdue for r in log.open] == [True, False, False]
    assert [r.action.description for r in log.done] == ["done"]
    assert log.overdue == 1
    assert later and soon
