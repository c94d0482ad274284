"""Reads of the primary care side that depend on who asks."""

from __future__ import annotations

from groups.models import GroupMembership, IcsReviewer
from icsvoice.models import User
from icsvoice.registry import RoleGrant

ROLE_CODES = {
    GroupMembership.Role.MEMBER: "group_member",
    GroupMembership.Role.CHAIR: "group_chair",
}


def role_grants(user: User) -> list[RoleGrant]:
    grants = [
        RoleGrant(
            ics_id=m.group.ics_id,
            ics_name=m.group.ics.name,
            code=ROLE_CODES[GroupMembership.Role(m.role)],
            label=m.get_role_display(),
            scope=m.group.name,
        )
        for m in GroupMembership.objects.current().filter(user=user).select_related("group__ics")
    ]
    grants += [
        RoleGrant(
            ics_id=r.ics_id,
            ics_name=r.ics.name,
            code="ics_reviewer",
            label="ICS staff reviewer",
            scope=r.ics.name,
        )
        for r in IcsReviewer.objects.current().filter(user=user).select_related("ics")
    ]
    return grants
