"""What the register and the engagement log register with the kernel when the app starts: a
position's journey shows the engagement events that informed it."""

from __future__ import annotations

from typing import Any

from django.urls import reverse

from icsvoice.registry import JourneyStep, register_position_journey


def informed_by(position: Any) -> list[JourneyStep]:
    """The events that informed a position, oldest first: one query however many."""
    from engagement.models.log import EngagementEvent

    events = (
        EngagementEvent.objects.filter(positions=position.pk)
        .only("pk", "ics_id", "kind", "title", "happened_on", "people_count")
        .order_by("happened_on", "pk")
    )
    steps = []
    for event in events:
        people = event.people_count
        who = "1 person" if people == 1 else f"{people} people"
        steps.append(
            JourneyStep(
                label=f"Informed by: {event.title}, {event.happened_on:%-d %B %Y}",
                when=event.happened_on,
                text=f"{event.get_kind_display()}: {who} took part.",
                url=reverse("engagement:log-event", args=[event.ics_id, event.pk]),
            )
        )
    return steps


def register() -> None:
    register_position_journey(informed_by)
