"""Board seats, and appointing the GP representative as ICB constitutions describe it: the
eligible primary medical services providers (the ICS's GP practices) each nominate, the
nominations are listed, and the board's chair approves one."""

from __future__ import annotations

import datetime as dt

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from boards.models import Appointment, Board, BoardSeat, Nomination
from boards.services.common import (
    SEAT_MANAGERS_ONLY,
    BoardError,
    may_manage_seats,
    require_chair,
)
from groups.models import Practice, today
from icsvoice import audit
from icsvoice.audit import SYSTEM_ROLE
from icsvoice.models import User
from icsvoice.notifications import notify
from icsvoice.registry import is_site_admin
from icsvoice.text import check_plain


class SeatError(BoardError):
    pass


def _manager_role(actor: User | None, board: Board) -> str:
    """Who may change seats: the board's secretary and site administrators (and the system,
    for imports and the demo, with no actor)."""
    if actor is None:
        return SYSTEM_ROLE
    if not may_manage_seats(actor, board):
        raise SeatError(SEAT_MANAGERS_ONLY)
    return "site_admin" if is_site_admin(actor) else "board_secretary"


def _lock(board: Board) -> Board:
    return Board.objects.select_for_update().get(pk=board.pk)


def _representative_overlaps(board: Board, starts_on: dt.date) -> bool:
    return (
        board.seats.filter(role=BoardSeat.Role.GP_REPRESENTATIVE)
        .filter(Q(ends_on__isnull=True) | Q(ends_on__gt=starts_on))
        .exists()
    )


def _create_seat(board: Board, user: User, role: str, starts_on: dt.date, title: str) -> BoardSeat:
    if role == BoardSeat.Role.GP_REPRESENTATIVE and _representative_overlaps(board, starts_on):
        raise SeatError(
            f"{board} already has a GP representative. End their seat before seating another."
        )
    try:
        with transaction.atomic():
            return BoardSeat.objects.create(
                board=board, user=user, role=role, starts_on=starts_on, title=title
            )
    except IntegrityError:
        # Only a race past the check above gets here. For a GP representative seat, either
        # constraint that can fire means the board already has one.
        if role == BoardSeat.Role.GP_REPRESENTATIVE:
            raise SeatError(f"{board} already has a GP representative.") from None
        raise SeatError(f"{user.get_full_name()} already holds that seat on {board}.") from None


@transaction.atomic
def seat_add(
    *,
    board: Board,
    user: User,
    role: str,
    starts_on: dt.date | None = None,
    title: str = "",
    actor: User | None,
) -> BoardSeat:
    """Seats a person. The database refuses a second open GP representative seat; dated
    seats are checked here for overlap, with the board row locked against a race."""
    actor_role = _manager_role(actor, board)
    if role not in BoardSeat.Role.values:
        raise SeatError("Choose a seat: chair, board member, GP representative or secretary.")
    title = title.strip()
    check_plain({"The title": title})
    starts_on = starts_on or today()
    board = _lock(board)
    seat = _create_seat(board, user, role, starts_on, title)
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
) -> BoardSeat:
    """Ends a seat on a day: the day the role stops."""
    actor_role = _manager_role(actor, seat.board)
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


# --- Appointing the GP representative ---------------------------------------------------------


@transaction.atomic
def appointment_open(
    *, board: Board, nominations_close_on: dt.date, starts_on: dt.date, actor: User
) -> Appointment:
    """Opens a round of nominations for the board's GP representative."""
    actor_role = _manager_role(actor, board)
    if nominations_close_on < today():
        raise SeatError("The closing date for nominations must be today or later.")
    if starts_on <= nominations_close_on:
        raise SeatError("The new representative must start after nominations close.")
    board = _lock(board)
    if board.appointments.filter(state=Appointment.State.OPEN).exists():
        raise SeatError("This board is already taking nominations for its GP representative.")
    appointment = Appointment.objects.create(
        board=board,
        nominations_close_on=nominations_close_on,
        starts_on=starts_on,
        opened_by=actor,
    )
    audit.record(
        event="board.appointment_opened",
        actor=actor,
        role=actor_role,
        obj=appointment,
        ics_id=board.ics_id,
        payload={
            "board": board.pk,
            "nominations_close_on": nominations_close_on,
            "starts_on": starts_on,
        },
    )
    return appointment


def _locked_open(appointment: Appointment) -> Appointment:
    appointment = Appointment.objects.select_for_update().get(pk=appointment.pk)
    if appointment.state != Appointment.State.OPEN:
        raise SeatError(f"This appointment is {appointment.get_state_display().lower()}.")
    return appointment


