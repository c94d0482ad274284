"""Reads of the board side: briefs. (Filled in as the part lands.)"""

from __future__ import annotations

from icsvoice.models import User
from icsvoice.registry import CardItem


def briefs_waiting_card(user: User) -> list[CardItem]:
    return []


def responses_overdue_card(user: User) -> list[CardItem]:
    return []
