"""What every reminder scan shares (groups/reminders.py, boards/reminders.py): a due
reminder, queuing those not yet in the outbox, and running each family on its own.

Each reminder is one outbox row per (kind, object, recipient, version), with the due date or
time as the version: a scan run twice, or on two workers at once, queues each reminder once,
and moving the due date reminds again. Days are the site's days (TIME_ZONE, UK time).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from django.db import models, transaction
from django.utils import timezone

from icsvoice.models import OutboxMessage
from icsvoice.notifications import notify

logger = logging.getLogger(__name__)


def local_today(now: dt.datetime | None = None) -> dt.date:
    """The UK day (settings.TIME_ZONE) of `now`, or of this moment."""
    return timezone.localdate(now)


def long_date(day: dt.date) -> str:
    return f"{day:%A %-d %B %Y}"


@dataclass
class Due:
    """One object's reminder: who should have it, and what it says."""

    obj: models.Model
    version: str
    subject: str
    body: str
    url: str
    recipients: set[int] = field(default_factory=set)
    urgent: bool = False


def queued(kind: str, model: type[models.Model], object_ids: Iterable[int]) -> set[tuple]:
    """(object id, recipient id, version) of this kind already in the outbox: one query."""
    ids = sorted({str(pk) for pk in object_ids})
    if not ids:
        return set()
    return set(
        OutboxMessage.objects.filter(
            kind=kind, object_type=model._meta.label_lower, object_id__in=ids
        ).values_list("object_id", "recipient_id", "version")
    )


def queue_due(
    kind: str,
    model: type[models.Model],
    dues: Sequence[Due],
    confirm: Callable[[Due, set[int]], set[int]] | None = None,
) -> int:
    """Queues each due reminder not queued yet, one transaction per object; returns how
    many rows were new. `confirm`, run inside that transaction, may narrow the recipients
    (re-reading what could have changed since the scan). An object that fails is logged and
    skipped, so it cannot hold up the others."""
    done = queued(kind, model, (due.obj.pk for due in dues))
    count = 0
    for due in dues:
        new = {r for r in due.recipients if (str(due.obj.pk), r, due.version) not in done}
        if not new:
            continue
        try:
            with transaction.atomic():
                if confirm is not None:
                    new = confirm(due, new)
                count += notify(
                    kind=kind,
                    obj=due.obj,
                    recipients=new,
                    subject=due.subject,
                    body=due.body,
                    url=due.url,
                    version=due.version,
                    urgent=due.urgent,
                )
        except Exception:
            logger.exception("Reminder %s for %s %s failed", kind, model.__name__, due.obj.pk)
    return count


def run_families(families: Iterable[Callable[[], int]]) -> dict[str, int]:
    """Runs each reminder family on its own, so one that fails does not stop the others."""
    counts: dict[str, int] = {}
    for family in families:
        try:
            counts[family.__name__] = family()
        except Exception:
            logger.exception("Reminder scan %s failed", family.__name__)
    return counts
