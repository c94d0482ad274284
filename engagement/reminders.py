"""The engagement side's scans. Beat runs `engagement.send_reminders` every minute; nothing
waits in the broker for a deadline.

- Consultations whose closing day is over are recorded as closed (their links stopped working
  at that moment whatever the scan's timing).
- Three days before a consultation closes, each invited contact who has not answered gets one
  reminder, with a fresh personal link (minted at sending, which retires the link of the
  first email). Once per invitation: the outbox row's version is fixed, so a scan run twice,
  on two workers, or after the closing date moves, reminds nobody twice.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict
from collections.abc import Callable

from celery import shared_task
from django.db import transaction
from django.utils import timezone

from engagement.models.consultations import Consultation, ConsultationInvitation
from engagement.services.consultations import (
    REMINDER_KIND,
    consultations_close_due,
    greeting,
)
from engagement.services.learning import remind_learning_reviews_due
from groups.models import Position
from icsvoice.models import OutboxMessage
from icsvoice.notifications import notify_addresses
from icsvoice.reminders import long_date, run_families

logger = logging.getLogger(__name__)

CONSULTATION_NOTICE = dt.timedelta(days=3)
REMINDER_VERSION = "1"  # one reminder per invitation, ever


def close_due_consultations(now: dt.datetime | None = None) -> int:
    return len(consultations_close_due(now))


def _reminded(invitation_ids: list[int]) -> set[str]:
    """Invitations already reminded (whatever the address): one query."""
    if not invitation_ids:
        return set()
    return set(
        OutboxMessage.objects.filter(
            kind=REMINDER_KIND,
            object_type=ConsultationInvitation._meta.label_lower,
            object_id__in=[str(pk) for pk in invitation_ids],
            version=REMINDER_VERSION,
        ).values_list("object_id", flat=True)
    )


def remind_consultations_closing(now: dt.datetime | None = None) -> int:
    """Open consultations closing within three days, which were open before that window
    began (one opened or extended into it is not reminded about at once): to each invited
    contact still reachable who has not answered. Returns how many were queued."""
    now = now or timezone.now()
    candidates = list(
        ConsultationInvitation.objects.filter(
            consultation__state=Consultation.State.OPEN,
            consultation__position__state=Position.State.DRAFT,
            consultation__closes_at__gt=now,
            consultation__closes_at__lte=now + CONSULTATION_NOTICE,
            answer__isnull=True,
            contact__removed_at__isnull=True,
        )
        .exclude(contact__email="")
        .select_related("consultation__version", "consultation__group", "contact__organisation")
        .order_by("consultation_id", "pk")
    )
    done = _reminded([invitation.pk for invitation in candidates])
    by_consultation: dict[int, list[ConsultationInvitation]] = defaultdict(list)
    for invitation in candidates:
        consultation = invitation.consultation
        if consultation.opened_at > consultation.closes_at - CONSULTATION_NOTICE:
            continue
        if str(invitation.pk) not in done:
            by_consultation[consultation.pk].append(invitation)
    count = 0
    for consultation_id, invitations in by_consultation.items():
        try:
            count += _remind(invitations)
        except Exception:  # one consultation's failure must not hold up the others
            logger.exception("Reminders for consultation %s failed", consultation_id)
    return count


def _remind(invitations: list[ConsultationInvitation]) -> int:
    """One consultation's reminders, in one transaction: the invitations are locked (as an
    answer locks its invitation) and those answered since the scan are dropped."""
    consultation = invitations[0].consultation
    with transaction.atomic():
        still = set(
            ConsultationInvitation.objects.select_for_update(of=("self",))
            .filter(pk__in=[i.pk for i in invitations], answer__isnull=True)
            .values_list("pk", flat=True)
        )
        title = consultation.version.title
        closes = long_date(consultation.closes_on)
        return notify_addresses(
            kind=REMINDER_KIND,
            objects_and_addresses=[
                (invitation, invitation.contact.email, greeting(invitation.contact))
                for invitation in invitations
                if invitation.pk in still
            ],
            subject=f"Closes {closes}: your views on “{title}”",
            body=(
                f"{consultation.group.name}'s consultation on its draft position “{title}” "
                f"closes at the end of {closes}, and we have not had your answer yet.\n"
                "This email's link replaces the one in the first email."
            ),
            version=REMINDER_VERSION,
        )


FAMILIES: tuple[Callable[[], int], ...] = (
    close_due_consultations,
    remind_consultations_closing,
    remind_learning_reviews_due,
)


@shared_task(name="engagement.send_reminders", ignore_result=True)
def send_reminders() -> dict[str, int]:
    """Beat runs this every minute. Safe to run twice or on two workers at once."""
    return run_families(FAMILIES)
