"""Board seats: seating and unseating people, and appointing the GP representative."""

from __future__ import annotations

import datetime as dt

from django.db import IntegrityError, transaction
from django.db.models import Q

from boards.models import Board, BoardSeat
from boards.services.common import BoardError
from groups.models import today
from icsvoice import audit
from icsvoice.models import User


class SeatError(BoardError):
    pass


@transaction.atomic
def seat_add(
    *,
    board: Board,
    user: User,
    role: str,
    starts_on: dt.date | None = None,
    title: str = "",
    actor: User | None,
    actor_role: str = "site_admin",
) -> BoardSeat:
    """Seats a person. The database refuses a second open GP representative seat; dated
    seats are checked here for overlap, with the board row locked against a race."""
    starts_on = starts_on or today()
    Board.objects.select_for_update().filter(pk=board.pk).first()
    if role == BoardSeat.Role.GP_REPRESENTATIVE:
        overlapping = board.seats.filter(role=role).filter(
            Q(ends_on__isnull=True) | Q(ends_on__gt=starts_on)
        )
        if overlapping.exists():
            raise SeatError(
                f"{board} already has a GP representative. End their seat before seating another."
            )
    try:
        with transaction.atomic():
            seat = BoardSeat.objects.create(
                board=board, user=user, role=role, starts_on=starts_on, title=title
            )
    except IntegrityError:
        # Only a race past the check above gets here. For a GP representative seat, either
        # constraint that can fire means the board already has one.
        if role == BoardSeat.Role.GP_REPRESENTATIVE:
            raise SeatError(f"{board} already has a GP representative.") from None
        raise SeatError(f"{user} already holds that seat on {board}.") from None
    audit.record(
        event="board.seat_added",
        actor=actor,
        role=actor_role,
        obj=seat,
        ics_id=board.ics_id,
        payload={"board": board.pk, "user": user.pk, "role": role, "starts_on": starts_on},
    )
    return seat


@transaction.atomic
def seat_end(
    *,
    seat: BoardSeat,
    ends_on: dt.date | None = None,
    actor: User | None,
    actor_role: str = "site_admin",
) -> BoardSeat:
    ends_on = ends_on or today()
    if ends_on < seat.starts_on:
        raise SeatError("A seat cannot end before it starts.")
    moved = BoardSeat.objects.filter(pk=seat.pk, ends_on__isnull=True).update(ends_on=ends_on)
    if moved != 1:
        raise SeatError("This seat has already ended.")
    seat.refresh_from_db()
    audit.record(
        event="board.seat_ended",
        actor=actor,
        role=actor_role,
        obj=seat,
        ics_id=seat.board.ics_id,
        payload={
            "board": seat.board_id,
            "user": seat.user_id,
            "role": seat.role,
            "ends_on": ends_on,
        },
    )
    return seat
