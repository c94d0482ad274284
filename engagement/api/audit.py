"""The audit trail as the API gives it: the filters, and what a vote's events withhold.

`filter_events` applies the API's exact-match filters. What a vote's events withhold is the
review screen's rule (`engagement.auditlog.vote_rules`, `shown_payload`): one rule for the
screens, the exports and the API.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from engagement import auditlog
from engagement.auditlog import VoteRule, vote_rules
from icsvoice.models import AuditEvent

__all__ = ["filter_events", "shown_payload", "vote_rules"]


def filter_events(
    events: QuerySet[AuditEvent],
    *,
    event: str = "",
    object_type: str = "",
    object_id: str = "",
    actor: int | None = None,
) -> QuerySet[AuditEvent]:
    """Exact matches on what is given; an empty value filters nothing."""
    if event:
        events = events.filter(event=event)
    if object_type:
        events = events.filter(object_type=object_type)
    if object_id:
        events = events.filter(object_id=object_id)
    if actor is not None:
        events = events.filter(actor_id=actor)
    return events


def shown_payload(
    event: AuditEvent, rules: dict[str, VoteRule]
) -> tuple[dict[str, Any], list[str]]:
    """The payload as the API shows it (the review screen's rule), and the keys withheld."""
    payload, withheld = auditlog.shown_payload(event, rules)
    return (payload if isinstance(payload, dict) else {"value": payload}), withheld
