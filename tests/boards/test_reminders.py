"""The board reminders: meetings in 7 days and 1 day (to every seat holder), agreed positions
and accounts waiting for the GP representative over 7 days, board responses overdue (to the
secretary and the representative) and actions due (to their owner). Each goes once per
object, recipient and due date; the task runs every family."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from boards import reminders
from boards.models import Action, BoardSeat, Brief, Meeting
from boards.reminders import (
    ACCOUNT_WAITING,
    ACTION_DUE,
    MEETING_SOON,
    POSITION_WAITING,
    RESPONSE_OVERDUE,
    remind_accounts_waiting,
    remind_actions_due,
    remind_meetings,
    remind_positions_waiting,
    remind_responses_overdue,
    send_reminders,
)
from boards.services import briefs as brief_services
from boards.services import conduct as conduct_services
from groups.models import Vote
from icsvoice.models import OutboxMessage
from icsvoice.reminders import local_today as uk_today
from tests import factories as f
from tests.boards import briefs_fixtures
from tests.boards.briefs_fixtures import cancelled, held, in_days, meeting, table

other_rep = briefs_fixtures.other_rep
upcoming = briefs_fixtures.upcoming

pytestmark = pytest.mark.django_db

# The queries of one notify() call, however many it tells: who has it already, who can be
# reached (and takes a digest), the insert, and the new rows' ids for the sender. Each
# object also takes a savepoint and its release.
NOTIFY = 4
PER_OBJECT = 2 + NOTIFY


def told(kind: str, obj=None) -> set[tuple[int, str]]:
    """(recipient id, version) of the reminders of this kind queued (about `obj`)."""
    rows = OutboxMessage.objects.filter(kind=kind)
    if obj is not None:
        rows = rows.filter(object_type=obj._meta.label_lower, object_id=str(obj.pk))
    return set(rows.values_list("recipient_id", "version"))


def recipients(kind: str, obj=None) -> set[int]:
    return {r for r, _ in told(kind, obj)}


def day(days: int) -> dt.date:
    return uk_today() + dt.timedelta(days=days)


@pytest.fixture
def seated(cast, board_chair):
    """Everyone holding a seat on ICS A's board today."""
    return {cast.gp_rep.pk, cast.secretary.pk, cast.board_member.pk, board_chair.pk}


@pytest.fixture
def former_member(cast):
    former = f.UserFactory(full_name="Fay Former")
    f.BoardSeatFactory(board=cast.board, user=former, ends_on=day(-1))
    return former


def another(cast) -> Meeting:
    """A meeting of its own, three weeks ahead, so moving it moves no other brief's."""
    return meeting(cast.board, cast.secretary, 21, title="Another board meeting")


def move(meeting_: Meeting, days: int) -> Meeting:
    Meeting.objects.filter(pk=meeting_.pk).update(starts_at=in_days(days))
    meeting_.refresh_from_db()
    return meeting_


# --- Meetings in 7 days and 1 day -------------------------------------------------------------


def test_a_meeting_in_7_days_reminds_every_current_seat_holder(
    cast, seated, former_member, other_secretary
):
    soon = meeting(cast.board, cast.secretary, 7)

    assert remind_meetings() == len(seated)

    assert told(MEETING_SOON, soon) == {(pk, f"7d:{day(7).isoformat()}") for pk in seated}
    message = OutboxMessage.objects.filter(kind=MEETING_SOON).first()
    assert message.subject == (
        f"{cast.board.name} meets on {day(7):%A %-d %B %Y}: Board meeting in public"
    )
    assert f"is on {day(7):%A %-d %B %Y} at 10:00 at Civic Centre." in message.body
    assert message.url == f"/meetings/{soon.pk}/"
    assert not message.urgent
    assert former_member.pk not in recipients(MEETING_SOON)
    assert other_secretary.pk not in recipients(MEETING_SOON)
    assert cast.gp_lead.pk not in recipients(MEETING_SOON)  # in the group, not on the board


def test_a_meeting_tomorrow_gets_the_1_day_notice_and_it_is_urgent(cast, seated):
    tomorrow = meeting(cast.board, cast.secretary, 1)

    remind_meetings()

    assert told(MEETING_SOON, tomorrow) == {(pk, f"1d:{day(1).isoformat()}") for pk in seated}
    message = OutboxMessage.objects.filter(kind=MEETING_SOON).first()
    assert message.subject.startswith(f"{cast.board.name} meets tomorrow:")
    assert message.urgent