@transaction.atomic
def nomination_add(
    *,
    appointment: Appointment,
    practice: Practice,
    nominee: User,
    statement: str = "",
    actor: User,
) -> Nomination:
    """Records a practice's nomination, as the practice sent it to the secretary. Each of
    the ICS's active GP practices may nominate once per round, until nominations close."""
    board = appointment.board
    actor_role = _manager_role(actor, board)
    appointment = _locked_open(appointment)
    if today() > appointment.nominations_close_on:
        raise SeatError("Nominations for this appointment have closed.")
    if practice.ics_id != board.ics_id or practice.status != Practice.Status.ACTIVE:
        raise SeatError(
            f"{practice.name} ({practice.code}) is not an active GP practice in "
            f"{board.ics.name}, so it cannot nominate."
        )
    statement = statement.strip()
    check_plain({"The statement": statement})
    if appointment.nominations.filter(practice=practice).exists():
        raise SeatError(f"{practice.name} has already made its nomination for this round.")
    try:
        with transaction.atomic():
            nomination = Nomination.objects.create(
                appointment=appointment,
                practice=practice,
                nominee=nominee,
                statement=statement,
                recorded_by=actor,
            )
    except IntegrityError:
        raise SeatError(
            f"{practice.name} has already made its nomination for this round."
        ) from None
    audit.record(
        event="board.nomination_recorded",
        actor=actor,
        role=actor_role,
        obj=nomination,
        ics_id=board.ics_id,
        payload={
            "appointment": appointment.pk,
            "practice": practice.code,
            "nominee": nominee.pk,
        },
    )
    return nomination


@transaction.atomic
def appointment_approve(*, nomination: Nomination, actor: User) -> Appointment:
    """The board's chair approves one nomination once nominations have closed. The sitting
    representative's seat ends the day the new one starts; the history keeps both."""
    appointment = nomination.appointment
    board = appointment.board
    actor_role = require_chair(actor, board)
    board = _lock(board)
    appointment = _locked_open(appointment)
    if today() <= appointment.nominations_close_on:
        raise SeatError(
            "Nominations are still open: approve one after they close on "
            f"{appointment.nominations_close_on:%-d %B %Y}."
        )
    starts_on = max(appointment.starts_on, today())
    sitting = board.seats.filter(role=BoardSeat.Role.GP_REPRESENTATIVE).filter(
        Q(ends_on__isnull=True) | Q(ends_on__gt=starts_on)
    )
    ended = []
    for seat in sitting:
        if seat.starts_on > starts_on:
            raise SeatError(
                f"{seat.user.get_full_name()} is due to take the seat on "
                f"{seat.starts_on:%-d %B %Y}, after this appointment would start."
            )
        BoardSeat.objects.filter(pk=seat.pk).update(ends_on=starts_on)
        ended.append(seat)
    seat = _create_seat(
        board,
        nomination.nominee,
        BoardSeat.Role.GP_REPRESENTATIVE,
        starts_on,
        "Primary medical services partner member",
    )
    moved = Appointment.objects.filter(pk=appointment.pk, state=Appointment.State.OPEN).update(
        state=Appointment.State.APPROVED,
        approved=nomination,
        approved_by=actor,
        decided_at=timezone.now(),
        seat=seat,
    )
    if moved != 1:  # pragma: no cover - the row lock above makes this unreachable
        raise SeatError("This appointment has already been decided.")
    appointment.refresh_from_db()
    for old in ended:
        audit.record(
            event="board.seat_ended",
            actor=actor,
            role=actor_role,
            obj=old,
            ics_id=board.ics_id,
            payload={
                "board": board.pk,
                "user": old.user_id,
                "role": old.role,
                "ends_on": starts_on,
            },
        )
    audit.record(
        event="board.representative_appointed",
        actor=actor,
        role=actor_role,
        obj=appointment,
        ics_id=board.ics_id,
        payload={
            "board": board.pk,
            "nomination": nomination.pk,
            "nominee": nomination.nominee_id,
            "practice": nomination.practice.code,
            "seat": seat.pk,
            "starts_on": starts_on,
            "nominations": appointment.nominations.count(),
        },
    )
    recipients = {nomination.nominee_id, appointment.opened_by_id, *(s.user_id for s in ended)}
    notify(
        kind="board.representative_appointed",
        obj=appointment,
        recipients=recipients,
        subject=f"{nomination.nominee.get_full_name()} appointed GP representative on {board}",
        body=(
            f"The chair of {board} approved the nomination of "
            f"{nomination.nominee.get_full_name()} (nominated by {nomination.practice.name}) "
            f"as the board's GP representative from {starts_on:%-d %B %Y}."
        ),
    )
    return appointment


@transaction.atomic
def appointment_cancel(*, appointment: Appointment, reason: str, actor: User) -> Appointment:
    board = appointment.board
    actor_role = _manager_role(actor, board)
    reason = reason.strip()
    if not reason:
        raise SeatError("Enter why the appointment is cancelled.")
    check_plain({"The reason": reason})
    appointment = _locked_open(appointment)
    Appointment.objects.filter(pk=appointment.pk).update(
        state=Appointment.State.CANCELLED, cancel_reason=reason, decided_at=timezone.now()
    )
    appointment.refresh_from_db()
    audit.record(
        event="board.appointment_cancelled",
        actor=actor,
        role=actor_role,
        obj=appointment,
        ics_id=board.ics_id,
        payload={"board": board.pk, "reason": reason},
    )
    return appointment
