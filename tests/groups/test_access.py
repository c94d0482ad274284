"""Access helpers: another ICS is a 404, a wrong role a 403, for each helper."""

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404

from boards import access as board_access
from groups import access as group_access
from icsvoice.registry import ics_ids_for, roles_for


def test_roles_are_scoped_to_their_ics(cast):
    assert ics_ids_for(cast.gp_lead) == {cast.ics.pk}
    assert ics_ids_for(cast.outsider) == {cast.other_ics.pk}
    codes = {g.code for g in roles_for(cast.gp_rep)}
    assert codes == {"group_member", "board_gp_representative"}


def test_ended_roles_no_longer_count(cast):
    from groups.services import membership_end

    membership = cast.gp_lead.group_memberships.get()
    membership_end(membership=membership, actor=cast.chair, actor_role="group_chair")
    person = type(cast.gp_lead).objects.get(pk=cast.gp_lead.pk)  # roles are cached per object
    assert roles_for(person) == []
    with pytest.raises(Http404):
        group_access.group_for_member(user=person, group_id=cast.group.pk)


@pytest.mark.parametrize(
    ("helper", "allowed", "wrong_role"),
    [
        (group_access.group_for_reader, ["gp_lead", "chair", "reviewer"], "secretary"),
        (group_access.group_for_member, ["gp_lead", "chair"], "reviewer"),
        (group_access.group_for_chair, ["chair"], "gp_lead"),
    ],
)
def test_group_access(cast, helper, allowed, wrong_role):
    for name in allowed:
        assert helper(user=getattr(cast, name), group_id=cast.group.pk) == cast.group
    with pytest.raises(PermissionDenied):
        helper(user=getattr(cast, wrong_role), group_id=cast.group.pk)
    with pytest.raises(Http404):
        helper(user=cast.outsider, group_id=cast.group.pk)
    with pytest.raises(Http404):
        helper(user=cast.chair, group_id=cast.other_group.pk)
    with pytest.raises(Http404):
        helper(user=cast.chair, group_id=999_999)


@pytest.mark.parametrize(
    ("helper", "allowed", "wrong_role"),
    [
        (
            board_access.board_for_reader,
            ["gp_rep", "secretary", "board_member", "reviewer"],
            "gp_lead",
        ),
        (board_access.board_for_secretary, ["secretary"], "gp_rep"),
        (board_access.board_for_gp_representative, ["gp_rep"], "secretary"),
    ],
)
def test_board_access(cast, helper, allowed, wrong_role):
    for name in allowed:
        assert helper(user=getattr(cast, name), board_id=cast.board.pk) == cast.board
    with pytest.raises(PermissionDenied):
        helper(user=getattr(cast, wrong_role), board_id=cast.board.pk)
    with pytest.raises(Http404):
        helper(user=cast.outsider, board_id=cast.board.pk)
    with pytest.raises(Http404):
        helper(user=cast.secretary, board_id=cast.other_board.pk)


def test_ics_for_user(cast):
    assert group_access.ics_for_user(user=cast.reviewer, ics_id=cast.ics.pk) == cast.ics
    with pytest.raises(Http404):
        group_access.ics_for_user(user=cast.reviewer, ics_id=cast.other_ics.pk)