def test_cancelled_distant_and_past_meetings_remind_nobody(cast, seated):
    cancelled(cast.board, cast.secretary, 7)
    cancelled(cast.board, cast.secretary, 1)
    meeting(cast.board, cast.secretary, 8, title="Too far off")
    meeting(cast.board, cast.secretary, -1, title="Already held")

    assert remind_meetings() == 0
    assert told(MEETING_SOON) == set()


def test_a_meeting_of_another_ics_reminds_only_its_own_board(cast, seated, other_secretary):
    theirs = meeting(cast.other_board, other_secretary, 7)

    remind_meetings()

    assert recipients(MEETING_SOON, theirs) == {other_secretary.pk}
    assert recipients(MEETING_SOON) == {other_secretary.pk}


def test_each_notice_goes_once_and_a_moved_meeting_reminds_again(cast, seated):
    soon = meeting(cast.board, cast.secretary, 7)
    assert remind_meetings() == len(seated)
    assert remind_meetings() == 0

    move(soon, 6)  # a day earlier: a new day, so a new 7-day notice
    assert remind_meetings() == len(seated)
    move(soon, 1)
    assert remind_meetings() == len(seated)
    assert remind_meetings() == 0

    versions = {v for _, v in told(MEETING_SOON, soon)}
    assert versions == {
        f"7d:{day(7).isoformat()}",
        f"7d:{day(6).isoformat()}",
        f"1d:{day(1).isoformat()}",
    }


def test_a_meeting_set_up_at_short_notice_still_gets_a_first_notice(cast, seated):
    """A scan that missed the 7th day, or a meeting arranged 3 days ahead, still tells."""
    short = meeting(cast.board, cast.secretary, 3)

    remind_meetings()

    assert {v for _, v in told(MEETING_SOON, short)} == {f"7d:{day(3).isoformat()}"}
    message = OutboxMessage.objects.filter(kind=MEETING_SOON).first()
    assert f"meets on {day(3):%A %-d %B %Y}" in message.subject


@pytest.mark.parametrize("n", [1, 20])
def test_the_meetings_scan_finds_its_work_in_a_fixed_number_of_queries(
    cast, seated, n, django_assert_max_num_queries
):
    for i in range(n):
        meeting(cast.board, cast.secretary, 1 + i % 7, title=f"Meeting {i}")
    # Finding the work: the meetings, their boards' seats, what is queued already.
    with django_assert_max_num_queries(3 + PER_OBJECT * n):
        assert remind_meetings() == n * len(seated)
    with django_assert_max_num_queries(3):
        assert remind_meetings() == 0


# --- Agreed positions waiting for the GP representative ---------------------------------------


def agreed_days_ago(position, days: float) -> None:
    Vote.objects.filter(position=position, outcome=Vote.Outcome.AGREED).update(
        closed_at=timezone.now() - dt.timedelta(days=days)
    )


def test_an_agreed_position_waiting_over_7_days_reminds_the_representative(cast, agreed):
    agreed_days_ago(agreed, 8)

    assert remind_positions_waiting() == 1

    agreed_on = day(-8)
    assert told(POSITION_WAITING, agreed) == {
        (cast.gp_rep.pk, f"{cast.board.pk}:{agreed_on.isoformat()}")
    }
    message = OutboxMessage.objects.get(kind=POSITION_WAITING)
    assert message.subject == f"Agreed position waiting for you: “{agreed.title}”"
    assert f"{cast.group.name} agreed “{agreed.title}” on {agreed_on:%A %-d %B %Y}" in (
        message.body
    )
    assert message.url == f"/boards/{cast.board.pk}/positions/{agreed.pk}/route/"


def test_a_position_agreed_recently_or_already_routed_reminds_nobody(
    cast, agreed, make_agreed, upcoming
):
    recent = make_agreed("Community pharmacy referrals")
    agreed_days_ago(recent, 6)
    agreed_days_ago(agreed, 20)
    table(cast, agreed, upcoming)

    assert remind_positions_waiting() == 0
    assert told(POSITION_WAITING) == set()


