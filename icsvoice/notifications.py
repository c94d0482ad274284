"""The notification hook every app calls: one outbox row per person told.

notify() runs inside the caller's transaction, so a change and the emails it causes commit
or roll back together; a repeated call with the same (kind, object, recipient, version)
adds nothing. Delivery (claiming rows, SMTP, retries, digests) is the Celery jobs' part and
reads only OutboxMessage.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import models

from icsvoice.models import OutboxMessage, User


def notify(
    *,
    kind: str,
    obj: models.Model,
    recipients: Iterable[User | int],
    subject: str,
    body: str,
    url: str = "",
    version: str | int = "",
    urgent: bool = False,
    exclude: User | None = None,
) -> int:
    """Queues one email per recipient (`exclude`, usually the actor, is left out).
    Returns how many rows were new."""
    recipient_ids = {r if isinstance(r, int) else r.pk for r in recipients}
    if exclude is not None:
        recipient_ids.discard(exclude.pk)
    if not recipient_ids:
        return 0
    object_type, object_id = obj._meta.label_lower, str(obj.pk)
    key = {"kind": kind, "object_type": object_type, "object_id": object_id}
    existing = set(
        OutboxMessage.objects.filter(
            **key, version=str(version), recipient_id__in=recipient_ids
        ).values_list("recipient_id", flat=True)
    )
    rows = [
        OutboxMessage(
            **key,
            recipient_id=recipient_id,
            version=str(version),
            subject=subject[:200],
            body=body,
            url=url,
            urgent=urgent,
        )
        for recipient_id in sorted(recipient_ids - existing)
    ]
    OutboxMessage.objects.bulk_create(rows, ignore_conflicts=True)
    return len(rows)
