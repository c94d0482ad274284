"""Writes on the register of interests."""

from __future__ import annotations

import datetime as dt

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from groups.models import (
    Interest,
    InterestCategory,
    LeadershipGroup,
    Position,
    PositionDeclaration,
    Vote,
    VoteEligibility,
    VoteParticipation,
    today,
)
from groups.services.common import (
    PositionError,
    chair_ids,
    membership_of,
    position_url,
    require_chair,
    require_member,
    role_code,
)
from icsvoice import audit
from icsvoice.errors import DomainError
from icsvoice.models import User
from icsvoice.notifications import notify
from icsvoice.text import check_plain


class InterestError(DomainError):
    pass


def _actor_membership(group: LeadershipGroup, member: User, actor: User):
    if actor.pk == member.pk:
        return require_member(group, actor)
    membership = require_chair(group, actor)
    if membership_of(group, member) is None:
        raise InterestError(f"{member} is not a current member of this group.")
    return membership


@transaction.atomic
def interest_register(
    *,
    group: LeadershipGroup,
    member: User,
    actor: User,
    category: str,
    description: str,
    starts_on: dt.date,
    ends_on: dt.date | None = None,
) -> Interest:
    """A member adds an entry to their register (or the chair adds it for them)."""
    membership = _actor_membership(group, member, actor)
    if category not in InterestCategory.values:
        raise InterestError("Choose the kind of interest.")
    description = description.strip()
    if not description:
        raise InterestError("Describe the interest.")
    check_plain({"The description": description})
    if starts_on > today():
        raise InterestError("The date the interest began must be today or in the past.")
    if ends_on is not None and ends_on < starts_on:
        raise InterestError("The date the interest ended must be on or after the date it began.")
    interest = Interest.objects.create(
        group=group,
        member=member,
        category=category,
        description=description,
        starts_on=starts_on,
        ends_on=ends_on,
        recorded_by=actor,
    )
    audit.record(
        event="interest.registered",
        actor=actor,
        role=role_code(membership),
        obj=interest,
        ics_id=group.ics_id,
        payload={
            "member": member.pk,
            "category": category,
            "starts_on": starts_on,
            "ends_on": ends_on,
            "on_behalf": actor.pk != member.pk,
        },
    )
    return interest


@transaction.atomic
def interest_end(*, interest: Interest, actor: User, ends_on: dt.date | None = None) -> Interest:
    membership = _actor_membership(interest.group, interest.member, actor)
    ends_on = ends_on or today()
    if ends_on < interest.starts_on:
        raise InterestError("The date the interest ended must be on or after the date it began.")
    moved = Interest.objects.filter(pk=interest.pk, ends_on__isnull=True).update(ends_on=ends_on)
    if moved != 1:
        raise InterestError("This interest has already ended.")
    interest.ends_on = ends_on
    audit.record(
        event="interest.ended",
        actor=actor,
        role=role_code(membership),
        obj=interest,
        ics_id=interest.group.ics_id,
        payload={"member": interest.member_id, "ends_on": ends_on},
    )
    return interest


@transaction.atomic
def declaration_add(
    *,
    position: Position,
    member: User,
    actor: User,
    category: str,
    description: str,
    interest: Interest | None = None,
) -> PositionDeclaration:
    """A member declares an interest in a position (or the chair records it for them).
    They are recused from its votes: from an open one too, unless they have already voted
    in it, which is refused because a secret ballot cannot be taken back."""
    group = position.group
    if actor.pk == member.pk:
        actor_membership = require_member(group, actor)
    else:
        actor_membership = require_chair(group, actor)
    if membership_of(group, member) is None:
        raise PositionError(f"{member} is not a current member of this group.")
    if category not in InterestCategory.values:
        raise PositionError("Choose the kind of interest.")
    description = description.strip()
    if not description:
        raise PositionError("Describe the interest.")
    check_plain({"The description": description})
    if interest is not None and (interest.member_id != member.pk or interest.group_id != group.pk):
        raise PositionError("That register entry belongs to someone else.")
    # Lock the position first: vote_open locks it too, so a declaration and an opening
    # vote cannot cross (the declarer would otherwise miss the eligibility snapshot).
    Position.objects.select_for_update(of=("self",)).filter(pk=position.pk).first()
    open_vote = (
        Vote.objects.select_for_update().filter(position=position, state=Vote.State.OPEN).first()
    )
    if open_vote and VoteParticipation.objects.filter(vote=open_vote, voter=member).exists():
        raise PositionError(
            f"{member} has already voted in the open round. Declare before voting; the chair "
            "can close this round and open a new one without that vote."
        )
    try:
        with transaction.atomic():
            declaration = PositionDeclaration.objects.create(
                position=position,
                member=member,
                category=category,
                description=description,
                interest=interest,
                recorded_by=actor,
            )
    except IntegrityError:
        raise PositionError(
            f"{member} has already declared an interest in this position."
        ) from None
    if open_vote:
        recused = VoteEligibility.objects.filter(
            vote=open_vote, member=member, recused=False
        ).update(recused=True, recused_at=timezone.now())
        if recused:
            Vote.objects.filter(pk=open_vote.pk).update(eligible_count=F("eligible_count") - 1)
    audit.record(
        event="position.interest_declared",
        actor=actor,
        role=role_code(actor_membership),
        obj=declaration,
        ics_id=group.ics_id,
        payload={
            "position": position.pk,
            "member": member.pk,
            "category": category,
            "on_behalf": actor.pk != member.pk,
            "recused_from_open_vote": open_vote.pk if open_vote else None,
        },
    )
    notify(
        kind="position.interest_declared",
        obj=declaration,
        recipients=[member.pk, *chair_ids(group)],
        subject=f"Interest declared on “{position.title}”",
        body=f"{actor} recorded {member}'s interest; {member} is recused from its votes.",
        url=position_url(position),
        exclude=actor,
    )
    return declaration
