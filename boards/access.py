"""The only way a view gets a board object for a person: another ICS's object is a 404 (its
existence is not confirmed), a role that may not do the thing is a 403.

Readers of a board's business are its current seat holders and the ICS's staff reviewers.
The public pages use `public.py`'s own queries instead, which never reach private data.
"""

from __future__ import annotations

from typing import TypeVar

from django.core.exceptions import PermissionDenied
from django.db.models import Model
from django.http import Http404

from boards.models import (
    Action,
    AgendaItem,
    AgendaVersion,
    Appointment,
    Board,
    BoardSeat,
    Brief,
    Meeting,
    Nomination,
    Paper,
)
from boards.services.common import ONLY, SEAT_MANAGERS_ONLY, may_manage_seats, seat_roles
from groups.models import Position
from icsvoice.models import User
from icsvoice.registry import has_role, ics_ids_for, is_site_admin

READERS = "Only members of this board and ICS staff reviewers can see this."
M = TypeVar("M", bound=Model)


def _in_users_ics(user: User, board: Board | None, what: str) -> Board:
    if board is None or board.ics_id not in ics_ids_for(user):
        raise Http404(f"No such {what}.")
    return board


def _board(user: User, board_id: int) -> Board:
    board = Board.objects.select_related("ics").filter(pk=board_id).first()
    return _in_users_ics(user, board, "board")


def _may_read(user: User, board: Board) -> bool:
    return bool(seat_roles(user, board)) or has_role(user, "ics_reviewer", ics_id=board.ics_id)


def _require(user: User, board: Board, role: str) -> None:
    """The services' seat rule (boards.services.common.ONLY), as a 403."""
    if role not in seat_roles(user, board):
        raise PermissionDenied(ONLY[role])


def _require_reader(user: User, board: Board) -> None:
    if not _may_read(user, board):
        raise PermissionDenied(READERS)


# --- Boards ----------------------------------------------------------------------------------


def board_for_reader(*, user: User, board_id: int) -> Board:
    """Anyone with a seat on the board, and the ICS's staff reviewers."""
    board = _board(user, board_id)
    _require_reader(user, board)
    return board


def board_for_secretary(*, user: User, board_id: int) -> Board:
    board = _board(user, board_id)
    _require(user, board, BoardSeat.Role.SECRETARY)
    return board


def board_for_gp_representative(*, user: User, board_id: int) -> Board:
    board = _board(user, board_id)
    _require(user, board, BoardSeat.Role.GP_REPRESENTATIVE)
    return board


def is_secretary(user: User, board: Board) -> bool:
    return BoardSeat.Role.SECRETARY in seat_roles(user, board)


def is_chair(user: User, board: Board) -> bool:
    return BoardSeat.Role.CHAIR in seat_roles(user, board)


# --- Things on a board -----------------------------------------------------------------------


def _on_board(user: User, model: type[M], pk: int, what: str, *related: str) -> M:
    obj = model._default_manager.select_related("board__ics", *related).filter(pk=pk).first()
    if obj is None:
        raise Http404(f"No such {what}.")
    _in_users_ics(user, obj.board, what)  # type: ignore[attr-defined]
    return obj


def _meeting_thing(user: User, model: type[M], pk: int, what: str) -> M:
    obj = model._default_manager.select_related("meeting__board__ics").filter(pk=pk).first()
    if obj is None:
        raise Http404(f"No such {what}.")
    _in_users_ics(user, obj.meeting.board, what)  # type: ignore[attr-defined]
    return obj


def meeting_for_reader(*, user: User, meeting_id: int) -> Meeting:
    meeting = _on_board(user, Meeting, meeting_id, "meeting")
    _require_reader(user, meeting.board)
    return meeting


def meeting_for_secretary(*, user: User, meeting_id: int) -> Meeting:
    meeting = _on_board(user, Meeting, meeting_id, "meeting")
    _require(user, meeting.board, BoardSeat.Role.SECRETARY)
    return meeting


