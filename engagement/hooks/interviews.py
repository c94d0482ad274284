"""What exit interviews register when the app starts: the link minter for the leaver's
email and the home page card for named readers. (Beat's erasure scan is in tasks.py.)"""

from __future__ import annotations

from django.urls import reverse
from django.utils import timezone

from icsvoice.models import User
from icsvoice.registry import CardItem, HomeCard, register_home_card, register_link_minter


def themes_waiting_card(user: User) -> list[CardItem]:
    from engagement.services.interviews import waiting_for_themes

    return [
        CardItem(
            f"An exit interview answered on {timezone.localtime(interview.answered_at):%-d %B %Y}",
            reverse("engagement:interview-detail", args=[interview.pk]),
            "Read the answers and tag the themes they raise.",
        )
        for interview in waiting_for_themes(user)
    ]


def register() -> None:
    from engagement.services.interviews import INVITATION_KIND, link_sent, mint_link

    register_link_minter(INVITATION_KIND, mint_link, delivered=link_sent)
    register_home_card(
        HomeCard(
            key="exit_interviews",
            title="Exit interviews to read",
            for_roles=frozenset({"ics_reviewer", "group_chair"}),
            items=themes_waiting_card,
            order=70,
            empty="No answered exit interviews are waiting for you to tag their themes.",
        )
    )
