"""What the board side's services share."""

from __future__ import annotations

from boards.models import Board, BoardSeat
from icsvoice.errors import DomainError
from icsvoice.models import User


class BoardError(DomainError):
    """A board-side change refused, with the reason in plain English."""


def seat_roles(user: User, board: Board) -> set[str]:
    return set(
        BoardSeat.objects.current().filter(user=user, board=board).values_list("role", flat=True)
    )


def require_seat(user: User, board: Board, role: str, message: str) -> str:
    """The audit role code ('board_secretary', ...) for a person holding `role` on the
    board; otherwise BoardError(message). Services check again what access.py checked, so
    a service called from a task or a shell is as strict as one called from a view."""
    if role not in seat_roles(user, board):
        raise BoardError(message)
    return f"board_{role}"


def require_secretary(user: User, board: Board) -> str:
    return require_seat(
        user, board, BoardSeat.Role.SECRETARY, "Only this board's secretary can do this."
    )


def require_gp_representative(user: User, board: Board) -> str:
    return require_seat(
        user,
        board,
        BoardSeat.Role.GP_REPRESENTATIVE,
        "Only this board's GP representative can do this.",
    )


def require_chair(user: User, board: Board) -> str:
    return require_seat(user, board, BoardSeat.Role.CHAIR, "Only this board's chair can do this.")
