"""Writes to the engagement log: recording an event and changing it, each in one transaction
with its audit event.

The positions an event informed are positions of the ICS's groups; a person links only
positions of groups they may read (their own groups), and changing an event keeps the links
to positions they cannot see, untouched."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone

from engagement.models.log import EngagementEvent, EventKind
from engagement.models.register import Organisation
from engagement.services.register import manager_role
from groups.models import ICS, GroupMembership, LeadershipGroup, Place, Position, today
from icsvoice import audit
from icsvoice.errors import DomainError
from icsvoice.models import User
from icsvoice.registry import has_role
from icsvoice.text import check_plain

MAX_PEOPLE = 100_000
YEARS = (2000, 2099)


class LogError(DomainError):
    pass


def readable_group_ids(user: User, ics: ICS) -> set[int]:
    """The ICS's groups whose positions a person may see: all of them for its staff
    reviewers, their own groups for members and chairs."""
    groups = LeadershipGroup.objects.filter(ics=ics)
    if not has_role(user, "ics_reviewer", ics_id=ics.pk):
        mine = GroupMembership.objects.current().filter(user=user).values("group_id")
        groups = groups.filter(pk__in=mine)
    return set(groups.values_list("pk", flat=True))


@dataclass
class EventDetails:
    kind: str
    title: str
    happened_on: dt.date
    people_count: int
    outcome: str
    place: Place | None = None
    organisations: list[Organisation] = field(default_factory=list)
    positions: list[Position] = field(default_factory=list)

    def check(self, ics: ICS, readable: set[int]) -> None:
        self.title = " ".join(self.title.split())
        self.outcome = self.outcome.strip()
        if self.kind not in EventKind.values:
            raise LogError("Choose what kind of event it was.")
        if not self.title:
            raise LogError("Enter the event's title.")
        if not self.outcome:
            raise LogError("Enter what came of it.")
        check_plain({"The title": self.title, "What came of it": self.outcome})
        if not YEARS[0] <= self.happened_on.year <= YEARS[1]:
            raise LogError(f"Enter a year from {YEARS[0]} to {YEARS[1]}.")
        if self.happened_on > today():
            raise LogError("The date must be today or in the past.")
        if not 1 <= self.people_count <= MAX_PEOPLE:
            raise LogError(f"Enter how many people took part, from 1 to {MAX_PEOPLE:,}.")
        if self.place is not None and self.place.ics_id != ics.pk:
            raise LogError("Choose a place in this ICS.")
        if any(o.ics_id != ics.pk for o in self.organisations):
            raise LogError("Choose organisations from this ICS's register.")
        if any(p.group_id not in readable for p in self.positions):
            raise LogError("Choose positions of your own leadership groups.")


def _ids(objects: Iterable[object]) -> list[int]:
    return sorted(o.pk for o in objects)  # type: ignore[attr-defined]


@transaction.atomic
def event_record(*, ics: ICS, details: EventDetails, actor: User) -> EngagementEvent:
    details.check(ics, readable_group_ids(actor, ics))
    event = EngagementEvent.objects.create(
        ics=ics,
        kind=details.kind,
        title=details.title,
        happened_on=details.happened_on,
        place=details.place,
        people_count=details.people_count,
        outcome=details.outcome,
        created_by=actor,
    )
    event.organisations.set(details.organisations)
    event.positions.set(details.positions)
    audit.record(
        event="log.event_recorded",
        actor=actor,
        role=manager_role(actor, ics.pk),
        obj=event,
        ics_id=ics.pk,
        payload={
            "kind": details.kind,
            "title": details.title,
            "happened_on": details.happened_on.isoformat(),
            "people": details.people_count,
            "organisations": _ids(details.organisations),
            "positions": _ids(details.positions),
        },
    )
    return event


SIMPLE = ("kind", "title", "happened_on", "place_id", "people_count", "outcome")


@transaction.atomic
def event_change(*, event: EngagementEvent, details: EventDetails, actor: User) -> list[str]:
    """Changes an event; returns the names of what changed (nothing: no audit event).
    Links to positions the actor cannot see are kept as they were."""
    event = EngagementEvent.objects.select_for_update().select_related("ics").get(pk=event.pk)
    ics = event.ics
    readable = readable_group_ids(actor, ics)
    details.check(ics, readable)
    wanted = {
        "kind": details.kind,
        "title": details.title,
        "happened_on": details.happened_on,
        "place_id": details.place.pk if details.place else None,
        "people_count": details.people_count,
        "outcome": details.outcome,
    }
    changed = [name for name in SIMPLE if getattr(event, name) != wanted[name]]
    organisations_before = set(event.organisations.values_list("pk", flat=True))
    organisations_after = {o.pk for o in details.organisations}
    positions_before = dict(event.positions.values_list("pk", "group_id"))
    hidden = {pk for pk, group in positions_before.items() if group not in readable}
    positions_after = {p.pk for p in details.positions} | hidden
    payload: dict[str, object] = {}
    if organisations_after != organisations_before:
        event.organisations.set(organisations_after)
        changed.append("organisations")
    if positions_after != set(positions_before):
        event.positions.set(positions_after)
        changed.append("positions")
        payload["positions_added"] = sorted(positions_after - set(positions_before))
        payload["positions_removed"] = sorted(set(positions_before) - positions_after)
    if not changed:
        return []
    for name in SIMPLE:
        setattr(event, name, wanted[name])
    event.updated_at = timezone.now()
    event.save(update_fields=[*SIMPLE, "updated_at"])
    audit.record(
        event="log.event_changed",
        actor=actor,
        role=manager_role(actor, ics.pk),
        obj=event,
        ics_id=ics.pk,
        payload={"fields": [name.removesuffix("_id") for name in changed], **payload},
    )
    return changed
