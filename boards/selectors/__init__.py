"""Reads of the board side that depend on who asks."""

from __future__ import annotations

from boards.models import BoardSeat
from icsvoice.models import User
from icsvoice.registry import RoleGrant


def role_grants(user: User) -> list[RoleGrant]:
    return [
        RoleGrant(
            ics_id=seat.board.ics_id,
            ics_name=seat.board.ics.name,
            code=f"board_{seat.role}",
            label=seat.get_role_display(),
            scope=seat.board.name,
        )
        for seat in BoardSeat.objects.current().filter(user=user).select_related("board__ics")
    ]
