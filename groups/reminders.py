"""Reminders of the primary care side, found by scanning for due work. Beat runs
`groups.send_reminders` every minute; nothing waits in the broker for a deadline.

Each reminder is one outbox row per (kind, object, recipient, version), with the due date or
time as the version: a scan run twice, or on two workers at once, queues each reminder once,
and moving the due date reminds again. A scan finds its candidates and what is already queued
in a fixed number of queries, then writes each object's rows in its own transaction.

Vote results are not a scan: vote_close() tells the group in the transaction that closes
the vote (kind "vote.result").

The runner (`Due`, `queue_due`, `run_families`) is the kernel's: icsvoice/reminders.py.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable

from celery import shared_task
from django.db.models import Exists, OuterRef
from django.urls import reverse
from django.utils import timezone

from groups.models import (
    GroupMembership,
    TermsOfReference,
    Vote,
    VoteEligibility,
    VoteParticipation,
)
from icsvoice.reminders import Due, local_today, long_date, queue_due, run_families

logger = logging.getLogger(__name__)

VOTE_CLOSING_NOTICE = dt.timedelta(hours=24)
TERMS_REVIEW_NOTICE_DAYS = 30

VOTE_CLOSING = "vote.closing_soon"
TERMS_REVIEW = "terms.review_due"


# --- Votes closing within 24 hours ------------------------------------------------------------


def _vote_title(version_title: str | None, terms_version: int | None) -> str:
    if version_title is not None:
        return f"“{version_title}”"
    return f"terms of reference version {terms_version}"


def _still_to_vote(due: Due, recipients: set[int]) -> set[int]:
    """Locks the vote's row, as vote_cast() does, then drops anyone who voted since the
    scan: a ballot either committed before this (and its voter is dropped) or waits."""
    vote_id = due.obj.pk
    locked = Vote.objects.select_for_update().filter(
        pk=vote_id, state=Vote.State.OPEN, closes_at__gt=timezone.now()
    )
    if not list(locked.values_list("pk", flat=True)):
        return set()
    voted = VoteParticipation.objects.filter(vote_id=vote_id, voter_id__in=recipients)
    return recipients - set(voted.values_list("voter_id", flat=True))


def remind_votes_closing(now: dt.datetime | None = None) -> int:
    """Open votes closing within 24 hours: to each eligible member, not recused, who has
    not voted. Version: the closing time, so a vote whose close moves reminds again."""
    now = now or timezone.now()
    rows = (
        VoteEligibility.objects.filter(
            recused=False,
            vote__state=Vote.State.OPEN,
            vote__closes_at__gt=now,
            vote__closes_at__lte=now + VOTE_CLOSING_NOTICE,
        )
        .exclude(
            Exists(
                VoteParticipation.objects.filter(vote=OuterRef("vote"), voter=OuterRef("member"))
            )
        )
        .order_by("vote__closes_at", "vote_id", "member_id")
        .values_list(
            "vote_id",
            "member_id",
            "vote__closes_at",
            "vote__version__title",
            "vote__terms_proposal__version",
            "vote__group__name",
        )
    )
    dues: dict[int, Due] = {}
    for vote_id, member_id, closes_at, title, terms_version, group_name in rows:
        if vote_id not in dues:
            what = _vote_title(title, terms_version)
            when = timezone.localtime(closes_at)
            dues[vote_id] = Due(
                obj=Vote(pk=vote_id),
                version=closes_at.isoformat(),
                subject=f"Vote closes soon: {what}",
                body=(
                    f"The vote on {what} in {group_name} closes on "
                    f"{long_date(when.date())} at {when:%H:%M}. You have not voted yet. "
                    "Once it closes, votes can no longer be cast."
                ),
                url=reverse("groups:vote-detail", args=[vote_id]),
                urgent=True,
            )
        dues[vote_id].recipients.add(member_id)
    return queue_due(VOTE_CLOSING, Vote, list(dues.values()), confirm=_still_to_vote)


# --- Terms of reference due for review --------------------------------------------------------


def remind_terms_review(now: dt.datetime | None = None) -> int:
    """Terms of reference in force whose review date is within 30 days (or past): to the
    group's current chair. Version: the review date."""
    today = local_today(now)
    rows = (
        GroupMembership.objects.current(today)
        .filter(
            role=GroupMembership.Role.CHAIR,
            group__terms__state=TermsOfReference.State.IN_FORCE,
            group__terms__review_date__lte=today + dt.timedelta(days=TERMS_REVIEW_NOTICE_DAYS),
        )
        .order_by("group__terms__review_date", "group__terms__pk", "user_id")
        .values_list(
            "group__terms__pk",
            "user_id",
            "group__terms__review_date",
            "group__terms__version",
            "group_id",
            "group__name",
        )
    )
    dues: dict[int, Due] = {}
    for terms_id, chair_id, review_date, version, group_id, group_name in rows:
        if terms_id not in dues:
            due_text = "was due" if review_date < today else "is due"
            dues[terms_id] = Due(
                obj=TermsOfReference(pk=terms_id),
                version=review_date.isoformat(),
                subject=f"Terms of reference due for review: {group_name}",
                body=(
                    f"The review of {group_name}'s terms of reference (version {version}) "
                    f"{due_text} on {long_date(review_date)}. As chair, propose a new version "
                    "for the group to vote on, with the next review date."
                ),
                url=reverse("groups:terms-list", args=[group_id]),
            )
        dues[terms_id].recipients.add(chair_id)
    return queue_due(TERMS_REVIEW, TermsOfReference, list(dues.values()))


# --- The task ----------------------------------------------------------------------------------

FAMILIES: tuple[Callable[[], int], ...] = (remind_votes_closing, remind_terms_review)


@shared_task(name="groups.send_reminders", ignore_result=True)
def send_reminders() -> dict[str, int]:
    """Beat runs this every minute. Safe to run twice or on two workers at once."""
    return run_families(FAMILIES)
