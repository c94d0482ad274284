"""What the board side's services share."""

from __future__ import annotations

import datetime as dt

from boards.models import Board, BoardSeat
from icsvoice.errors import DomainError
from icsvoice.models import User
from icsvoice.registry import is_site_admin


class BoardError(DomainError):
    """A board-side change refused, with the reason in plain English."""


ONLY: dict[str, str] = {
    BoardSeat.Role.SECRETARY: "Only this board's secretary can do this.",
    BoardSeat.Role.GP_REPRESENTATIVE: "Only this board's GP representative can do this.",
    BoardSeat.Role.CHAIR: "Only this board's chair can do this.",
}
SEAT_MANAGERS_ONLY = "Only this board's secretary or a site administrator can change its seats."


def seat_roles(user: User, board: Board) -> set[str]:
    return set(
        BoardSeat.objects.current().filter(user=user, board=board).values_list("role", flat=True)
    )


def may_manage_seats(user: User, board: Board) -> bool:
    """Seats are changed by the board's secretary and by site administrators."""
    return is_site_admin(user) or BoardSeat.Role.SECRETARY in seat_roles(user, board)


def seat_holder_ids(board: Board, *roles: str, on: dt.date | None = None) -> set[int]:
    """Who holds a seat on the board today, or `on` a day (in any of `roles`, or any)."""
    seats = BoardSeat.objects.current(on).filter(board=board)
    if roles:
        seats = seats.filter(role__in=roles)
    return set(seats.values_list("user_id", flat=True))


def require_seat(user: User, board: Board, role: str) -> str:
    """The audit role code ('board_secretary', ...) for a person holding `role` on the
    board; otherwise BoardError. Services check again what access.py checked, so a service
    called from a task or a shell is as strict as one called from a view."""
    if role not in seat_roles(user, board):
        raise BoardError(ONLY[role])
    return f"board_{role}"


def require_secretary(user: User, board: Board) -> str:
    return require_seat(user, board, BoardSeat.Role.SECRETARY)


def require_gp_representative(user: User, board: Board) -> str:
    return require_seat(user, board, BoardSeat.Role.GP_REPRESENTATIVE)


def require_chair(user: User, board: Board) -> str:
    return require_seat(user, board, BoardSeat.Role.CHAIR)