def test_positions_remind_only_the_current_representative_of_their_own_ics(
    cast, agreed, make_agreed, other_rep
):
    their_chair = f.UserFactory(email="chair@b.example.nhs.uk", full_name="Dr Bo Chair")
    f.GroupMembershipFactory(group=cast.other_group, user=their_chair, role="chair")
    theirs = make_agreed("ICS B's own position", group=cast.other_group)
    agreed_days_ago(agreed, 10)
    agreed_days_ago(theirs, 10)
    BoardSeat.objects.filter(user=cast.gp_rep).update(ends_on=day(0))
    new_rep = f.UserFactory(full_name="Dr New Rep")
    f.BoardSeatFactory(board=cast.board, user=new_rep, role="gp_representative")

    remind_positions_waiting()

    assert recipients(POSITION_WAITING, agreed) == {new_rep.pk}
    assert recipients(POSITION_WAITING, theirs) == {other_rep.pk}


def test_a_position_waits_on_each_board_of_its_ics(cast, agreed):
    committee = f.BoardFactory(ics=cast.ics, name="Primary Care Committee", slug="pcc")
    f.BoardSeatFactory(board=committee, user=cast.gp_rep, role="gp_representative")
    agreed_days_ago(agreed, 9)

    assert remind_positions_waiting() == 2

    assert {v.split(":")[0] for _, v in told(POSITION_WAITING, agreed)} == {
        str(cast.board.pk),
        str(committee.pk),
    }


def test_a_waiting_position_reminds_once_per_agreement(cast, agreed):
    agreed_days_ago(agreed, 8)
    assert remind_positions_waiting() == 1
    assert remind_positions_waiting() == 0
    assert send_reminders()["remind_positions_waiting"] == 0

    agreed_days_ago(agreed, 12)  # a different day of agreement is a different reminder
    assert remind_positions_waiting() == 1


@pytest.mark.parametrize("n", [1, 20])
def test_the_positions_scan_finds_its_work_in_a_fixed_number_of_queries(
    cast, make_agreed, n, django_assert_max_num_queries
):
    for i in range(n):
        agreed_days_ago(make_agreed(f"Position {i}"), 8)
    with django_assert_max_num_queries(2 + PER_OBJECT * n):
        assert remind_positions_waiting() == n
    with django_assert_max_num_queries(2):
        assert remind_positions_waiting() == 0


# --- Accounts waiting for the GP representative -----------------------------------------------


def test_a_tabled_brief_whose_meeting_passed_over_7_days_ago_asks_for_the_account(
    cast, agreed, upcoming
):
    brief = held(table(cast, agreed, upcoming), days_ago=8)

    assert remind_accounts_waiting() == 1

    assert told(ACCOUNT_WAITING, brief) == {(cast.gp_rep.pk, day(-8).isoformat())}
    message = OutboxMessage.objects.get(kind=ACCOUNT_WAITING)
    assert message.subject == f"Record how “{agreed.title}” was used at {cast.board.name}"
    assert f"Board meeting in public on {day(-8):%A %-d %B %Y}" in message.body
    assert message.url == f"/briefs/{brief.pk}/account/"


def test_no_account_reminder_when_recent_recorded_cancelled_or_another_ics(
    cast, agreed, make_agreed, upcoming, other_rep
):
    recent = held(table(cast, agreed, upcoming), days_ago=3)
    accounted = held(table(cast, make_agreed("Accounted for"), another(cast)), days_ago=10)
    brief_services.brief_account_record(
        brief=accounted, account="I spoke to it; the board noted it.", actor=cast.gp_rep
    )
    called_off = held(table(cast, make_agreed("Called off"), another(cast)), days_ago=10)
    Meeting.objects.filter(pk=called_off.requested_meeting_id).update(
        state=Meeting.State.CANCELLED, cancel_reason="Not quorate", cancelled_at=timezone.now()
    )

    assert remind_accounts_waiting() == 0
    assert told(ACCOUNT_WAITING) == set()
    assert recent.pk


def test_an_account_reminder_goes_once_per_meeting_day(cast, agreed, upcoming):
    brief = held(table(cast, agreed, upcoming), days_ago=8)
    assert remind_accounts_waiting() == 1
    assert remind_accounts_waiting() == 0

    held(brief, days_ago=9)
    assert remind_accounts_waiting() == 1
    assert {v for _, v in told(ACCOUNT_WAITING, brief)} == {
        day(-8).isoformat(),
        day(-9).isoformat(),
    }