def paper_for_reader(*, user: User, paper_id: int) -> Paper:
    """A paper, for the board's readers. A draft agenda is the secretary's alone until it is
    published, so a paper whose item is on no published (or superseded) version is a 404
    for every other reader, as the draft itself is."""
    paper = _meeting_thing(user, Paper, paper_id, "paper")
    board = paper.meeting.board
    roles = seat_roles(user, board)
    if not roles and not has_role(user, "ics_reviewer", ics_id=board.ics_id):
        raise PermissionDenied(READERS)
    if BoardSeat.Role.SECRETARY not in roles:
        published = AgendaItem.objects.filter(
            version__meeting_id=paper.meeting_id,
            version__state__in=(AgendaVersion.State.PUBLISHED, AgendaVersion.State.SUPERSEDED),
            key=paper.item_key,
        )
        if not published.exists():
            raise Http404("No such paper.")
    return paper


def action_for_secretary(*, user: User, action_id: int) -> Action:
    action = _meeting_thing(user, Action, action_id, "action")
    _require(user, action.meeting.board, BoardSeat.Role.SECRETARY)
    return action


def brief_for_reader(*, user: User, brief_id: int) -> Brief:
    brief = _on_board(user, Brief, brief_id, "brief", "position__group", "version")
    _require_reader(user, brief.board)
    return brief


def brief_for_gp_representative(*, user: User, brief_id: int) -> Brief:
    brief = _on_board(user, Brief, brief_id, "brief", "position__group", "version")
    _require(user, brief.board, BoardSeat.Role.GP_REPRESENTATIVE)
    return brief


def brief_for_secretary(*, user: User, brief_id: int) -> Brief:
    brief = _on_board(user, Brief, brief_id, "brief", "position__group", "version")
    _require(user, brief.board, BoardSeat.Role.SECRETARY)
    return brief


def agreed_position_for_gp_representative(
    *, user: User, board: Board, position_id: int
) -> Position:
    """An agreed position of the board's own ICS, for its representative to route. Another
    ICS's position, or one not agreed, is not there to be tabled: 404."""
    _require(user, board, BoardSeat.Role.GP_REPRESENTATIVE)
    position = (
        Position.objects.select_related("group", "current_version")
        .filter(pk=position_id, group__ics_id=board.ics_id, state=Position.State.AGREED)
        .first()
    )
    if position is None:
        raise Http404("No such agreed position.")
    return position


def nomination_for_chair(*, user: User, nomination_id: int) -> Nomination:
    nomination = (
        Nomination.objects.select_related("appointment__board__ics", "nominee", "practice")
        .filter(pk=nomination_id)
        .first()
    )
    if nomination is None:
        raise Http404("No such nomination.")
    _in_users_ics(user, nomination.appointment.board, "nomination")
    _require(user, nomination.appointment.board, BoardSeat.Role.CHAIR)
    return nomination


def _manager_may(user: User, board: Board) -> None:
    if not is_site_admin(user):
        _in_users_ics(user, board, "board")
    if not may_manage_seats(user, board):
        raise PermissionDenied(SEAT_MANAGERS_ONLY)


def board_for_seat_reader(*, user: User, board_id: int) -> Board:
    """The board's readers, and site administrators (who run every ICS's installation)."""
    board = Board.objects.select_related("ics").filter(pk=board_id).first()
    if board is not None and is_site_admin(user):
        return board
    board = _in_users_ics(user, board, "board")
    _require_reader(user, board)
    return board


def board_for_seat_manager(*, user: User, board_id: int) -> Board:
    board = Board.objects.select_related("ics").filter(pk=board_id).first()
    if board is None:
        raise Http404("No such board.")
    _manager_may(user, board)
    return board


def seat_for_manager(*, user: User, seat_id: int) -> BoardSeat:
    seat = BoardSeat.objects.select_related("board__ics", "user").filter(pk=seat_id).first()
    if seat is None:
        raise Http404("No such seat.")
    _manager_may(user, seat.board)
    return seat


def appointment_for_seat_reader(*, user: User, appointment_id: int) -> Appointment:
    appointment = Appointment.objects.select_related("board__ics").filter(pk=appointment_id).first()
    if appointment is None:
        raise Http404("No such appointment.")
    if not is_site_admin(user):
        _in_users_ics(user, appointment.board, "appointment")
        _require_reader(user, appointment.board)
    return appointment


def appointment_for_manager(*, user: User, appointment_id: int) -> Appointment:
    appointment = Appointment.objects.select_related("board__ics").filter(pk=appointment_id).first()
    if appointment is None:
        raise Http404("No such appointment.")
    _manager_may(user, appointment.board)
    return appointment
