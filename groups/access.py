"""The only way a view gets a primary care object for a person.

Another ICS's object is a 404 (its existence is not confirmed); a role that may not do
the thing is a 403.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404

from groups.models import (
    ICS,
    Amendment,
    Attachment,
    GroupMembership,
    Interest,
    LeadershipGroup,
    Position,
    Vote,
)
from icsvoice.models import User
from icsvoice.registry import has_role, ics_ids_for


def ics_for_user(*, user: User, ics_id: int) -> ICS:
    if ics_id not in ics_ids_for(user):
        raise Http404("No such ICS.")
    return ICS.objects.get(pk=ics_id)


def _group_in_users_ics(user: User, group_id: int) -> LeadershipGroup:
    group = LeadershipGroup.objects.select_related("ics").filter(pk=group_id).first()
    if group is None:
        raise Http404("No such leadership group.")
    if group.ics_id not in ics_ids_for(user):
        raise Http404("No such leadership group.")
    return group


def group_for_reader(*, user: User, group_id: int) -> LeadershipGroup:
    """Members, chairs and the ICS's staff reviewers may read a group's work."""
    group = _group_in_users_ics(user, group_id)
    if _membership(user, group) is not None:
        return group
    if has_role(user, "ics_reviewer", ics_id=group.ics_id):
        return group
    raise PermissionDenied("Only members of this group and ICS staff reviewers can see this.")


def group_for_member(*, user: User, group_id: int) -> LeadershipGroup:
    """Current members (and chairs) may draft, comment and vote."""
    group = _group_in_users_ics(user, group_id)
    if _membership(user, group) is None:
        raise PermissionDenied("Only current members of this group can do this.")
    return group


def group_for_chair(*, user: User, group_id: int) -> LeadershipGroup:
    group = _group_in_users_ics(user, group_id)
    membership = _membership(user, group)
    if membership is None:
        raise PermissionDenied("Only the chair of this group can do this.")
    if membership.role != GroupMembership.Role.CHAIR:
        raise PermissionDenied("Only the chair of this group can do this.")
    return group


def _membership(user: User, group: LeadershipGroup) -> GroupMembership | None:
    return GroupMembership.objects.current().filter(user=user, group=group).first()


# --- Positions, votes, evidence ------------------------------------------------------------


def position_for_reader(*, user: User, position_id: int) -> Position:
    """The position with its group; 404 outside the person's ICS, 403 for non-members
    other than the ICS's staff reviewers."""
    position = (
        Position.objects.select_related("group__ics", "current_version", "created_by")
        .filter(pk=position_id)
        .first()
    )
    if position is None:
        raise Http404("No such position.")
    group_for_reader(user=user, group_id=position.group_id)
    return position


def position_for_member(*, user: User, position_id: int) -> Position:
    position = position_for_reader(user=user, position_id=position_id)
    group_for_member(user=user, group_id=position.group_id)
    return position


def position_for_chair(*, user: User, position_id: int) -> Position:
    position = position_for_reader(user=user, position_id=position_id)
    group_for_chair(user=user, group_id=position.group_id)
    return position


def position_for_author(*, user: User, position_id: int) -> Position:
    """Authors (creator and co-authors) and the chair."""
    position = position_for_member(user=user, position_id=position_id)
    membership = _membership(user, position.group)
    if membership is not None and membership.role == GroupMembership.Role.CHAIR:
        return position
    if position.created_by_id == user.pk:
        return position
    if position.coauthors.filter(pk=user.pk).exists():
        return position
    raise PermissionDenied("Only the position's authors or the chair can do this.")


def amendment_for_author(*, user: User, amendment_id: int) -> Amendment:
    amendment = Amendment.objects.filter(pk=amendment_id).first()
    if amendment is None:
        raise Http404("No such amendment.")
    position_for_author(user=user, position_id=amendment.position_id)
    return amendment


def attachment_for_reader(*, user: User, attachment_id: int) -> Attachment:
    attachment = Attachment.objects.filter(pk=attachment_id).first()
    if attachment is None:
        raise Http404("No such document.")
    position_for_reader(user=user, position_id=attachment.position_id)
    return attachment


def vote_for_reader(*, user: User, vote_id: int) -> Vote:
    vote = (
        Vote.objects.select_related(
            "group__ics", "terms", "position", "version", "terms_proposal", "opened_by", "closed_by"
        )
        .filter(pk=vote_id)
        .first()
    )
    if vote is None:
        raise Http404("No such vote.")
    group_for_reader(user=user, group_id=vote.group_id)
    return vote


def vote_for_member(*, user: User, vote_id: int) -> Vote:
    vote = vote_for_reader(user=user, vote_id=vote_id)
    group_for_member(user=user, group_id=vote.group_id)
    return vote


def vote_for_chair(*, user: User, vote_id: int) -> Vote:
    vote = vote_for_reader(user=user, vote_id=vote_id)
    group_for_chair(user=user, group_id=vote.group_id)
    return vote


def is_chair(user: User, group: LeadershipGroup) -> bool:
    membership = _membership(user, group)
    return membership is not None and membership.role == GroupMembership.Role.CHAIR


def is_member(user: User, group: LeadershipGroup) -> bool:
    return _membership(user, group) is not None


def interest_for_member_or_chair(*, user: User, interest_id: int) -> Interest:
    """A register entry, for the member it belongs to or the group's chair."""
    interest = Interest.objects.select_related("group", "member").filter(pk=interest_id).first()
    if interest is None:
        raise Http404("No such interest.")
    group = group_for_member(user=user, group_id=interest.group_id)
    if interest.member_id == user.pk:
        return interest
    if is_chair(user, group):
        return interest
    raise PermissionDenied("Only the member or the group's chair can end this interest.")
