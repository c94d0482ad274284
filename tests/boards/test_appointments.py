"""Appointing the GP representative: practices nominate, the chair approves one, the
history keeps every representative."""

from __future__ import annotations

import datetime as dt

import pytest

from boards.models import Appointment, BoardSeat
from boards.services import seats as services
from groups.models import Practice, today
from icsvoice.models import AuditEvent, OutboxMessage
from tests import factories as f
from tests.boards.checks import board_fingerprint

TODAY = today()


def _time_passes(appointment, days: int = 15):
    """Moves the round's dates back, as if `days` had passed since it opened."""
    Appointment.objects.filter(pk=appointment.pk).update(
        nominations_close_on=appointment.nominations_close_on - dt.timedelta(days=days),
        starts_on=appointment.starts_on - dt.timedelta(days=days),
    )
    appointment.refresh_from_db()


@pytest.fixture
def practices(cast):
    return [
        f.PracticeFactory(ics=cast.ics, code=f"A8{n:04d}", name=f"Riverside Surgery {n}")
        for n in range(3)
    ]


@pytest.fixture
def appointment(cast):
    return services.appointment_open(
        board=cast.board,
        nominations_close_on=TODAY + dt.timedelta(days=14),
        starts_on=TODAY + dt.timedelta(days=30),
        actor=cast.secretary,
    )


def _nominate(appointment, practice, nominee, actor):
    return services.nomination_add(
        appointment=appointment,
        practice=practice,
        nominee=nominee,
        statement="A steady voice for small practices.",
        actor=actor,
    )


def test_practices_nominate_and_the_chair_approves_one(cast, board_chair, practices, appointment):
    candidates = [f.UserFactory(full_name=f"Dr Candidate {n}") for n in range(2)]
    _nominate(appointment, practices[0], candidates[0], cast.secretary)
    _nominate(appointment, practices[1], candidates[1], cast.secretary)
    _nominate(appointment, practices[2], candidates[1], cast.secretary)
    chosen = appointment.nominations.get(practice=practices[1])

    _time_passes(appointment)
    done = services.appointment_approve(nomination=chosen, actor=board_chair)

    assert done.state == Appointment.State.APPROVED
    assert done.approved == chosen and done.approved_by == board_chair
    reps = cast.board.seats.filter(role=BoardSeat.Role.GP_REPRESENTATIVE).order_by("starts_on")
    assert [(s.user, s.starts_on, s.ends_on) for s in reps] == [
        (cast.gp_rep, reps[0].starts_on, TODAY + dt.timedelta(days=15)),
        (candidates[1], TODAY + dt.timedelta(days=15), None),
    ]
    assert done.seat == reps[1]
    events = list(
        AuditEvent.objects.filter(event__startswith="board.")
        .order_by("id")
        .values_list("event", "role")
    )
    assert events == [
        ("board.appointment_opened", "board_secretary"),
        ("board.nomination_recorded", "board_secretary"),
        ("board.nomination_recorded", "board_secretary"),
        ("board.nomination_recorded", "board_secretary"),
        ("board.seat_ended", "board_chair"),
        ("board.representative_appointed", "board_chair"),
    ]
    told = set(
        OutboxMessage.objects.filter(kind="board.representative_appointed").values_list(
            "recipient", flat=True
        )
    )
    assert told == {candidates[1].pk, cast.secretary.pk, cast.gp_rep.pk}


def test_the_sitting_representative_can_be_reappointed(cast, board_chair, practices, appointment):
    nomination = _nominate(appointment, practices[0], cast.gp_rep, cast.secretary)
    _time_passes(appointment)
    services.appointment_approve(nomination=nomination, actor=board_chair)
    reps = cast.board.seats.filter(role=BoardSeat.Role.GP_REPRESENTATIVE).order_by("starts_on")
    assert [s.user for s in reps] == [cast.gp_rep, cast.gp_rep]
    assert reps[1].ends_on is None


@pytest.mark.parametrize(
    "who, message",
    [
        ("secretary", "Only this board's chair"),
        ("gp_rep", "Only this board's chair"),
        ("board_member", "Only this board's chair"),
    ],
)
def test_only_the_chair_approves(cast, board_chair, practices, appointment, who, message):
    nomination = _nominate(appointment, practices[0], f.UserFactory(), cast.secretary)
    _time_passes(appointment)
    before = board_fingerprint()
    with pytest.raises(services.BoardError, match=message):
        services.appointment_approve(nomination=nomination, actor=getattr(cast, who))
    assert board_fingerprint() == before


