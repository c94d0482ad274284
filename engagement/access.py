"""The only way an engagement page gets an ICS for a person. Everyone sees their own ICS and
nothing else: another ICS is a 404 (its existence is not confirmed); a person in the ICS
without the role a page needs gets a 403. Each family of pages names its rule here.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

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


def ics_for(*, user: User, ics_id: int, allowed: Callable[[User, int], bool], refusal: str) -> ICS:
    """The ICS, when it is the person's and `allowed(user, ics_id)`; 404 or 403 otherwise."""
    if ics_id not in ics_ids_for(user):
        raise Http404("No such ICS.")
    if not allowed(user, ics_id):
        raise PermissionDenied(refusal)
    ics = ICS.objects.filter(pk=ics_id).first()
    if ics is None:
        raise Http404("No such ICS.")
    return ics


def _any_role(*codes: str) -> Callable[[User, int], bool]:
    def allowed(user: User, ics_id: int) -> bool:
        return any(has_role(user, code, ics_id=ics_id) for code in codes)

    return allowed


# The audit trail, journeys list and reports.
is_reviewer = _any_role("ics_reviewer")
# The stakeholder register and the engagement log: the groups keep them; reviewers read them.
is_register_manager = _any_role("group_member", "group_chair")
is_register_reader = _any_role("group_member", "group_chair", "ics_reviewer")
REGISTER_READERS_ONLY = (
    "Only the ICS's leadership group members and chairs, and its staff reviewers, can see this."
)
REGISTER_MANAGERS_ONLY = "Only the ICS's leadership group members and chairs can change this."
# Exit interviews: ICS staff and group chairs invite, and are the readers chosen from.
is_interview_staff = _any_role("ics_reviewer", "group_chair")
INTERVIEW_STAFF_ONLY = "Only the ICS's staff reviewers and leadership group chairs can see this."
# Learning reviews: the ICS's list.
is_learning_lister = _any_role("ics_reviewer", "group_chair", "board_secretary")
LEARNING_LISTERS_ONLY = (
    "Only ICS staff reviewers, group chairs and board secretaries can see learning reviews."
)


# Each family's gate: ics_for_...(user=, ics_id=) -> ICS.
ics_for_reviewer = partial(ics_for, allowed=is_reviewer, refusal=REVIEWERS_ONLY)
ics_for_register_reader = partial(
    ics_for, allowed=is_register_reader, refusal=REGISTER_READERS_ONLY
)
ics_for_register_manager = partial(
    ics_for, allowed=is_register_manager, refusal=REGISTER_MANAGERS_ONLY
)
ics_for_interview_staff = partial(ics_for, allowed=is_interview_staff, refusal=INTERVIEW_STAFF_ONLY)
ics_for_learning_list = partial(ics_for, allowed=is_learning_lister, refusal=LEARNING_LISTERS_ONLY)
