"""Where each board object's board (and a brief's leadership group) is, for the audit
trail's review."""

from __future__ import annotations

from boards.models import (
    Action,
    AgendaItem,
    AgendaVersion,
    Appointment,
    Attendance,
    Board,
    BoardResponse,
    BoardSeat,
    Brief,
    Decision,
    Meeting,
    MeetingDeclaration,
    MeetingPack,
    Minutes,
    Nomination,
    Paper,
)
from icsvoice.audit import register_scope


def register() -> None:
    register_scope(Board, board="pk")
    for model in (BoardSeat, Appointment, Meeting):
        register_scope(model, board="board_id")
    register_scope(Nomination, board="appointment__board_id")
    register_scope(Brief, group="position__group_id", board="board_id")
    register_scope(BoardResponse, group="brief__position__group_id", board="brief__board_id")
    for related in (
        AgendaVersion,
        Paper,
        Attendance,
        MeetingDeclaration,
        Minutes,
        Decision,
        Action,
        MeetingPack,
    ):
        register_scope(related, board="meeting__board_id")
    register_scope(AgendaItem, board="version__meeting__board_id")
