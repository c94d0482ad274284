"""The review side's home page card: is the audit trail intact?"""

from __future__ import annotations

from django.urls import reverse

from engagement.access import reviewed_ics_ids
from icsvoice.audit import verification_status
from icsvoice.models import AuditVerification, User
from icsvoice.registry import CardItem, HomeCard, register_home_card


def trail_card(user: User) -> list[CardItem]:
    """The latest finished check of the chain, loudly when it found the trail broken."""
    ics_ids = reviewed_ics_ids(user)
    if not ics_ids:
        return []
    url = reverse("engagement:audit", args=[ics_ids[0]]) + "#integrity"
    latest, pending = verification_status()
    if latest is None:
        detail = "A check is under way." if pending else "The trail is checked every night."
        return [CardItem("Not checked yet", url, detail)]
    if latest.state == AuditVerification.State.BROKEN:
        return [
            CardItem(
                "The audit trail is broken",
                url,
                f"{latest.problem}. Found on {latest.finished_at:%d %B %Y}.",
                urgent=True,
                urgent_label="Broken",
            )
        ]
    if latest.state == AuditVerification.State.INTACT and latest.finished_at:
        return [
            CardItem(
                "Intact",
                url,
                f"Every event up to event {latest.last_event_id} checked on "
                f"{latest.finished_at:%d %B %Y at %H:%M}.",
            )
        ]
    return [
        CardItem(
            "The last check did not finish",
            url,
            latest.problem,
            urgent=True,
            urgent_label="Not checked",
        )
    ]


def register() -> None:
    register_home_card(
        HomeCard(
            key="audit_trail",
            title="The audit trail",
            for_roles=frozenset({"ics_reviewer"}),
            items=trail_card,
            order=60,
            empty="",
        )
    )
