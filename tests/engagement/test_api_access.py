"""The lists' querysets (engagement.api.visibility) against the screens' access functions:
for every person of the cast and every object, a list holds the object exactly when the
screen's access function lets the person read it."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404

from boards import access as board_access
from boards.models import AgendaVersion, BoardResponse, Brief, Meeting
from engagement import access as review_access
from engagement.api import visibility
from groups import access as group_access
from groups.models import Position, Vote
from icsvoice.models import AuditEvent, User
from tests import factories as f
from tests.engagement.test_api_data import World, add_other_reviewer, build_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(cast, make_agreed) -> World:
    return build_world(cast, make_agreed)


PEOPLE = ("gp_lead", "chair", "gp_rep", "secretary", "board_member", "reviewer", "outsider")


def _agenda(user: User, version: AgendaVersion) -> None:
    board_access.meeting_for_reader(user=user, meeting_id=version.meeting_id)
    if version.state == AgendaVersion.State.DRAFT:
        raise Http404


def _event(user: User, event: AuditEvent) -> None:
    if event.ics_id is None:
        raise Http404
    review_access.ics_for_reviewer(user=user, ics_id=event.ics_id)


# kind: (every object of the kind, the list's queryset, the screen's access check)
KINDS: dict[str, tuple[Callable, Callable, Callable]] = {
    "positions": (
        Position.objects.all,
        visibility.positions,
        lambda u, o: group_access.position_for_reader(user=u, position_id=o.pk),
    ),
    "votes": (
        Vote.objects.all,
        visibility.votes,
        lambda u, o: group_access.vote_for_reader(user=u, vote_id=o.pk),
    ),
    "briefs": (
        Brief.objects.all,
        visibility.briefs,
        lambda u, o: board_access.brief_for_reader(user=u, brief_id=o.pk),
    ),
    "responses": (
        BoardResponse.objects.all,
        visibility.responses,
        lambda u, o: board_access.brief_for_reader(user=u, brief_id=o.brief_id),
    ),
    "meetings": (
        Meeting.objects.all,
        visibility.meetings,
        lambda u, o: board_access.meeting_for_reader(user=u, meeting_id=o.pk),
    ),
    "agendas": (AgendaVersion.objects.all, visibility.agendas, _agenda),
    "audit events": (AuditEvent.objects.all, visibility.audit_events, _event),
}


def _may_read(check: Callable, user: User, obj: object) -> bool:
    try:
        check(user, obj)
    except (Http404, PermissionDenied):
        return False
    return True


@pytest.fixture
def everyone(world) -> list[User]:
    """The cast, ICS B's reviewer, a person with no role, and people whose role has ended."""
    cast = world.cast
    ended_member = f.UserFactory(email="former.lead@a.example.nhs.uk")
    f.GroupMembershipFactory(
        group=cast.group,
        user=ended_member,
        starts_on=world.named.created_at.date().replace(year=2020),
        ends_on=world.named.created_at.date().replace(year=2021),
    )
    ended_reviewer = f.UserFactory(email="former.reviewer@a.example.nhs.uk")
    f.IcsReviewerFactory(
        ics=cast.ics,
        user=ended_reviewer,
        starts_on=world.named.created_at.date().replace(year=2020),
        ends_on=world.named.created_at.date().replace(year=2021),
    )
    nobody = f.UserFactory(email="nobody@example.nhs.uk")
    people = [getattr(cast, name) for name in PEOPLE]
    return [*people, add_other_reviewer(cast), ended_member, ended_reviewer, nobody]


@pytest.mark.parametrize("kind", KINDS)
def test_each_list_holds_exactly_what_the_screens_let_a_person_read(everyone, kind):
    objects, listed, check = KINDS[kind]
    rows = list(objects())
    assert rows
    readable_by_someone = False
    for user in everyone:
        user = User.objects.get(pk=user.pk)  # no roles cached from an earlier check
        expected = {o.pk for o in rows if _may_read(check, user, o)}
        assert set(listed(user).values_list("pk", flat=True)) == expected, (kind, user.email)
        readable_by_someone |= bool(expected)
    assert readable_by_someone


def test_a_session_without_two_factor_gets_json_not_a_redirect(client, cast):
    client.force_login(cast.reviewer)  # no authenticator app set up
    response = client.get("/api/positions/")
    assert response.status_code == 403
    assert "authenticator app" in response.json()["detail"]
