"""What the primary care services share: who the actor is in a group, and its members."""

from __future__ import annotations

from django.urls import reverse

from groups.models import GroupMembership, LeadershipGroup, Position
from icsvoice.errors import DomainError
from icsvoice.models import User


class PositionError(DomainError):
    pass


class VoteError(DomainError):
    pass


def membership_of(group: LeadershipGroup, user: User) -> GroupMembership | None:
    return GroupMembership.objects.current().filter(group=group, user=user).first()


def require_member(group: LeadershipGroup, user: User) -> GroupMembership:
    membership = membership_of(group, user)
    if membership is None:
        raise DomainError("Only current members of this group can do this.")
    return membership


def require_chair(group: LeadershipGroup, user: User) -> GroupMembership:
    membership = membership_of(group, user)
    if membership is None or membership.role != GroupMembership.Role.CHAIR:
        raise DomainError("Only the chair of this group can do this.")
    return membership


def role_code(membership: GroupMembership) -> str:
    return "group_chair" if membership.role == GroupMembership.Role.CHAIR else "group_member"


def require_author_or_chair(position: Position, user: User) -> GroupMembership:
    membership = require_member(position.group, user)
    if membership.role == GroupMembership.Role.CHAIR:
        return membership
    if position.created_by_id == user.pk or position.coauthors.filter(pk=user.pk).exists():
        return membership
    raise DomainError("Only the position's authors or the chair can do this.")


def member_ids(group: LeadershipGroup) -> list[int]:
    return list(
        GroupMembership.objects.current().filter(group=group).values_list("user_id", flat=True)
    )


def author_ids(position: Position) -> set[int]:
    return {position.created_by_id, *position.coauthors.values_list("pk", flat=True)}


def chair_ids(group: LeadershipGroup) -> list[int]:
    return list(
        GroupMembership.objects.current()
        .filter(group=group, role=GroupMembership.Role.CHAIR)
        .values_list("user_id", flat=True)
    )


def position_url(position: Position) -> str:
    return reverse("groups:position-detail", args=[position.pk])