# --- Board responses overdue ------------------------------------------------------------------


def due(brief: Brief, days: int) -> Brief:
    Brief.objects.filter(pk=brief.pk).update(response_due_on=day(days))
    return Brief.objects.select_related("board", "position").get(pk=brief.pk)


def test_an_overdue_response_reminds_the_secretary_and_the_representative(
    cast, agreed, upcoming, board_chair, other_secretary
):
    brief = due(table(cast, agreed, upcoming), -1)

    assert remind_responses_overdue() == 2

    version = day(-1).isoformat()
    assert told(RESPONSE_OVERDUE, brief) == {
        (cast.secretary.pk, version),
        (cast.gp_rep.pk, version),
    }
    message = OutboxMessage.objects.filter(kind=RESPONSE_OVERDUE).first()
    assert message.subject == f"Board response overdue: “{agreed.title}”"
    assert f"was due by {day(-1):%A %-d %B %Y}" in message.body
    assert message.url == f"/briefs/{brief.pk}/"
    for person in (cast.board_member, board_chair, other_secretary, cast.gp_lead):
        assert person.pk not in recipients(RESPONSE_OVERDUE)


def test_no_overdue_reminder_before_the_date_or_after_a_final_response(
    cast, agreed, make_agreed, upcoming
):
    due(table(cast, agreed, upcoming), 0)  # due today: not overdue yet
    answered = due(table(cast, make_agreed("Answered"), upcoming), -2)
    brief_services.response_record(
        brief=answered, kind="noted", reasons="Noted with thanks.", actor=cast.secretary
    )
    routed = brief_services.brief_route(
        board=cast.board,
        position=make_agreed("Routed elsewhere"),
        route="medical_director",
        reason="An operational matter.",
        actor=cast.gp_rep,
    )
    Brief.objects.filter(pk=routed.pk).update(response_due_on=day(-5))

    assert remind_responses_overdue() == 0
    assert told(RESPONSE_OVERDUE) == set()


def test_another_ics_overdue_response_reminds_its_own_board_only(
    cast, make_agreed, other_rep, other_secretary
):
    their_chair = f.UserFactory(email="chair@b.example.nhs.uk", full_name="Dr Bo Chair")
    f.GroupMembershipFactory(group=cast.other_group, user=their_chair, role="chair")
    theirs = make_agreed("ICS B's own position", group=cast.other_group)
    their_meeting = meeting(cast.other_board, other_secretary)
    brief = brief_services.brief_table(
        board=cast.other_board, position=theirs, meeting=their_meeting, actor=other_rep
    )
    due(brief, -3)

    remind_responses_overdue()

    assert recipients(RESPONSE_OVERDUE) == {other_rep.pk, other_secretary.pk}


def test_an_overdue_response_reminds_once_per_due_date_and_a_deferral_reminds_again(
    cast, agreed, upcoming
):
    brief = due(table(cast, agreed, upcoming), -1)
    assert remind_responses_overdue() == 2
    assert remind_responses_overdue() == 0

    brief_services.response_record(
        brief=brief, kind="deferred", reasons="Needs costing.", due_on=day(0), actor=cast.secretary
    )
    assert remind_responses_overdue() == 0  # the new date is today: not overdue yet
    due(brief, -2)  # and now that date has passed too
    assert remind_responses_overdue() == 2
    assert {v for _, v in told(RESPONSE_OVERDUE, brief)} == {
        day(-1).isoformat(),
        day(-2).isoformat(),
    }


@pytest.mark.parametrize("n", [1, 20])
def test_the_responses_scan_finds_its_work_in_a_fixed_number_of_queries(
    cast, make_agreed, upcoming, n, django_assert_max_num_queries
):
    for i in range(n):
        due(table(cast, make_agreed(f"Position {i}"), upcoming), -1)
    # Finding the work: the briefs, their boards' seats, what is queued already.
    with django_assert_max_num_queries(3 + PER_OBJECT * n):
        assert remind_responses_overdue() == 2 * n
    with django_assert_max_num_queries(3):
        assert remind_responses_overdue() == 0


# --- Actions due -----------------------------------------------------------------------------


@pytest.fixture
def held_meeting(cast):
    return meeting(cast.board, cast.secretary, -14)


