"""Writes on terms of reference: the chair proposes a version; the group adopts it by a
vote under the version in force (groups.services.votes), which calls back here."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from groups.models import TERMS_FIELDS, LeadershipGroup, TermsOfReference, Vote, today
from groups.services.common import member_ids, require_chair, role_code
from icsvoice import audit
from icsvoice.errors import DomainError
from icsvoice.models import User
from icsvoice.notifications import notify
from icsvoice.text import check_plain

State = TermsOfReference.State
MAX_WINDOW_HOURS = 60 * 24
MAX_QUORUM_COUNT = 1000
HIDDEN_COUNT_MESSAGE = (
    "With secret ballots the count must stay hidden until the vote closes: a count that "
    "changes as people vote would show how each of them voted."
)


class TermsError(DomainError):
    pass


def terms_url(terms: TermsOfReference) -> str:
    return reverse("groups:terms-detail", args=[terms.group_id, terms.version])


def _validate(fields: dict[str, Any]) -> None:
    for name in ("purpose",):
        if not str(fields.get(name) or "").strip():
            raise TermsError("Enter the group's purpose.")
    check_plain(
        {
            "The purpose": fields.get("purpose", ""),
            "The membership": fields.get("membership_composition", ""),
            "How positions reach the board": fields.get("board_route", ""),
        }
    )
    kind, value = fields["quorum_kind"], fields["quorum_value"]
    if kind not in TermsOfReference.QuorumKind.values:
        raise TermsError("Choose how quorum is set.")
    if value < 1:
        raise TermsError("Quorum must be at least 1.")
    if kind == TermsOfReference.QuorumKind.PERCENT and value > 100:
        raise TermsError("Quorum as a percentage must be 100 or less.")
    if value > MAX_QUORUM_COUNT:
        raise TermsError(f"Quorum must be {MAX_QUORUM_COUNT} or less.")
    if fields["decision_rule"] not in TermsOfReference.DecisionRule.values:
        raise TermsError("Choose a decision rule.")
    if fields["abstentions"] not in TermsOfReference.Abstentions.values:
        raise TermsError("Choose how abstentions count.")
    if fields["ballot"] not in TermsOfReference.Ballot.values:
        raise TermsError("Choose named or secret ballots.")
    if not 1 <= fields["voting_window_hours"] <= MAX_WINDOW_HOURS:
        raise TermsError("The voting window must be between 1 hour and 60 days (1440 hours).")
    if (
        fields["ballot"] == TermsOfReference.Ballot.SECRET
        and not fields["results_hidden_until_close"]
    ):
        raise TermsError(HIDDEN_COUNT_MESSAGE)
    review: dt.date = fields["review_date"]
    if review <= today():
        raise TermsError("The review date must be in the future.")


@transaction.atomic
def terms_propose(*, group: LeadershipGroup, actor: User, **fields: Any) -> TermsOfReference:
    """The chair proposes a new version, starting from the one in force."""
    membership = require_chair(group, actor)
    current = group.terms.filter(state=State.IN_FORCE).first()
    values = {
        name: fields.get(name, getattr(current, name) if current else None) for name in TERMS_FIELDS
    }
    for name in ("purpose", "membership_composition", "board_route"):
        values[name] = str(values[name] or "").strip()
    _validate(values)
    if current and all(getattr(current, name) == value for name, value in values.items()):
        raise TermsError("This is the same as the version in force: change something first.")
    number = (group.terms.order_by("-version").values_list("version", flat=True).first() or 0) + 1
    try:
        with transaction.atomic():
            proposal = TermsOfReference.objects.create(
                group=group,
                version=number,
                state=State.PROPOSED,
                proposed_by=actor,
                proposed_at=timezone.now(),
                **values,
            )
    except IntegrityError:
        raise TermsError(
            "Another version is already proposed: put it to a vote or withdraw it first."
        ) from None
    audit.record(
        event="terms.proposed",
        actor=actor,
        role=role_code(membership),
        obj=proposal,
        ics_id=group.ics_id,
        payload={
            "group": group.pk,
            "version": number,
            "changed": [
                name
                for name in TERMS_FIELDS
                if not current or getattr(current, name) != values[name]
            ],
        },
    )
    notify(
        kind="terms.proposed",
        obj=proposal,
        recipients=member_ids(group),
        subject=f"Terms of reference version {number} proposed",
        body=f"{actor} proposes changes to {group}'s terms of reference.",
        url=terms_url(proposal),
        exclude=actor,
    )
    return proposal


def _end_proposal(proposal: TermsOfReference) -> None:
    moved = TermsOfReference.objects.filter(pk=proposal.pk, state=State.PROPOSED).update(
        state=State.REJECTED
    )
    if moved != 1:
        raise TermsError("These terms of reference are no longer proposed.")
    proposal.state = State.REJECTED


@transaction.atomic
def terms_withdraw(*, proposal: TermsOfReference, actor: User) -> TermsOfReference:
    membership = require_chair(proposal.group, actor)
    proposal = TermsOfReference.objects.select_for_update().get(pk=proposal.pk)
    if proposal.adoption_votes.filter(state=Vote.State.OPEN).exists():
        raise TermsError("A vote on these terms of reference is open; it must close first.")
    _end_proposal(proposal)
    audit.record(
        event="terms.withdrawn",
        actor=actor,
        role=role_code(membership),
        obj=proposal,
        ics_id=proposal.group.ics_id,
        payload={"version": proposal.version},
    )
    return proposal


def terms_reject(*, proposal: TermsOfReference, actor: User | None, reason: str) -> None:
    """Called by the vote close, inside its transaction."""
    _end_proposal(proposal)
    audit.record(
        event="terms.rejected",
        actor=actor,
        role=audit.SYSTEM_ROLE if actor is None else "group_chair",
        obj=proposal,
        ics_id=proposal.group.ics_id,
        payload={"version": proposal.version, "reason": reason},
    )


def terms_put_in_force(*, proposal: TermsOfReference, vote: Vote) -> TermsOfReference:
    """Called by the vote close, inside its transaction: the proposal replaces the version
    in force."""
    group = proposal.group
    superseded = group.terms.filter(state=State.IN_FORCE).update(state=State.SUPERSEDED)
    moved = TermsOfReference.objects.filter(pk=proposal.pk, state=State.PROPOSED).update(
        state=State.IN_FORCE, adopted_at=timezone.now()
    )
    if moved != 1:
        raise TermsError("These terms of reference are no longer proposed.")
    proposal.refresh_from_db()
    audit.record(
        event="terms.adopted",
        actor=vote.closed_by,
        role=audit.SYSTEM_ROLE if vote.closed_by is None else "group_chair",
        obj=proposal,
        ics_id=group.ics_id,
        payload={
            "group": group.pk,
            "version": proposal.version,
            "vote": vote.pk,
            "superseded": superseded,
        },
    )
    return proposal
