"""The data the API tests share, built through the real services (so the audit trail is the
real one): in ICS A a position agreed by a named vote, one agreed by a secret ballot, a
meeting with a published agenda (a public item tabling a brief and a private item), the
board's response, and a draft agenda; in ICS B a draft position and a meeting. Also the
helpers the API tests use to call the API. Each test module declares its own `world`
fixture from `build_world` (a fixture imported from here would shadow itself)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from boards.models import AgendaVersion, BoardResponse, Brief, Meeting
from boards.services import briefs as brief_services
from boards.services import meetings as meeting_services
from engagement.api.tokens import api_token_create
from groups import services as group_services
from groups.models import Position, TermsOfReference, Vote
from tests import factories as f
from tests.boards.briefs_fixtures import in_days

# The secret ballot's choices: two for, one abstention. None of them, nor their counts, may
# ever be seen through the API.
SECRET_CHOICES = {"gp_lead": "for", "chair": "for", "gp_rep": "abstain"}


@dataclass
class World:
    cast: object
    named: Position
    named_vote: Vote
    secret: Position
    secret_vote: Vote
    meeting: Meeting
    brief: Brief
    routed: Brief
    agenda: AgendaVersion
    draft: AgendaVersion
    response: BoardResponse
    other_position: Position
    other_meeting: Meeting


def draft_position(cast, title: str, group=None, author=None) -> Position:
    return group_services.position_draft(
        group=group or cast.group,
        actor=author or cast.gp_lead,
        title=title,
        summary="Pool same-day demand across PCNs.",
        ask="Fund it from July 2027.",
    )


def secret_ballots(cast) -> None:
    """From now on the group's votes are secret ballots (as if its terms said so)."""
    TermsOfReference.objects.filter(group=cast.group, state=TermsOfReference.State.IN_FORCE).update(
        ballot=TermsOfReference.Ballot.SECRET
    )


def vote_through(cast, position: Position, choices: dict[str, str]) -> Vote:
    vote = group_services.vote_open(position=position, actor=cast.chair)
    for person, choice in choices.items():
        group_services.vote_cast(vote=vote, voter=getattr(cast, person), choice=choice)
    return group_services.vote_close(vote=vote, actor=cast.chair)


def build_world(cast, make_agreed) -> World:
    named = make_agreed("Same-day access hubs in every place")
    named_vote = Vote.objects.get(position=named)
    secret_ballots(cast)
    secret = draft_position(cast, "Estates: one shared premises plan")
    secret_vote = vote_through(cast, secret, SECRET_CHOICES)
    secret.refresh_from_db()
    meeting = meeting_services.meeting_schedule(
        board=cast.board,
        title="Board meeting in public",
        starts_at=in_days(14),
        ends_at=in_days(14, 13),
        location="Civic Centre",
        actor=cast.secretary,
    )
    brief = brief_services.brief_table(
        board=cast.board, position=named, meeting=meeting, actor=cast.gp_rep
    )
    routed = brief_services.brief_route(
        board=cast.board,
        position=secret,
        route=Brief.Route.WRITTEN_SUBMISSION,
        reason="The board's estates committee takes it first.",
        actor=cast.gp_rep,
    )
    meeting_services.agenda_add_brief(meeting=meeting, brief=brief, actor=cast.secretary)
    meeting_services.agenda_item_add(
        meeting=meeting,
        title="Estates disposal",
        duration_minutes=20,
        purpose="decision",
        part="private",
        confidential_reason="Commercially sensitive negotiations.",
        review_on=timezone.localdate() + dt.timedelta(days=180),
        actor=cast.secretary,
    )
    agenda = meeting_services.agenda_publish(meeting=meeting, actor=cast.secretary)
    meeting_services.agenda_version_start(meeting=meeting, actor=cast.secretary)
    meeting_services.agenda_item_add(
        meeting=meeting,
        title="Draft-only item about redundancies",
        duration_minutes=10,
        purpose="information",
        actor=cast.secretary,
    )
    draft = AgendaVersion.objects.get(meeting=meeting, state=AgendaVersion.State.DRAFT)
    Meeting.objects.filter(pk=meeting.pk).update(
        starts_at=in_days(-1), ends_at=in_days(-1, 13)
    )  # as if it has taken place
    meeting.refresh_from_db()
    brief.refresh_from_db()
    response = brief_services.response_record(
        brief=brief,
        kind=BoardResponse.Kind.ADOPTED_WITH_CHANGES,
        reasons="Phased over two years.",
        meeting=meeting,
        actor=cast.secretary,
    )
    other_position = draft_position(
        cast, "ICS B's own position", group=cast.other_group, author=cast.outsider
    )
    other_meeting = Meeting.objects.create(
        board=cast.other_board,
        title="ICS B board",
        starts_at=in_days(30),
        created_by=cast.outsider,
    )
    return World(
        cast=cast,
        named=named,
        named_vote=named_vote,
        secret=secret,
        secret_vote=secret_vote,
        meeting=meeting,
        brief=brief,
        routed=routed,
        agenda=agenda,
        draft=draft,
        response=response,
        other_position=other_position,
        other_meeting=other_meeting,
    )


@pytest.fixture
def world(cast, make_agreed) -> World:
    return build_world(cast, make_agreed)


def add_other_reviewer(cast):
    """ICS B's staff reviewer: sees ICS B's work, nothing of ICS A's."""
    reviewer = f.UserFactory(email="reviewer@b.example.nhs.uk", full_name="Rae Otherreviewer")
    f.IcsReviewerFactory(ics=cast.other_ics, user=reviewer)
    return reviewer


def token_client(user) -> Client:
    """A client that sends a fresh API token of the person's, as a program would."""
    _, secret = api_token_create(user=user)
    return Client(HTTP_AUTHORIZATION=f"Token {secret}")


def api(name: str, *args) -> str:
    return reverse(f"api:{name}", args=args)


def ids(response) -> list[int]:
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["results"]]


# --- The data is what the tests assume --------------------------------------------------------


def test_the_world_is_what_the_api_tests_assume(world):
    assert world.named.state == Position.State.AGREED
    assert world.named_vote.ballot == TermsOfReference.Ballot.NAMED
    assert world.secret_vote.is_secret and world.secret_vote.outcome == Vote.Outcome.AGREED
    assert (world.secret_vote.in_favour, world.secret_vote.abstain) == (2, 1)
    assert world.brief.is_tabled and world.routed.route == Brief.Route.WRITTEN_SUBMISSION
    items = list(world.agenda.items.order_by("order"))
    assert [i.part for i in items] == ["public", "private"]
    assert items[0].brief_id == world.brief.pk
    assert world.agenda.state == AgendaVersion.State.PUBLISHED
    assert world.draft.items.filter(title__startswith="Draft-only").exists()
    assert world.response.meeting_id == world.meeting.pk
