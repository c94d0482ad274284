"""The board side's data; one module per part, all importable from here."""

from boards.models.appointments import Appointment, Nomination
from boards.models.briefs import BoardResponse, Brief
from boards.models.conduct import (
    Action,
    Attendance,
    Decision,
    MeetingDeclaration,
    Minutes,
)
from boards.models.core import Board, BoardSeat
from boards.models.meetings import (
    AgendaItem,
    AgendaVersion,
    Meeting,
    Paper,
    Part,
    Purpose,
)
from boards.models.packs import MeetingPack

__all__ = [
    "Action",
    "AgendaItem",
    "AgendaVersion",
    "Appointment",
    "Attendance",
    "Board",
    "BoardResponse",
    "BoardSeat",
    "Brief",
    "Decision",
    "Meeting",
    "MeetingDeclaration",
    "MeetingPack",
    "Minutes",
    "Nomination",
    "Paper",
    "Part",
    "Purpose",
]
