import pytest

from groups.models import GroupMembership
from groups.services import MembershipError, membership_add, membership_end, membership_set_role
from icsvoice.models import AuditEvent
from tests.factories import UserFactory


def test_adding_and_ending_a_membership_is_audited(cast):
    newcomer = UserFactory()
    membership = membership_add(
        group=cast.group, user=newcomer, actor=cast.chair, actor_role="group_chair"
    )
    membership_set_role(membership=membership, role=GroupMembership.Role.CHAIR, actor=None)
    membership_end(membership=membership, actor=cast.chair, actor_role="group_chair")
    events = list(
        AuditEvent.objects.filter(object_id=str(membership.pk)).values_list(
            "event", "ics_id", "actor"
        )
    )
    assert events == [
        ("group.member_added", cast.ics.pk, cast.chair.pk),
        ("group.member_role_changed", cast.ics.pk, None),
        ("group.member_ended", cast.ics.pk, cast.chair.pk),
    ]


def test_a_person_cannot_be_added_twice(cast):
    before = AuditEvent.objects.count()
    with pytest.raises(MembershipError, match="already a member"):
        membership_add(group=cast.group, user=cast.gp_lead, actor=None)
    assert AuditEvent.objects.count() == before
