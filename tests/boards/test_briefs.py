"""Brief services: tabling and other routes, the representative's account, the board's
response and its due date. Each rule's refusal leaves nothing behind."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from boards.models import BoardResponse, BoardSeat, Brief
from boards.services import briefs as services
from boards.services.briefs import BriefError
from groups import services as group_services
from icsvoice.models import AuditEvent, OutboxMessage
from tests import factories as f
from tests.boards import briefs_fixtures
from tests.boards.briefs_fixtures import (
    board_events,
    cancelled,
    held,
    meeting,
    on_day,
    refused,
    table,
)

# Fixtures shared with the other briefs tests.
other_rep = briefs_fixtures.other_rep
tabled = briefs_fixtures.tabled
upcoming = briefs_fixtures.upcoming

pytestmark = pytest.mark.django_db


# --- Tabling --------------------------------------------------------------------------------


def test_the_representative_tables_an_agreed_position_and_the_secretary_is_asked(
    cast, agreed, upcoming
):
    later = meeting(cast.board, cast.secretary, 70)
    meeting(cast.board, cast.secretary, 120)
    brief = table(cast, agreed, upcoming)
    assert brief.route == Brief.Route.TABLED
    assert brief.requested_meeting == upcoming
    assert brief.version == agreed.current_version
    assert brief.routed_by == cast.gp_rep
    assert brief.response_due_on == on_day(70) == later.starts_at.date()
    assert board_events() == ["board.brief_tabled"]
    event = AuditEvent.objects.get(event="board.brief_tabled")
    assert event.role == "board_gp_representative" and event.ics_id == cast.ics.pk
    assert event.payload["meeting"] == upcoming.pk
    request = OutboxMessage.objects.get(kind="board.agenda_requested")
    assert request.recipient == cast.secretary
    assert agreed.title in request.subject


def test_with_no_later_meeting_the_response_is_due_56_days_after_the_meeting(
    cast, agreed, upcoming
):
    cancelled(cast.board, cast.secretary, 40)  # a cancelled meeting does not count
    meeting(cast.other_board, cast.secretary, 30)  # nor does another board's
    brief = table(cast, agreed, upcoming)
    assert brief.response_due_on == on_day(21 + 56)


def test_only_the_boards_representative_can_table(cast, agreed, upcoming):
    for person in (cast.secretary, cast.board_member, cast.reviewer, cast.gp_lead):
        with refused("Only this board's GP representative"):
            services.brief_table(board=cast.board, position=agreed, meeting=upcoming, actor=person)


def test_the_representative_of_another_ics_cannot_table_here(cast, agreed, upcoming, other_rep):
    with refused("Only this board's GP representative"):
        services.brief_table(board=cast.board, position=agreed, meeting=upcoming, actor=other_rep)
    theirs = meeting(cast.other_board, cast.secretary)
    with refused("own ICS"):
        services.brief_table(
            board=cast.other_board, position=agreed, meeting=theirs, actor=other_rep
        )


def test_a_position_not_agreed_cannot_be_tabled(cast, upcoming):
    draft = group_services.position_draft(
        group=cast.group, actor=cast.gp_lead, title="Draft", summary="S", ask="A"
    )
    with refused("Only a position its group has agreed"):
        table(cast, draft, upcoming)


@pytest.mark.parametrize(
    ("which", "match"),
    [
        ("none", "Choose the meeting to table it for"),
        ("other_board", "Choose a meeting of this board"),
        ("cancelled", "That meeting has been cancelled"),
        ("past", "Choose a meeting that has not happened yet"),
    ],
)
def test_the_meeting_must_be_an_upcoming_scheduled_meeting_of_the_board(cast, agreed, which, match):
    at = {
        "none": lambda: None,
        "other_board": lambda: meeting(cast.other_board, cast.secretary),
        "cancelled": lambda: cancelled(cast.board, cast.secretary, 10),
        "past": lambda: meeting(cast.board, cast.secretary, -1),
    }[which]()
    with refused(match):
        table(cast, agreed, at)


def test_a_second_brief_for_the_same_board_and_position_is_refused(cast, tabled, upcoming):
    with refused("You have already routed this position"):
        table(cast, tabled.position, upcoming)
    with refused("You have already routed this position"):
        services.brief_route(
            board=cast.board,
            position=tabled.position,
            route=Brief.Route.DEPUTY,
            reason="Away",
            actor=cast.gp_rep,
        )


def test_a_second_brief_that_raced_past_the_check_is_refused_by_the_database(
    cast, tabled, upcoming, monkeypatch
):
    monkeypatch.setattr(services, "_routable", lambda board, position: None)
    with refused("You have already routed this position"):
        table(cast, tabled.position, upcoming)


def test_another_board_of_the_same_ics_gets_its_own_brief(cast, tabled):
    second = f.BoardFactory(ics=cast.ics, name="ICS A Finance Committee")
    f.BoardSeatFactory(board=second, user=cast.gp_rep, role=BoardSeat.Role.GP_REPRESENTATIVE)
    brief = services.brief_route(
        board=second,
        position=tabled.position,
        route=Brief.Route.WRITTEN_SUBMISSION,
        reason="The committee takes papers in writing.",
        actor=cast.gp_rep,
    )
    assert Brief.objects.filter(position=tabled.position).count() == 2
    assert brief.board == second


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_requests_at_once_make_one_brief(cast, agreed, postgres_only):
    at = meeting(cast.board, cast.secretary)
    barrier = threading.Barrier(4)
    outcomes: list[str] = []

    def attempt(n: int) -> None:
        try:
            barrier.wait()
            if n % 2:
                table(cast, agreed, at)
            else:
                services.brief_route(
                    board=cast.board,
                    position=agreed,
                    route=Brief.Route.DEPUTY,
                    reason="Away",
                    actor=cast.gp_rep,
                )
            outcomes.append("made")
        except BriefError as error:
            outcomes.append(str(error))
        finally:
            connection.close()

    threads = [threading.Thread(target=attempt, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert outcomes.count("made") == 1
    assert all("already routed" in o for o in outcomes if o != "made")
    assert Brief.objects.filter(position=agreed).count() == 1
    assert AuditEvent.objects.filter(event__startswith="board.brief_").count() == 1


# --- Other routes ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "route",
    [
        Brief.Route.WRITTEN_SUBMISSION,
        Brief.Route.DEPUTY,
        Brief.Route.MEDICAL_DIRECTOR,
        Brief.Route.NOT_TAKEN_FORWARD,
    ],
)
def test_the_representative_records_another_route_with_a_reason(cast, agreed, route):
    brief = services.brief_route(
        board=cast.board,
        position=agreed,
        route=route,
        reason="  The board's agenda is full until autumn.  ",
        actor=cast.gp_rep,
    )
    assert brief.route == route and brief.requested_meeting is None
    assert brief.route_reason == "The board's agenda is full until autumn."
    assert brief.response_due_on is None
    assert board_events() == ["board.brief_routed"]
    event = AuditEvent.objects.get(event="board.brief_routed")
    assert event.payload["route"] == route and event.role == "board_gp_representative"


@pytest.mark.parametrize(
    ("route", "reason", "match"),
    [
        ("deputy", "   ", "Enter the reason for this route"),
        ("deputy", "<b>Away</b>", "The reason"),
        ("deputy", "x" * 3001, "3000 characters or fewer"),
        ("tabled", "Reason", "Choose how the position goes to the board"),
        ("carrier_pigeon", "Reason", "Choose how the position goes to the board"),
    ],
)
def test_another_route_needs_a_known_route_and_a_plain_reason(cast, agreed, route, reason, match):
    with refused(match):
        services.brief_route(
            board=cast.board, position=agreed, route=route, reason=reason, actor=cast.gp_rep
        )


def test_only_the_representative_records_another_route(cast, agreed):
    with refused("Only this board's GP representative"):
        services.brief_route(
            board=cast.board,
            position=agreed,
            route=Brief.Route.DEPUTY,
            reason="Away",
            actor=cast.secretary,
        )


# --- The representative's account -----------------------------------------------------------


def test_the_representative_records_and_revises_their_account(cast, tabled):
    brief = held(tabled)
    services.brief_account_record(
        brief=brief, account="I presented the case; the CFO asked for costings.", actor=cast.gp_rep
    )
    brief.refresh_from_db()
    assert brief.account.startswith("I presented") and brief.account_at is not None
    services.brief_account_record(
        brief=brief, account="I presented the case and supported a pilot.", actor=cast.gp_rep
    )
    brief.refresh_from_db()
    assert brief.account == "I presented the case and supported a pilot."
    accounts = AuditEvent.objects.filter(event="board.brief_account_recorded").order_by("id")
    assert [e.payload["revised"] for e in accounts] == [False, True]
    assert accounts[0].payload["account"].startswith("I presented the case; the CFO")


def test_an_account_of_another_route_can_be_given_at_once(cast, agreed):
    brief = services.brief_route(
        board=cast.board,
        position=agreed,
        route=Brief.Route.WRITTEN_SUBMISSION,
        reason="Written papers only this quarter.",
        actor=cast.gp_rep,
    )
    services.brief_account_record(brief=brief, account="Submitted on Monday.", actor=cast.gp_rep)
    assert Brief.objects.get(pk=brief.pk).account == "Submitted on Monday."


def test_an_account_waits_for_the_meeting(cast, tabled):
    with refused("once the meeting on"):
        services.brief_account_record(brief=tabled, account="Early", actor=cast.gp_rep)


@pytest.mark.parametrize(
    ("account", "match"),
    [
        ("  ", "Enter your account"),
        ("<script>x</script>", "Your account"),
        ("x" * 10001, "10000 characters or fewer"),
    ],
)
def test_an_account_must_be_plain_text(cast, tabled, account, match):
    brief = held(tabled)
    with refused(match):
        services.brief_account_record(brief=brief, account=account, actor=cast.gp_rep)


def test_an_unchanged_account_is_not_recorded_twice(cast, tabled):
    brief = held(tabled)
    services.brief_account_record(brief=brief, account="Said it.", actor=cast.gp_rep)
    with refused("unchanged"):
        services.brief_account_record(brief=brief, account="Said it.", actor=cast.gp_rep)


def test_only_the_representative_gives_the_account(cast, tabled):
    brief = held(tabled)
    for person in (cast.secretary, cast.board_member):
        with refused("Only this board's GP representative"):
            services.brief_account_record(brief=brief, account="Mine", actor=person)


# --- The board's response -------------------------------------------------------------------


def _respond(cast, brief, kind="adopted", reasons="Fits the system plan.", **extra):
    return services.response_record(
        brief=brief, kind=kind, reasons=reasons, actor=cast.secretary, **extra
    )


def test_the_secretary_records_a_response_and_the_rep_and_group_are_told(cast, tabled):
    brief = held(tabled)
    response = _respond(cast, brief, meeting=brief.requested_meeting)
    assert response.kind == "adopted" and response.meeting == brief.requested_meeting
    assert board_events()[-1] == "board.response_recorded"
    event = AuditEvent.objects.get(event="board.response_recorded")
    assert event.role == "board_secretary" and event.payload["kind"] == "adopted"
    told = set(
        OutboxMessage.objects.filter(kind="board.response_recorded").values_list(
            "recipient_id", flat=True
        )
    )
    assert told == {cast.gp_rep.pk, cast.gp_lead.pk, cast.chair.pk}
    assert cast.secretary.pk not in told


def test_a_final_response_closes_the_journey_and_a_second_is_refused(cast, tabled):
    _respond(cast, tabled, kind="noted")
    for kind in ("adopted", "deferred"):
        with refused("already recorded: Noted"):
            _respond(cast, tabled, kind=kind, due_on=on_day(30))


def test_a_second_final_response_that_raced_past_the_check_is_refused(cast, tabled, monkeypatch):
    _respond(cast, tabled, kind="declined")
    monkeypatch.setattr(services, "final_response", lambda brief: None)
    with refused("already recorded"):
        _respond(cast, tabled, kind="adopted")


def test_a_deferral_keeps_the_brief_open_with_a_new_due_date(cast, tabled):
    _respond(
        cast, tabled, kind="deferred", reasons="Wait for the estates review.", due_on=on_day(90)
    )
    tabled.refresh_from_db()
    assert tabled.response_due_on == on_day(90)
    _respond(cast, tabled, kind="deferred", reasons="Still waiting.", due_on=on_day(120))
    _respond(cast, tabled, kind="adopted_with_changes", reasons="One hub per two places.")
    assert list(tabled.responses.values_list("kind", flat=True)) == [
        "deferred",
        "deferred",
        "adopted_with_changes",
    ]
    payloads = [
        e.payload["response_due_on"]
        for e in AuditEvent.objects.filter(event="board.response_recorded").order_by("id")
    ]
    assert payloads == [on_day(90).isoformat(), on_day(120).isoformat(), None]


@pytest.mark.parametrize(
    ("extra", "match"),
    [
        ({"kind": "deferred"}, "Enter the date the board's response is now due by"),
        ({"kind": "deferred", "due_on": on_day(-1)}, "must be today or later"),
        ({"kind": "shelved"}, "Choose the board's response"),
        ({"reasons": " "}, "Enter the board's reasons"),
        ({"reasons": "<i>no</i>"}, "The reasons"),
    ],
)
def test_a_response_needs_a_kind_reasons_and_for_a_deferral_a_date(cast, tabled, extra, match):
    with refused(match):
        _respond(cast, tabled, **extra)


def test_the_response_meeting_must_be_a_past_meeting_of_the_same_board(cast, tabled):
    theirs = meeting(cast.other_board, cast.secretary, -3)
    with refused("Choose a meeting of this board"):
        _respond(cast, tabled, meeting=theirs)
    with refused("Choose a meeting that has taken place"):
        _respond(cast, tabled, meeting=tabled.requested_meeting)


def test_only_a_tabled_brief_gets_a_response(cast, agreed):
    brief = services.brief_route(
        board=cast.board,
        position=agreed,
        route=Brief.Route.MEDICAL_DIRECTOR,
        reason="Clinical matter.",
        actor=cast.gp_rep,
    )
    with refused("Only a position tabled for the board has a board response"):
        _respond(cast, brief)


def test_only_the_secretary_records_the_response(cast, tabled, board_chair):
    for person in (cast.gp_rep, cast.board_member, board_chair, cast.reviewer):
        with refused("Only this board's secretary"):
            services.response_record(brief=tabled, kind="adopted", reasons="Yes", actor=person)
    assert not BoardResponse.objects.exists()


# --- The due date ---------------------------------------------------------------------------


def test_the_secretary_moves_the_due_date_with_a_reason(cast, tabled):
    old = tabled.response_due_on
    services.response_due_change(
        brief=tabled, due_on=on_day(100), reason="The meeting moved.", actor=cast.secretary
    )
    tabled.refresh_from_db()
    assert tabled.response_due_on == on_day(100)
    event = AuditEvent.objects.get(event="board.response_due_changed")
    assert event.payload == {
        "board": cast.board.pk,
        "from": old.isoformat(),
        "to": on_day(100).isoformat(),
        "reason": "The meeting moved.",
    }


@pytest.mark.parametrize(
    ("due_on", "reason", "match"),
    [
        (None, "Moved", "Enter the date the board's response is due by"),
        (-1, "Moved", "must be today or later"),
        (100, "", "Enter the reason for changing the due date"),
        (100, "<b>x</b>", "The reason"),
    ],
)
def test_a_due_date_change_needs_a_date_and_a_reason(cast, tabled, due_on, reason, match):
    day = None if due_on is None else on_day(due_on)
    with refused(match):
        services.response_due_change(brief=tabled, due_on=day, reason=reason, actor=cast.secretary)


def test_the_due_date_cannot_change_to_itself_or_after_the_response(cast, tabled):
    with refused("already due by"):
        services.response_due_change(
            brief=tabled, due_on=tabled.response_due_on, reason="Same", actor=cast.secretary
        )
    _respond(cast, tabled)
    with refused("already recorded"):
        services.response_due_change(
            brief=tabled, due_on=on_day(200), reason="Later", actor=cast.secretary
        )


def test_only_the_secretary_changes_the_due_date(cast, tabled):
    with refused("Only this board's secretary"):
        services.response_due_change(
            brief=tabled, due_on=on_day(100), reason="Mine", actor=cast.gp_rep
        )
