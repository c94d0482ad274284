"""The only way a review page gets an ICS for a person: ICS staff reviewers see their own ICS
and nothing else. Another ICS is a 404 (its existence is not confirmed); a person in the ICS
who is not one of its staff reviewers gets a 403.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404

from groups.models import ICS
from icsvoice.models import User
from icsvoice.registry import has_role, ics_ids_for, roles_for

REVIEWERS_ONLY = "Only the ICS's staff reviewers can see this."


def reviewed_ics_ids(user: User) -> list[int]:
    """The ICSs a person reviews, in name order."""
    return sorted(
        {grant.ics_id for grant in roles_for(user) if grant.code == "ics_reviewer"},
    )


def ics_for_reviewer(*, user: User, ics_id: int) -> ICS:
    if ics_id not in ics_ids_for(user):
        raise Http404("No such ICS.")
    if not has_role(user, "ics_reviewer", ics_id=ics_id):
        raise PermissionDenied(REVIEWERS_ONLY)
    ics = ICS.objects.filter(pk=ics_id).first()
    if ics is None:
        raise Http404("No such ICS.")
    return ics
