"""The board side's home page cards."""

from __future__ import annotations

from boards.selectors.briefs import briefs_waiting_card, responses_overdue_card
from boards.selectors.meetings import agendas_to_publish_card
from icsvoice.registry import HomeCard, register_home_card


def register() -> None:
    register_home_card(
        HomeCard(
            key="briefs_waiting",
            title="Briefs waiting for you",
            for_roles=frozenset({"board_gp_representative"}),
            items=briefs_waiting_card,
            order=30,
            empty="No briefs are waiting. Positions your leadership group agrees arrive here.",
        )
    )
    register_home_card(
        HomeCard(
            key="agendas_to_publish",
            title="Agendas to publish",
            for_roles=frozenset({"board_secretary"}),
            items=agendas_to_publish_card,
            order=40,
            empty="No agendas are waiting to be published.",
        )
    )
    register_home_card(
        HomeCard(
            key="responses_overdue",
            title="Board responses overdue",
            for_roles=frozenset({"board_secretary", "board_gp_representative", "ics_reviewer"}),
            items=responses_overdue_card,
            order=50,
            empty="No board responses to primary care positions are overdue.",
        )
    )
