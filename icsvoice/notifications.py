"""The notification hook every app calls: one outbox row per person told.

notify() runs inside the caller's transaction, so a change and the emails it causes commit
or roll back together; a repeated call with the same (kind, object, recipient, version)
adds nothing. Once the transaction commits, the new rows are handed to a Celery task
(icsvoice.mailer); if that hand-over fails, beat's scan finds the rows a minute later.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import models, transaction

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
    new_ids = recipient_ids - existing
    if not new_ids:
        return 0
    # Only people with an active account and an address; those who chose a daily digest get
    # non-urgent notices in it.
    reachable = dict(
        User.objects.filter(pk__in=new_ids, is_active=True)
        .exclude(email="")
        .values_list("pk", "email_digest")
    )
    new_ids = set(reachable)
    if not new_ids:
        return 0
    digesters = set() if urgent else {pk for pk, digest in reachable.items() if digest}
    rows = [
        OutboxMessage(
            **key,
            recipient_id=recipient_id,
            version=str(version),
            subject=subject[:200],
            body=body,
            url=url,
            urgent=urgent,
            digest=recipient_id in digesters,
        )
        for recipient_id in sorted(new_ids)
    ]
    OutboxMessage.objects.bulk_create(rows, ignore_conflicts=True)
    if len(digesters) < len(new_ids):
        ids = list(
            OutboxMessage.objects.filter(
                **key,
                version=str(version),
                recipient_id__in=new_ids - digesters,
                state=OutboxMessage.State.PENDING,
            ).values_list("pk", flat=True)
        )
        transaction.on_commit(lambda: dispatch(ids))
    return len(rows)


def notify_addresses(
    *,
    kind: str,
    objects_and_addresses: Iterable[tuple[models.Model, str, str]],
    subject: str,
    body: str,
    url: str = "",
    version: str | int = "",
) -> int:
    """Queues one email to each (object, address, name): people outside the service, such as
    a practice's contact invited to a consultation. Each email is about its own object (the
    invitation), whose app may mint the personal link at sending (registry.register_link_
    minter); `url` is for emails without one. Never digested. Returns how many rows were
    new: an (object, address, version) already queued is not queued again."""
    wanted = {
        (obj._meta.label_lower, str(obj.pk), address.strip().lower(), name)
        for obj, address, name in objects_and_addresses
        if address.strip()
    }
    if not wanted:
        return 0
    here = OutboxMessage.objects.filter(
        kind=kind,
        version=str(version),
        recipient=None,
        object_id__in={w[1] for w in wanted},
        to_email__in={w[2] for w in wanted},
    )
    existing = set(here.values_list("object_type", "object_id", "to_email"))
    new = sorted(w for w in wanted if w[:3] not in existing)
    if not new:
        return 0
    OutboxMessage.objects.bulk_create(
        [
            OutboxMessage(
                kind=kind,
                object_type=object_type,
                object_id=object_id,
                recipient=None,
                to_email=address,
                to_name=name[:200],
                version=str(version),
                subject=subject[:200],
                body=body,
                url=url,
                urgent=True,
            )
            for object_type, object_id, address, name in new
        ],
        ignore_conflicts=True,
    )
    ids = list(here.filter(state=OutboxMessage.State.PENDING).values_list("pk", flat=True))
    transaction.on_commit(lambda: dispatch(ids))
    return len(new)


def dispatch(ids: list[int]) -> None:
    """Hands rows to the sender task. Never raises: a broker that is down leaves the rows
    pending, and beat's scan (icsvoice.send_due_emails) sends them when it is back."""
    from icsvoice.mailer import dispatch_ids

    dispatch_ids(ids)
