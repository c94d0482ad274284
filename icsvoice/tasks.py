"""Celery tasks of the shared kernel: sending the email outbox. Each takes ids or nothing and
is safe to run twice, or on two workers at once (icsvoice/mailer.py says why)."""

from __future__ import annotations

from celery import shared_task

from icsvoice import audit, mailer
from icsvoice.celery import queue


@shared_task(name="icsvoice.send_emails", ignore_result=True, acks_late=True)
def send_emails(ids: list[int]) -> int:
    """Sends these outbox rows (those still waiting) over one SMTP connection."""
    return mailer.send_ids(ids)


@shared_task(name="icsvoice.send_due_emails", ignore_result=True)
def send_due_emails() -> int:
    """Beat runs this every minute: rows whose task was lost or whose retry time has come,
    and claims left by workers that died. Returns how many rows it handed out."""
    ids = mailer.due_ids()
    mailer.dispatch_ids(ids)
    return len(ids)


@shared_task(name="icsvoice.send_digests", ignore_result=True)
def send_digests() -> int:
    """Beat runs this every minute; from the digest hour, each person with held notices gets
    one digest for the day."""
    ids = mailer.digests_make()
    mailer.dispatch_ids(ids)
    return len(ids)


# Verifying a long chain takes minutes (about 40 seconds per million events), not the default
# limits' seconds; the hard limit stays under Redis's visibility timeout (an hour), so a
# running check is never delivered to a second worker.
@shared_task(
    name="icsvoice.verify_audit_trail",
    ignore_result=True,
    acks_late=True,
    soft_time_limit=45 * 60,
    time_limit=50 * 60,
)
def verify_audit_trail(verification_id: int) -> str:
    """Recomputes the audit trail's hash chain for a verification asked for on the review
    page, and stores what it found (intact up to which event, or the first broken one)."""
    verification = audit.verification_run(verification_id)
    return verification.state if verification else "taken"


@shared_task(name="icsvoice.verify_audit_scan", ignore_result=True)
def verify_audit_scan() -> int:
    """Beat runs this every minute: records checks whose worker died, queues again checks
    whose task was lost, and once a day queues the nightly check."""
    ids = audit.verification_scan()
    for verification_id in ids:
        queue(verify_audit_trail, verification_id)
    return len(ids)
