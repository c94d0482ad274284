"""The check that a refused write on positions, votes or terms leaves nothing behind."""

from __future__ import annotations

from contextlib import contextmanager

import pytest

from groups.models import (
    Amendment,
    Attachment,
    Ballot,
    Comment,
    Position,
    PositionDeclaration,
    PositionVersion,
    SecretBallot,
    TermsOfReference,
    Vote,
    VoteEligibility,
    VoteParticipation,
)
from icsvoice.errors import DomainError
from icsvoice.models import AuditEvent, OutboxMessage


def fingerprint() -> dict:
    """Everything a refused write on positions, votes or terms could have touched."""
    return {
        "positions": list(Position.objects.values_list("pk", "state", "current_version_id")),
        "versions": PositionVersion.objects.count(),
        "coauthors": list(Position.coauthors.through.objects.values_list("pk", flat=True)),
        "amendments": list(Amendment.objects.values_list("pk", "state", "decline_reason")),
        "comments": Comment.objects.count(),
        "attachments": Attachment.objects.count(),
        "votes": list(
            Vote.objects.values_list("pk", "state", "outcome", "eligible_count", "closes_at")
        ),
        "eligibility": list(VoteEligibility.objects.values_list("pk", "recused")),
        "participations": list(VoteParticipation.objects.values_list("pk", flat=True)),
        "ballots": list(Ballot.objects.values_list("pk", "choice", "reason", "changed_at")),
        "secret": sorted(SecretBallot.objects.values_list("pk", "choice")),
        "declarations": PositionDeclaration.objects.count(),
        "terms": list(TermsOfReference.objects.values_list("pk", "state")),
        "audit": AuditEvent.objects.count(),
        "outbox": OutboxMessage.objects.count(),
    }


@contextmanager
def refused(match: str):
    """The block raises a DomainError whose message matches, and nothing changed."""
    before = fingerprint()
    with pytest.raises(DomainError, match=match):
        yield
    assert fingerprint() == before
