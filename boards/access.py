"""The only way a view gets a board object for a person: other ICS 404, wrong role 403."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404

from boards.models import Board, BoardSeat
from icsvoice.models import User
from icsvoice.registry import has_role, ics_ids_for


def _board_in_users_ics(user: User, board_id: int) -> Board:
    board = Board.objects.select_related("ics").filter(pk=board_id).first()
    if board is None:
        raise Http404("No such board.")
    if board.ics_id not in ics_ids_for(user):
        raise Http404("No such board.")
    return board


def _seat_roles(user: User, board: Board) -> set[str]:
    return set(
        BoardSeat.objects.current().filter(user=user, board=board).values_list("role", flat=True)
    )


def board_for_reader(*, user: User, board_id: int) -> Board:
    """Anyone with a seat on the board, and the ICS's staff reviewers."""
    board = _board_in_users_ics(user, board_id)
    if _seat_roles(user, board):
        return board
    if has_role(user, "ics_reviewer", ics_id=board.ics_id):
        return board
    raise PermissionDenied("Only members of this board and ICS staff reviewers can see this.")


def board_for_secretary(*, user: User, board_id: int) -> Board:
    board = _board_in_users_ics(user, board_id)
    if BoardSeat.Role.SECRETARY not in _seat_roles(user, board):
        raise PermissionDenied("Only this board's secretary can do this.")
    return board


def board_for_gp_representative(*, user: User, board_id: int) -> Board:
    board = _board_in_users_ics(user, board_id)
    if BoardSeat.Role.GP_REPRESENTATIVE not in _seat_roles(user, board):
        raise PermissionDenied("Only this board's GP representative can do this.")
    return board
