"""Sending the outbox: claim a row, send it over SMTP, mark it sent.

Each OutboxMessage is sent at least once and, in all but one window, exactly once:

1. A worker claims the row with one compare-and-swap UPDATE (pending and due, or a claim older
   than the lease left by a worker that died). Two workers given the same row cannot both win.
2. It sends the email with a Message-ID derived from the row's unique key, so every attempt
   carries the same Message-ID.
3. It marks the row sent.

The window: if a worker dies after the SMTP server has accepted the email (step 2) and
before step 3 commits, the claim expires and another worker sends it again, with the same
Message-ID. Nothing else can double an email. Nothing can lose one either: a row stays
pending, or sending under a claim that expires, until it is sent or recorded as failed.

Transient failures (the server unreachable, a 4xx answer) put the row back with a backoff;
permanent ones (a 5xx answer, no address) and too many attempts mark it failed, which site
administrators see on their home page and in the admin site, and can send again.
"""

from __future__ import annotations

import datetime as dt
import logging
import smtplib
import time
import uuid
from collections.abc import Iterable

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.core.mail.backends.base import BaseEmailBackend
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from icsvoice.celery import queue
from icsvoice.models import OutboxMessage, User
from icsvoice.registry import link_delivered, link_minter

log = logging.getLogger(__name__)
State = OutboxMessage.State

BATCH = 50  # rows per send task: one SMTP connection each
SCAN_LIMIT = 20_000  # rows one scan hands out; the next scan takes the rest


class PermanentFailure(Exception):
    """Sending again will not help: the address is refused or there is none."""


def backoff(attempts: int) -> dt.timedelta:
    """1, 2, 4 ... minutes after each failed attempt, at most an hour."""
    return dt.timedelta(minutes=min(2 ** max(attempts - 1, 0), 60))


# --- Handing rows to workers --------------------------------------------------------------------


def dispatch_ids(ids: list[int]) -> None:
    """Queues send tasks for these rows, BATCH at a time. Never raises: rows whose task
    could not be queued stay pending, and beat's scan sends them."""
    from icsvoice.tasks import send_emails

    for start in range(0, len(ids), BATCH):
        if not queue(send_emails, ids[start : start + BATCH]):
            return  # the broker is down: the rest would fail the same way


def due_ids(now: dt.datetime | None = None, limit: int = SCAN_LIMIT) -> list[int]:
    """Rows a worker should try now: pending and due (new rows only after their own task has
    had its chance), or claimed longer ago than the lease."""
    now = now or timezone.now()
    lease = dt.timedelta(seconds=settings.ICSVOICE_EMAIL_LEASE_SECONDS)
    # A new row's own task (queued after its commit) gets the grace period to send it first.
    grace = dt.timedelta(seconds=settings.ICSVOICE_EMAIL_DISPATCH_GRACE_SECONDS)
    due = OutboxMessage.objects.filter(
        Q(state=State.PENDING, digest=False, next_attempt_at__lte=now - grace)
        | Q(state=State.SENDING, claimed_at__lt=now - lease)
    )
    return list(due.order_by("id").values_list("pk", flat=True)[:limit])


# --- Sending one row ----------------------------------------------------------------------------


def claim(ids: Iterable[int], now: dt.datetime | None = None) -> list[OutboxMessage]:
    """Takes the rows for this worker in one UPDATE: those pending and due, and those whose
    claim has outlived the lease. Sent, failed, not yet due and other workers' live claims
    are left alone. Returns the rows taken, in id order."""
    ids = list(ids)
    now = now or timezone.now()
    token = uuid.uuid4()  # this claim's own mark: only its rows come back, and only it marks them
    lease = dt.timedelta(seconds=settings.ICSVOICE_EMAIL_LEASE_SECONDS)
    taken = (
        OutboxMessage.objects.filter(pk__in=ids)
        .filter(
            Q(state=State.PENDING, next_attempt_at__lte=now)
            | Q(state=State.SENDING, claimed_at__lt=now - lease)
        )
        .update(state=State.SENDING, claimed_at=now, claim=token, attempts=F("attempts") + 1)
    )
    if not taken:
        return []
    return list(
        OutboxMessage.objects.select_related("recipient")
        .filter(pk__in=ids, state=State.SENDING, claim=token)
        .order_by("id")
    )


def absolute(url: str) -> str:
    if not url or url.startswith(("http://", "https://")):
        return url
    return settings.SITE_URL + url


