import datetime as dt

import pytest
from django.db import IntegrityError, transaction

from boards.models import BoardSeat
from boards.services import SeatError, seat_add, seat_end
from icsvoice.models import AuditEvent
from tests.factories import BoardSeatFactory, UserFactory


def test_the_database_refuses_a_second_current_gp_representative(cast):
    with pytest.raises(IntegrityError), transaction.atomic():
        BoardSeat.objects.create(
            board=cast.board, user=UserFactory(), role=BoardSeat.Role.GP_REPRESENTATIVE
        )
    assert cast.board.seats.filter(role=BoardSeat.Role.GP_REPRESENTATIVE).count() == 1


def test_another_board_may_have_its_own_gp_representative(cast):
    BoardSeatFactory(board=cast.other_board, role=BoardSeat.Role.GP_REPRESENTATIVE)
    assert BoardSeat.objects.filter(role=BoardSeat.Role.GP_REPRESENTATIVE).count() == 2


def test_seating_a_second_representative_says_why_and_changes_nothing(cast):
    before = AuditEvent.objects.count()
    with pytest.raises(SeatError, match="already has a GP representative"):
        seat_add(
            board=cast.board, user=UserFactory(), role=BoardSeat.Role.GP_REPRESENTATIVE, actor=None
        )
    assert AuditEvent.objects.count() == before


def test_a_new_representative_after_the_last_one_ends(cast):
    current = cast.board.seats.get(role=BoardSeat.Role.GP_REPRESENTATIVE)
    seat_end(
        seat=current,
        ends_on=dt.date(2026, 3, 31),
        actor=cast.secretary,
    )
    newcomer = UserFactory(full_name="Dr New Rep")
    seat = seat_add(
        board=cast.board,
        user=newcomer,
        role=BoardSeat.Role.GP_REPRESENTATIVE,
        starts_on=dt.date(2026, 4, 1),
        actor=cast.secretary,
    )
    events = list(
        AuditEvent.objects.filter(event__startswith="board.seat_").values_list("event", "role")
    )
    assert events == [
        ("board.seat_ended", "board_secretary"),
        ("board.seat_added", "board_secretary"),
    ]
    assert seat.user == newcomer
    history = cast.board.seats.filter(role=BoardSeat.Role.GP_REPRESENTATIVE).order_by("starts_on")
    assert [s.user for s in history] == [cast.gp_rep, newcomer]


def test_a_representative_cannot_overlap_one_whose_end_is_dated(cast):
    current = cast.board.seats.get(role=BoardSeat.Role.GP_REPRESENTATIVE)
    seat_end(seat=current, ends_on=dt.date(2026, 3, 31), actor=None)
    with pytest.raises(SeatError, match="already has a GP representative"):
        seat_add(
            board=cast.board,
            user=UserFactory(),
            role=BoardSeat.Role.GP_REPRESENTATIVE,
            starts_on=dt.date(2026, 3, 1),
            actor=None,
        )


def test_a_seat_cannot_end_twice(cast):
    seat = cast.board.seats.get(role=BoardSeat.Role.SECRETARY)
    seat_end(seat=seat, actor=None)
    with pytest.raises(SeatError, match="already ended"):
        seat_end(seat=seat, actor=None)