def test_approval_waits_for_nominations_to_close(cast, board_chair, practices, appointment):
    nomination = _nominate(appointment, practices[0], f.UserFactory(), cast.secretary)
    before = board_fingerprint()
    with pytest.raises(services.SeatError, match="Nominations are still open"):
        services.appointment_approve(nomination=nomination, actor=board_chair)
    assert board_fingerprint() == before


def test_a_decided_appointment_cannot_be_approved_again(cast, board_chair, practices, appointment):
    first = _nominate(appointment, practices[0], f.UserFactory(), cast.secretary)
    second = _nominate(appointment, practices[1], f.UserFactory(), cast.secretary)
    _time_passes(appointment)
    services.appointment_approve(nomination=first, actor=board_chair)
    before = board_fingerprint()
    with pytest.raises(services.SeatError, match="This appointment is approved"):
        services.appointment_approve(nomination=second, actor=board_chair)
    assert board_fingerprint() == before


def test_each_practice_nominates_once(cast, practices, appointment):
    _nominate(appointment, practices[0], f.UserFactory(), cast.secretary)
    before = board_fingerprint()
    with pytest.raises(services.SeatError, match="has already made its nomination"):
        _nominate(appointment, practices[0], f.UserFactory(), cast.secretary)
    assert board_fingerprint() == before


@pytest.mark.parametrize("kind", ["other_ics", "closed"])
def test_only_active_practices_of_the_ics_nominate(cast, appointment, kind):
    if kind == "other_ics":
        practice = f.PracticeFactory(ics=cast.other_ics, code="B80001", name="Elsewhere Surgery")
    else:
        practice = f.PracticeFactory(
            ics=cast.ics, code="A89999", name="Closed Surgery", status=Practice.Status.CLOSED
        )
    before = board_fingerprint()
    with pytest.raises(services.SeatError, match="is not an active GP practice in ICS A"):
        _nominate(appointment, practice, f.UserFactory(), cast.secretary)
    assert board_fingerprint() == before


def test_nominations_close_on_their_date(cast, practices, appointment):
    _time_passes(appointment)
    before = board_fingerprint()
    with pytest.raises(services.SeatError, match="Nominations for this appointment have closed"):
        _nominate(appointment, practices[0], f.UserFactory(), cast.secretary)
    assert board_fingerprint() == before


def test_only_managers_run_nominations(cast, practices, appointment):
    before = board_fingerprint()
    for who in (cast.gp_rep, cast.board_member, cast.outsider):
        with pytest.raises(services.SeatError, match="Only this board's secretary"):
            _nominate(appointment, practices[0], f.UserFactory(), who)
    assert board_fingerprint() == before


def test_one_round_at_a_time_and_dates_in_order(cast, appointment):
    before = board_fingerprint()
    with pytest.raises(services.SeatError, match="already taking nominations"):
        services.appointment_open(
            board=cast.board,
            nominations_close_on=TODAY,
            starts_on=TODAY + dt.timedelta(days=1),
            actor=cast.secretary,
        )
    with pytest.raises(services.SeatError, match="must start after nominations close"):
        services.appointment_open(
            board=cast.other_board,
            nominations_close_on=TODAY,
            starts_on=TODAY,
            actor=None,
        )
    assert board_fingerprint() == before


def test_a_cancelled_round_keeps_its_nominations_and_a_new_one_can_open(
    cast, practices, appointment
):
    _nominate(appointment, practices[0], f.UserFactory(), cast.secretary)
    services.appointment_cancel(
        appointment=appointment, reason="The timetable moved.", actor=cast.secretary
    )
    appointment.refresh_from_db()
    assert appointment.state == Appointment.State.CANCELLED
    assert appointment.nominations.count() == 1
    again = services.appointment_open(
        board=cast.board,
        nominations_close_on=TODAY + dt.timedelta(days=7),
        starts_on=TODAY + dt.timedelta(days=20),
        actor=cast.secretary,
    )
    assert again.state == Appointment.State.OPEN
    assert AuditEvent.objects.filter(event="board.appointment_cancelled").count() == 1


def test_seat_changes_need_the_secretary_or_a_site_admin(cast):
    admin = f.UserFactory(is_superuser=True, is_staff=True)
    seat = services.seat_add(
        board=cast.board, user=f.UserFactory(), role=BoardSeat.Role.MEMBER, actor=admin
    )
    assert AuditEvent.objects.filter(event="board.seat_added").latest("id").role == "site_admin"
    before = board_fingerprint()
    with pytest.raises(services.SeatError, match="Only this board's secretary"):
        services.seat_end(seat=seat, actor=cast.board_member)
    with pytest.raises(services.SeatError, match="Only this board's secretary"):
        services.seat_add(
            board=cast.board, user=f.UserFactory(), role=BoardSeat.Role.MEMBER, actor=cast.gp_rep
        )
    assert board_fingerprint() == before
