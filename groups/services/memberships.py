"""Every write on the primary care side. Each writes its audit event in its transaction."""

from __future__ import annotations

import datetime as dt

from django.db import IntegrityError, transaction
from django.utils import timezone

from groups.models import GroupMembership, IcsReviewer, LeadershipGroup, TermsOfReference, today
from icsvoice import audit
from icsvoice.errors import DomainError
from icsvoice.models import User


class MembershipError(DomainError):
    pass


@transaction.atomic
def membership_add(
    *,
    group: LeadershipGroup,
    user: User,
    role: str = GroupMembership.Role.MEMBER,
    starts_on: dt.date | None = None,
    actor: User | None,
    actor_role: str = "site_admin",
) -> GroupMembership:
    """Adds a person to a group. Refuses a second open membership of the same group."""
    try:
        with transaction.atomic():
            membership = GroupMembership.objects.create(
                group=group, user=user, role=role, starts_on=starts_on or today()
            )
    except IntegrityError:
        raise MembershipError(f"{user} is already a member of {group}.") from None
    audit.record(
        event="group.member_added",
        actor=actor,
        role=actor_role,
        obj=membership,
        ics_id=group.ics_id,
        payload={
            "group": group.pk,
            "user": user.pk,
            "role": role,
            "starts_on": membership.starts_on,
        },
    )
    return membership


@transaction.atomic
def membership_end(
    *,
    membership: GroupMembership,
    ends_on: dt.date | None = None,
    actor: User | None,
    actor_role: str = "site_admin",
) -> GroupMembership:
    ends_on = ends_on or today()
    if ends_on < membership.starts_on:
        raise MembershipError("A membership cannot end before it starts.")
    moved = GroupMembership.objects.filter(pk=membership.pk, ends_on__isnull=True).update(
        ends_on=ends_on
    )
    if moved != 1:
        raise MembershipError("This membership has already ended.")
    membership.refresh_from_db()
    audit.record(
        event="group.member_ended",
        actor=actor,
        role=actor_role,
        obj=membership,
        ics_id=membership.group.ics_id,
        payload={"group": membership.group_id, "user": membership.user_id, "ends_on": ends_on},
    )
    return membership


@transaction.atomic
def membership_set_role(
    *, membership: GroupMembership, role: str, actor: User | None, actor_role: str = "site_admin"
) -> GroupMembership:
    previous = membership.role
    GroupMembership.objects.filter(pk=membership.pk).update(role=role)
    membership.role = role
    audit.record(
        event="group.member_role_changed",
        actor=actor,
        role=actor_role,
        obj=membership,
        ics_id=membership.group.ics_id,
        payload={"user": membership.user_id, "from": previous, "to": role},
    )
    return membership


@transaction.atomic
def reviewer_add(
    *, ics_id: int, user: User, actor: User | None, actor_role: str = "site_admin"
) -> IcsReviewer:
    try:
        with transaction.atomic():
            reviewer = IcsReviewer.objects.create(ics_id=ics_id, user=user)
    except IntegrityError:
        raise MembershipError(f"{user} is already an ICS staff reviewer here.") from None
    audit.record(
        event="ics.reviewer_added",
        actor=actor,
        role=actor_role,
        obj=reviewer,
        ics_id=ics_id,
        payload={"user": user.pk},
    )
    return reviewer


@transaction.atomic
def terms_adopt_initial(
    *,
    group: LeadershipGroup,
    terms: TermsOfReference,
    actor: User | None,
    actor_role: str = "site_admin",
) -> TermsOfReference:
    """Puts a group's first terms of reference in force (later versions are adopted by vote)."""
    if group.terms.filter(state=TermsOfReference.State.IN_FORCE).exists():
        raise DomainError(
            "This group already has terms of reference in force; propose a new version."
        )
    terms.group = group
    terms.version = 1
    terms.state = TermsOfReference.State.IN_FORCE
    terms.proposed_by = actor
    terms.adopted_at = timezone.now()
    terms.save()
    audit.record(
        event="terms.adopted",
        actor=actor,
        role=actor_role,
        obj=terms,
        ics_id=group.ics_id,
        payload={"group": group.pk, "version": 1},
    )
    return terms