def action(cast, held_meeting, due_on: dt.date, owner=None, what="Cost the hub model") -> Action:
    return conduct_services.action_add(
        meeting=held_meeting,
        description=what,
        owner=owner or cast.board_member,
        due_on=due_on,
        actor=cast.secretary,
    )


def test_an_action_due_today_reminds_its_owner_only(cast, held_meeting):
    today_s = action(cast, held_meeting, day(0))

    assert remind_actions_due() == 1

    assert told(ACTION_DUE, today_s) == {(cast.board_member.pk, day(0).isoformat())}
    message = OutboxMessage.objects.get(kind=ACTION_DUE)
    assert message.subject == f"Action is due today: {cast.board.name}"
    assert "Cost the hub model" in message.body
    assert message.url == f"/boards/{cast.board.pk}/actions/"


def test_an_overdue_action_says_when_it_was_due(cast, held_meeting):
    late = action(cast, held_meeting, day(-3), owner=cast.gp_rep)

    remind_actions_due()

    assert recipients(ACTION_DUE, late) == {cast.gp_rep.pk}
    message = OutboxMessage.objects.get(kind=ACTION_DUE)
    assert message.subject == f"Action was due on {day(-3):%A %-d %B %Y}: {cast.board.name}"


def test_actions_not_due_yet_or_done_remind_nobody(cast, held_meeting):
    action(cast, held_meeting, day(1), what="Tomorrow's")
    done = action(cast, held_meeting, day(-1), what="Done already")
    conduct_services.action_done(action=done, note="Sent to the board.", actor=cast.secretary)

    assert remind_actions_due() == 0
    assert told(ACTION_DUE) == set()


def test_an_action_reminds_once_per_due_date(cast, held_meeting, other_secretary):
    mine = action(cast, held_meeting, day(0))
    their_meeting = meeting(cast.other_board, other_secretary, -3)
    theirs = conduct_services.action_add(
        meeting=their_meeting,
        description="Their action",
        owner=other_secretary,
        due_on=day(0),
        actor=other_secretary,
    )
    assert remind_actions_due() == 2
    assert recipients(ACTION_DUE, theirs) == {other_secretary.pk}
    assert remind_actions_due() == 0

    Action.objects.filter(pk=mine.pk).update(due_on=day(-1))  # its date was corrected
    assert remind_actions_due() == 1
    assert {v for _, v in told(ACTION_DUE, mine)} == {day(0).isoformat(), day(-1).isoformat()}


@pytest.mark.parametrize("n", [1, 20])
def test_the_actions_scan_finds_its_work_in_a_fixed_number_of_queries(
    cast, held_meeting, n, django_assert_max_num_queries
):
    for i in range(n):
        action(cast, held_meeting, day(-(i % 5)), what=f"Action {i}")
    with django_assert_max_num_queries(2 + PER_OBJECT * n):
        assert remind_actions_due() == n
    with django_assert_max_num_queries(2):
        assert remind_actions_due() == 0


# --- The task ---------------------------------------------------------------------------------


def test_the_task_runs_every_family(cast, agreed, make_agreed, upcoming, held_meeting, seated):
    meeting(cast.board, cast.secretary, 7)
    agreed_days_ago(make_agreed("Waiting"), 8)
    brief = held(table(cast, agreed, upcoming), days_ago=8)
    due(brief, -1)
    action(cast, held_meeting, day(0))

    send_reminders.apply()

    assert recipients(MEETING_SOON) == seated
    assert recipients(POSITION_WAITING) == {cast.gp_rep.pk}
    assert recipients(ACCOUNT_WAITING, brief) == {cast.gp_rep.pk}
    assert recipients(RESPONSE_OVERDUE, brief) == {cast.gp_rep.pk, cast.secretary.pk}
    assert recipients(ACTION_DUE) == {cast.board_member.pk}


def test_a_family_that_fails_does_not_stop_the_others(cast, held_meeting, monkeypatch, caplog):
    action(cast, held_meeting, day(0))

    def remind_broken() -> int:
        raise RuntimeError("the scan broke")

    monkeypatch.setattr(reminders, "FAMILIES", (remind_broken, remind_actions_due))

    assert send_reminders() == {"remind_actions_due": 1}
    assert recipients(ACTION_DUE) == {cast.board_member.pk}
    assert "Reminder scan remind_broken failed" in caplog.text