def build(
    message: OutboxMessage, parts: list[OutboxMessage] | None = None
) -> EmailMultiAlternatives:
    """The email for a row: a plain-text and an HTML part in NHS style, with a link to the
    person's notification settings. A digest row lists the notices it carries."""
    recipient: User | None = message.recipient
    if recipient is None:
        if not message.to_email:
            raise PermanentFailure("The address was erased before the email was sent.")
        address, name = message.to_email, message.to_name
    elif not recipient.email or not recipient.is_active:
        raise PermanentFailure("The person has no active account with an email address.")
    else:
        address, name = recipient.email, recipient.get_full_name()
    minter = link_minter(message.kind)
    context = {
        "message": message,
        "recipient": recipient,
        "name": name,
        # A personal link is minted now, never stored with the email (registry.py says why).
        "link": absolute(minter(message)) if minter else absolute(message.url),
        "settings_link": absolute(reverse("notification_settings")),
        "home_link": absolute(reverse("home")),
        "parts": [
            {"subject": part.subject, "body": part.body, "link": absolute(part.url)}
            for part in (parts or [])
        ],
    }
    email = EmailMultiAlternatives(
        subject=message.subject,
        body=render_to_string("emails/notification.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[address],
        headers={
            "Message-ID": message.message_id,
            "Auto-Submitted": "auto-generated",
            "X-Icsvoice-Kind": message.kind,
        },
    )
    email.attach_alternative(render_to_string("emails/notification.html", context), "text/html")
    return email


def is_permanent(error: Exception) -> bool:
    """Only what is wrong with this one email is permanent: the person has no active address,
    the server refuses the recipient (5xx), or it refuses the message itself (5xx after
    DATA). A 5xx about the server or our account (a refused login, greeting or sender) is a
    fault to mend on our side, so the email waits and is tried again."""
    if isinstance(error, PermanentFailure):
        return True
    if isinstance(error, smtplib.SMTPRecipientsRefused):  # one recipient per email here
        return all(500 <= int(code) < 600 for code, _ in error.recipients.values())
    if isinstance(error, smtplib.SMTPDataError):
        return 500 <= int(error.smtp_code) < 600
    return False


def connection_usable(connection: BaseEmailBackend) -> bool:
    smtp = getattr(connection, "connection", None)
    if smtp is None:
        return True  # not open (or not SMTP): the next send opens it
    try:
        return int(smtp.noop()[0]) == 250
    except Exception:
        return False


def send_one(message: OutboxMessage, connection: BaseEmailBackend) -> bool:
    """Sends a claimed row and records the outcome. True if it was sent."""
    parts = None
    if message.kind == DIGEST_KIND:
        parts = list(OutboxMessage.objects.filter(digested_in=message).order_by("id"))
    try:
        email = build(message, parts)
        if getattr(connection, "connection", "") is None:
            connection.open()  # kept open for the rest of the batch
        email.connection = connection
        email.send()
    except Exception as error:
        failed_attempt(message, error)
        return False
    # Only our own claim is marked: if the lease ran out and another worker took the row,
    # its claim time differs and this update leaves it alone.
    mine = OutboxMessage.objects.filter(pk=message.pk, state=State.SENDING, claim=message.claim)
    mine.update(state=State.SENT, sent_at=timezone.now(), last_error="")
    delivered = link_delivered(message.kind)
    if delivered is not None:
        try:
            delivered(message)
        except Exception:  # the email went: a link left pending still works (see its app)
            log.exception("Email %s was sent but its link was not recorded as sent", message.pk)
    return True


def failed_attempt(message: OutboxMessage, error: Exception) -> None:
    permanent = is_permanent(error)
    gave_up = permanent or message.attempts >= settings.ICSVOICE_EMAIL_MAX_ATTEMPTS
    text = f"{type(error).__name__}: {error}"[:1000]
    now = timezone.now()
    mine = OutboxMessage.objects.filter(pk=message.pk, state=State.SENDING, claim=message.claim)
    if gave_up:
        mine.update(state=State.FAILED, last_error=text)
        log.error("Email %s to %s failed for good: %s", message.pk, message.recipient_id, text)
    else:
        mine.update(
            state=State.PENDING, last_error=text, next_attempt_at=now + backoff(message.attempts)
        )
        log.warning("Email %s will be tried again: %s", message.pk, text)


def send_ids(ids: Iterable[int]) -> int:
    """Claims the rows and sends each over one SMTP connection, marking each sent as soon as
    the server accepts it. Returns how many were sent.

    A batch that runs past half the lease (a slow server) gives its unsent rows back rather
    than let another worker take them while this one still might send them."""
    claimed = claim(ids)
    if not claimed:
        return 0
    sent = 0
    deadline = time.monotonic() + settings.ICSVOICE_EMAIL_LEASE_SECONDS / 2
    connection = get_connection(fail_silently=False)
    try:
        for index, message in enumerate(claimed):
            if time.monotonic() > deadline:
                release(claimed[index:])
                break
            if send_one(message, connection):
                sent += 1
            elif not connection_usable(connection):
                connection.close()  # the next row opens a fresh one
    finally:
        try:
            connection.close()
        except Exception:  # closing a broken connection must not undo what was sent
            log.debug("SMTP connection close failed", exc_info=True)
    return sent


def release(messages: list[OutboxMessage]) -> None:
    """Gives claimed rows back, unsent and due now (the attempt is not counted)."""
    for message in messages:
        OutboxMessage.objects.filter(
            pk=message.pk, state=State.SENDING, claim=message.claim
        ).update(state=State.PENDING, claimed_at=None, claim=None, attempts=F("attempts") - 1)


# --- Daily digests ------------------------------------------------------------------------------

DIGEST_KIND = "icsvoice.digest"


def digests_make(now: dt.datetime | None = None) -> list[int]:
    """From ICSVOICE_DIGEST_HOUR (UK time), gathers each person's held notices into one
    digest email for the day. A person gets at most one digest a day (the outbox's unique
    key, with the day as version); notices written after today's digest wait for tomorrow's.
    Returns the digest rows made, for sending."""
    now = now or timezone.now()
    local = timezone.localtime(now)  # UK time (settings.TIME_ZONE)
    if local.hour < settings.ICSVOICE_DIGEST_HOUR:
        return []
    day = local.date().isoformat()
    waiting = (
        OutboxMessage.objects.filter(state=State.PENDING, digest=True, created_at__lte=now)
        .values_list("recipient_id", flat=True)
        .distinct()
    )
    made = []
    for recipient_id in list(waiting):
        try:
            with transaction.atomic():
                digest = digest_for(recipient_id, day, now)
        except IntegrityError:  # another worker made today's digest for this person
            continue
        if digest is not None:
            made.append(digest.pk)
    return made


def digest_for(recipient_id: int, day: str, now: dt.datetime) -> OutboxMessage | None:
    if OutboxMessage.objects.filter(
        kind=DIGEST_KIND, object_type="icsvoice.user", object_id=str(recipient_id), version=day
    ).exists():
        return None
    held = OutboxMessage.objects.select_for_update().filter(
        recipient_id=recipient_id, state=State.PENDING, digest=True, created_at__lte=now
    )
    count = len(held)
    if not count:
        return None
    plural = "s" if count != 1 else ""
    digest = OutboxMessage.objects.create(
        kind=DIGEST_KIND,
        object_type="icsvoice.user",
        object_id=str(recipient_id),
        recipient_id=recipient_id,
        version=day,
        subject=f"Your icsvoice digest: {count} notice{plural}",
        body=f"Here {'are' if count != 1 else 'is'} {count} notice{plural} from the last day.",
        url=reverse("home"),
        urgent=True,
    )
    # Their sent_at stays empty: the digest row records when it was sent.
    OutboxMessage.objects.filter(pk__in=[m.pk for m in held]).update(
        state=State.DIGESTED, digested_in=digest
    )
    return digest


# --- Operations ---------------------------------------------------------------------------------


def failed_resend(*, ids: Iterable[int] | None = None, actor: User | None = None) -> list[int]:
    """Puts failed emails back in the queue (all of them, or those given) and hands them to
    workers. Audited. Returns the rows requeued."""
    from icsvoice import audit

    # An email whose address was erased (a contact removed on request) has nowhere to go.
    rows = OutboxMessage.objects.filter(state=State.FAILED).exclude(
        recipient__isnull=True, to_email=""
    )
    if ids is not None:
        rows = rows.filter(pk__in=list(ids))
    with transaction.atomic():
        chosen = list(rows.select_for_update().values_list("pk", flat=True))
        if not chosen:
            return []
        OutboxMessage.objects.filter(pk__in=chosen, state=State.FAILED).update(
            state=State.PENDING, attempts=0, next_attempt_at=timezone.now(), claimed_at=None
        )
        audit.record(
            event="outbox.resent",
            actor=actor,
            role=audit.SYSTEM_ROLE if actor is None else "site_admin",
            payload={"messages": chosen},
        )
        transaction.on_commit(lambda: dispatch_ids(chosen))
    return chosen


def oldest_unsent_age(now: dt.datetime | None = None) -> float | None:
    """Seconds since the oldest email that is due and not yet sent was written (digest
    notices wait for their hour by design and are not counted)."""
    now = now or timezone.now()
    oldest = (
        OutboxMessage.objects.filter(Q(state=State.SENDING) | Q(state=State.PENDING, digest=False))
        .order_by("created_at")
        .values_list("created_at", flat=True)
        .first()
    )
    return None if oldest is None else round((now - oldest).total_seconds(), 1)
