"""The only way a view gets a primary care object for a person.

Another ICS's object is a 404 (its existence is not confirmed); a role that may not do
the thing is a 403.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404

from groups.models import ICS, GroupMembership, LeadershipGroup
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
