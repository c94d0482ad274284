"""Reads of the board side: meetings. (Filled in as the part lands.)"""

from __future__ import annotations

from icsvoice.models import User
from icsvoice.registry import CardItem


def agendas_to_publish_card(user: User) -> list[CardItem]:
    return []
