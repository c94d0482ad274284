"""A position's journey: the page, CSV and JSON. The position is taken through the real
services from its first draft to the board's response (a named round not agreed, a secret
round agreed, tabled, the meeting, the account, deferred then adopted), and the journey must
show every step in order, with its audit event, and nothing of how anyone voted in secret."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
from dataclasses import dataclass

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from boards.models import Brief, Meeting
from boards.services import briefs as brief_services
from boards.services import conduct as conduct_services
from boards.services import meetings as meeting_services
from engagement.journey import journey
from groups import services as gs
from groups.models import Position, Vote
from icsvoice.models import AuditEvent, User
from tests import factories as f
from tests.boards.briefs_fixtures import held, meeting, table
from tests.boards.conftest import pdf_upload
from tests.helpers import page, sign_in

pytestmark = pytest.mark.django_db

CHOICE_WORDS = ("For", "Against", "Abstain", "in favour", "Agree", "Object")


@dataclass
class Story:
    position: Position
    named: Vote
    secret: Vote
    brief: Brief
    declarer: User


def _votes(vote: Vote, choices: dict[User, str]) -> None:
    for voter, choice in choices.items():
        gs.vote_cast(vote=vote, voter=voter, choice=choice)


def _use_ballot(cast, ballot: str, voters) -> None:
    """The group adopts terms of reference with this kind of ballot, by its own vote."""
    if cast.group.terms.get(state="in_force").ballot == ballot:
        return
    proposal = gs.terms_propose(
        group=cast.group,
        actor=cast.chair,
        ballot=ballot,
        results_hidden_until_close=True,
        review_date=timezone.localdate() + dt.timedelta(days=365),
    )
    vote = gs.vote_open_on_terms(proposal=proposal, actor=cast.chair)
    _votes(vote, dict.fromkeys(voters, "for"))
    gs.vote_close(vote=vote, actor=cast.chair)


def take_through(cast, *, title: str = "Same-day access hubs in every place", padding: int = 0):
    """Draft, revise, amend (one accepted, one declined), evidence, a declared interest, a
    named round not agreed, a revision, the group's move to secret ballots, a secret round
    agreed, tabled, on the agenda, the meeting held, the account, the board's response
    deferred, its due date moved, then adopted. `padding` adds that many more revisions,
    declined amendments, documents and named rounds, for query counts."""
    group = cast.group
    declarer = f.UserFactory(email="dee@a.example.nhs.uk", full_name="Dr Dee Declarer")
    if not group.memberships.filter(user=declarer).exists():
        f.GroupMembershipFactory(group=group, user=declarer)
    position = gs.position_draft(
        group=group,
        actor=cast.gp_lead,
        title=title,
        summary="Pool same-day demand across PCNs in each place.",
        ask="Fund one same-day access hub per place from July 2027.",
        coauthors=[cast.gp_rep],
    )
    gs.position_revise(
        position=position,
        actor=cast.gp_lead,
        change_note="Costs added",
        resource_implications="About 1.2 million pounds a year across the ICS.",
    )
    gs.position_set_coauthors(
        position=position, actor=cast.gp_lead, coauthors=[cast.gp_rep, cast.chair]
    )
    accepted = gs.amendment_propose(
        position=position,
        actor=cast.chair,
        field="ask",
        proposed_text="Fund one same-day access hub per place from April 2027.",
        reason="Start with the financial year.",
    )
    gs.amendment_accept(amendment=accepted, actor=cast.gp_lead)
    declined = gs.amendment_propose(
        position=position,
        actor=cast.gp_rep,
        field="summary",
        proposed_text="Pool demand.",
        reason="Shorter.",
    )
    gs.amendment_decline(amendment=declined, actor=cast.gp_lead, reason="Too short to stand alone.")
    gs.attachment_add(
        position=position, actor=cast.gp_lead, title="Demand audit 2025", upload=pdf_upload()
    )
    for n in range(padding):
        gs.position_revise(
            position=position, actor=cast.gp_lead, change_note=f"Tidy {n}", timeline=f"Phase {n}"
        )
        extra = gs.amendment_propose(
            position=position,
            actor=cast.chair,
            field="trade_offs",
            proposed_text=f"Trade-off {n}",
            reason=f"Reason {n}",
        )
        gs.amendment_decline(amendment=extra, actor=cast.gp_lead, reason=f"No, {n}")
        gs.attachment_add(
            position=position, actor=cast.gp_lead, title=f"Paper {n}", upload=pdf_upload()
        )
    gs.declaration_add(
        position=position,
        member=declarer,
        actor=declarer,
        category="financial",
        description="Partner in a practice bidding to host a hub.",
    )
    voters = (cast.gp_lead, cast.chair, cast.gp_rep)
    for n in range(padding):
        extra_round = gs.vote_open(position=position, actor=cast.chair)
        _votes(extra_round, dict.fromkeys(voters, "against"))
        gs.vote_close(vote=extra_round, actor=cast.chair)
        gs.position_revise(
            position=position, actor=cast.gp_lead, change_note=f"Round {n}", body=f"Case {n}"
        )
    _use_ballot(cast, "named", (*voters, declarer))
    named = gs.vote_open(position=position, actor=cast.chair)
    _votes(named, {cast.gp_lead: "for", cast.chair: "against", cast.gp_rep: "against"})
    gs.vote_close(vote=named, actor=cast.chair)
    gs.position_revise(
        position=position,
        actor=cast.gp_lead,
        change_note="Phased start, as the group asked",
        timeline="Two places in 2027, the rest in 2028.",
    )
    _use_ballot(cast, "secret", (*voters, declarer))
    secret = gs.vote_open(position=position, actor=cast.chair)
    _votes(secret, {cast.gp_lead: "for", cast.chair: "for", cast.gp_rep: "against"})
    # Closed by the deadline job, so no person is named on the close.
    Vote.objects.filter(pk=secret.pk).update(closes_at=timezone.now() - dt.timedelta(seconds=1))
    gs.votes_close_due()
    position.refresh_from_db()
    assert position.state == Position.State.AGREED

    at = meeting(cast.board, cast.secretary, 21)
    brief = table(cast, position, at)
    meeting_services.agenda_item_add(
        meeting=at,
        title="Welcome and apologies",
        duration_minutes=5,
        purpose="information",
        actor=cast.secretary,
    )
    meeting_services.agenda_add_brief(meeting=at, brief=brief, actor=cast.secretary)
    meeting_services.agenda_publish(meeting=at, actor=cast.secretary)
    brief = held(brief)
    conduct_services.attendance_record(
        meeting=Meeting.objects.get(pk=at.pk),
        statuses={p.pk: "present" for p in (cast.gp_rep, cast.secretary, cast.board_member)},
        actor=cast.secretary,
    )
    brief_services.brief_account_record(
        brief=brief, account="I presented it; the board asked for a costed plan.", actor=cast.gp_rep
    )
    for n in range(padding):
        brief_services.brief_account_record(
            brief=brief, account=f"I presented it; revision {n}.", actor=cast.gp_rep
        )
    today = timezone.localdate()
    brief_services.response_record(
        brief=brief,
        kind="deferred",
        reasons="Awaiting the finance committee.",
        meeting=Meeting.objects.get(pk=at.pk),
        due_on=today + dt.timedelta(days=60),
        actor=cast.secretary,
    )
    for n in range(padding + 1):
        brief_services.response_due_change(
            brief=brief,
            due_on=today + dt.timedelta(days=70 + n),
            reason=f"The finance committee moved ({n}).",
            actor=cast.secretary,
        )
    brief_services.response_record(
        brief=brief, kind="adopted", reasons="Adopted in full.", actor=cast.secretary
    )
    return Story(position=position, named=named, secret=secret, brief=brief, declarer=declarer)


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def story(cast, media) -> Story:
    return take_through(cast)


def _url(name: str, of: Story | Position) -> str:
    position = of.position if isinstance(of, Story) else of
    return reverse(f"engagement:{name}", args=[position.pk])


EXPECTED = [
    "drafted",
    "revised",
    "coauthors_changed",
    "amendment_proposed",
    "amendment_accepted",
    "revised",
    "amendment_proposed",
    "amendment_declined",
    "evidence_added",
    "interest_declared",
    "vote_opened",
    "vote_closed",
    "not_agreed",
    "revised",
    "vote_opened",
    "vote_closed",
    "agreed",
    "brief_tabled",
    "agenda_added",
    "agenda_published",
    "meeting_held",
    "account_recorded",
    "response",
    "response_due_changed",
    "response",
]


# --- The steps -------------------------------------------------------------------------------


def test_every_step_from_draft_to_the_boards_response_in_order(cast, story):
    steps = journey(story.position, reader=cast.reviewer).steps
    assert [s.kind for s in steps] == EXPECTED
    by_kind = {}
    for step in steps:
        by_kind.setdefault(step.kind, []).append(step)
    drafted = by_kind["drafted"][0]
    assert drafted.actor == "Dr Asha Lead"
    assert dict(drafted.facts)["Co-authors"] == "Dr Rhiannon Rep"
    assert [dict(s.facts)["Version"] for s in by_kind["revised"]] == ["2", "3", "4"]
    assert by_kind["revised"][0].text == "Costs added"
    assert dict(by_kind["coauthors_changed"][0].facts) == {"Added": "Dr Chidi Chair"}
    assert by_kind["amendment_accepted"][0].text.endswith("It is in version 3.")
    assert "Too short to stand alone." in by_kind["amendment_declined"][0].text
    assert "Dr Dee Declarer" in by_kind["interest_declared"][0].label

    named_open, secret_open = by_kind["vote_opened"]
    assert dict(named_open.facts)["Version voted on"] == "3"
    assert dict(named_open.facts)["Terms of reference in force"] == "Version 1"
    assert dict(named_open.facts)["Ballot"] == "Named"
    assert dict(named_open.facts)["Recused"] == "Dr Dee Declarer"
    assert dict(secret_open.facts)["Version voted on"] == "4"
    assert dict(secret_open.facts)["Terms of reference in force"] == "Version 2"
    assert dict(secret_open.facts)["Ballot"] == "Secret"
    named_closed, secret_closed = by_kind["vote_closed"]
    assert dict(named_closed.facts) == {
        "Outcome": "Not agreed",
        "Eligible": "3",
        "Voted": "3",
        "Recused": "1",
        "Quorum needed": "2",
        "For": "1",
        "Against": "2",
        "Abstain": "0",
    }
    assert named_closed.actor == "Dr Chidi Chair"
    assert dict(secret_closed.facts) == {
        "Outcome": "Agreed",
        "Eligible": "3",
        "Voted": "3",
        "Recused": "1",
        "Quorum needed": "2",
    }
    assert secret_closed.actor == ""

    tabled = by_kind["brief_tabled"][0]
    assert tabled.actor == "Dr Rhiannon Rep"
    assert dict(tabled.facts)["Version agreed"] == "4"
    published = dict(by_kind["agenda_published"][0].facts)
    assert (published["Agenda version"], published["Item"]) == ("1", "2")
    assert published["Part"] == "Part 1 (in public)"
    assert by_kind["account_recorded"][0].text.startswith("I presented it")
    deferred, adopted = by_kind["response"]
    today = timezone.localdate()
    assert dict(deferred.facts)["Response"] == "Deferred"
    assert dict(deferred.facts)["Now due by"] == f"{today + dt.timedelta(days=60):%-d %B %Y}"
    moved = dict(by_kind["response_due_changed"][0].facts)
    assert moved["Now due by"] == f"{today + dt.timedelta(days=70):%-d %B %Y}"
    assert dict(adopted.facts)["On time"] == "Yes"
    assert adopted.actor == "Sam Secretary"


def test_each_step_cites_the_audit_event_that_records_it(cast, story):
    steps = journey(story.position, reader=cast.reviewer).steps
    cited = [s.evidence.event_id for s in steps if s.evidence]
    assert len(cited) == len(steps)  # every step here was written through a service
    events = {e.pk: e for e in AuditEvent.objects.filter(pk__in=cited)}
    expected_events = {
        "drafted": "position.drafted",
        "revised": "position.revised",
        "vote_opened": "vote.opened",
        "vote_closed": "vote.closed",
        "agreed": "vote.closed",
        "brief_tabled": "board.brief_tabled",
        "agenda_published": "board.agenda_published",
        "meeting_held": "board.attendance_recorded",
        "response": "board.response_recorded",
    }
    for step in steps:
        event = events[step.evidence.event_id]
        assert (event.object_type, event.object_id) == (
            step.evidence.object_type,
            step.evidence.object_id,
        )
        if step.kind in expected_events:
            assert event.event == expected_events[step.kind], step.kind


def test_the_page_shows_every_step_with_uk_times_and_audit_links_for_reviewers(client, cast, story):
    body = page(sign_in(client, cast.reviewer).get(_url("journey", story)))
    assert re.findall(r'data-kind="([a-z_]+)"', body) == EXPECTED
    drafted = journey(story.position, reader=cast.reviewer).steps[0]
    local = timezone.localtime(drafted.at)
    assert f'datetime="{local.isoformat()}"' in body
    assert "Times are UK time." in body
    audit = reverse("engagement:audit", args=[cast.ics.pk]) if _audit_exists() else None
    if audit:
        assert f"{audit}?object_type=groups.position&amp;object_id={story.position.pk}" in body
    else:
        assert "Audit event" in body and "/audit/" not in body
    assert reverse("groups:position-version", args=[story.position.pk, 4]) in body
    assert "Adopted" in body


def test_members_see_event_numbers_but_no_link_to_the_reviewers_audit_trail(client, cast, story):
    body = page(sign_in(client, cast.gp_lead).get(_url("journey", story)))
    first = journey(story.position, reader=cast.reviewer).steps[0].evidence.event_id
    assert f"Audit event {first}" in body
    assert "/audit/" not in body
    assert reverse("groups:position-detail", args=[story.position.pk]) in body


def _audit_exists() -> bool:
    from django.urls import NoReverseMatch

    try:
        reverse("engagement:audit", args=[1])
    except NoReverseMatch:
        return False
    return True


# --- Secret ballots --------------------------------------------------------------------------


def _secret_html(body: str) -> list[str]:
    """The page's steps about the secret round (round 2): its opening, close and outcome."""
    items = re.findall(
        r'<li class="icsvoice-journey__step.*?</li>\s*(?=<li class="icsvoice|</ol>)', body, re.S
    )
    opened = [i for i in items if "Vote opened (round 2)" in i]
    closed = [i for i in items if "Vote closed (round 2)" in i]
    outcome = [i for i in items if 'data-kind="agreed"' in i]
    assert len(opened) == len(closed) == len(outcome) == 1
    return [*opened, *closed, *outcome]


def _no_choice(text: str, people) -> None:
    for word in CHOICE_WORDS:
        assert not re.search(rf"\b{word}\b", text), word
    for person in people:
        assert str(person) not in text


def test_a_secret_ballot_shows_participation_only_on_the_page(client, cast, story):
    body = page(sign_in(client, cast.reviewer).get(_url("journey", story)))
    opened, closed, outcome = _secret_html(body)
    voters = (cast.gp_lead, cast.gp_rep)  # the chair opened it, and is named for that only
    _no_choice(opened, voters)
    _no_choice(closed, (*voters, cast.chair))
    _no_choice(outcome, (*voters, cast.chair))
    assert "Voted</dt><dd>3" in closed.replace("\n", "").replace(" ", "") or ">3<" in closed
    assert "never how anyone voted" in closed
    # The named round shows its count, as the group's vote page does.
    named = re.search(r"Vote closed \(round 1\).*?</li>", body, re.S).group(0)
    assert "Against" in named


def test_a_secret_ballot_shows_participation_only_in_the_csv(client, cast, story):
    response = sign_in(client, cast.reviewer).get(_url("journey-csv", story))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0][:4] == ["Step", "Date and time (UK)", "Kind", "What happened"]
    assert [r[2] for r in rows[1:]] == EXPECTED
    secret = [r for r in rows if "round 2" in r[3] or r[2] == "agreed"]
    assert len(secret) == 3
    for row in secret:
        _no_choice(" ".join(row[4:]), (cast.gp_lead, cast.gp_rep))
    named = next(r for r in rows if r[3].startswith("Vote closed (round 1)"))
    assert "Against: 2" in named[6]


def test_a_secret_ballot_shows_participation_only_in_the_json(client, cast, story):
    response = sign_in(client, cast.reviewer).get(_url("journey-json", story))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    data = json.loads(response.content)
    assert [s["kind"] for s in data["steps"]] == EXPECTED
    assert data["time_zone"] == "Europe/London"
    assert data["position"]["state"] == "agreed"
    assert data["boards"][0]["outcome"] == "Adopted"
    secret = [s for s in data["steps"] if "round 2" in s["label"] or s["kind"] == "agreed"]
    assert len(secret) == 3
    for step in secret:
        _no_choice(json.dumps(step), (cast.gp_lead, cast.gp_rep))
    closed = next(s for s in secret if s["kind"] == "vote_closed")
    assert closed["facts"] == {
        "Outcome": "Agreed",
        "Eligible": "3",
        "Voted": "3",
        "Recused": "1",
        "Quorum needed": "2",
    }
    assert closed["audit_event"]["object_type"] == "groups.vote"
    assert data["steps"][0]["at"].endswith(("+00:00", "+01:00"))


def test_a_named_round_shows_no_count_while_it_is_open(cast, media):
    position = gs.position_draft(
        group=cast.group, actor=cast.gp_lead, title="Open round", summary="S", ask="A"
    )
    vote = gs.vote_open(position=position, actor=cast.chair)
    gs.vote_cast(vote=vote, voter=cast.gp_lead, choice="for")
    steps = journey(position, reader=cast.reviewer).steps
    assert [s.kind for s in steps] == ["drafted", "vote_opened"]
    assert not any(label in ("For", "Against") for s in steps for label, _ in s.facts)


# --- Access ----------------------------------------------------------------------------------

VIEWS = ("journey", "journey-csv", "journey-json")


@pytest.fixture
def plain(cast) -> Position:
    """A draft: who may see a journey does not depend on how far it went."""
    return gs.position_draft(
        group=cast.group, actor=cast.gp_lead, title="A draft", summary="S", ask="A"
    )


@pytest.mark.parametrize("name", VIEWS)
@pytest.mark.parametrize("who", ["reviewer", "gp_lead", "chair", "gp_rep"])
def test_the_groups_readers_may_see_the_journey(client, cast, plain, name, who):
    response = sign_in(client, getattr(cast, who)).get(_url(name, plain))
    assert response.status_code == 200


@pytest.mark.parametrize("name", VIEWS)
def test_another_ics_is_a_404(client, cast, plain, name):
    assert sign_in(client, cast.outsider).get(_url(name, plain)).status_code == 404


@pytest.mark.parametrize("name", VIEWS)
@pytest.mark.parametrize("who", ["secretary", "board_member"])
def test_a_wrong_role_in_the_ics_is_a_403(client, cast, plain, name, who):
    assert sign_in(client, getattr(cast, who)).get(_url(name, plain)).status_code == 403


@pytest.mark.parametrize("name", VIEWS)
def test_signed_out_goes_to_sign_in(client, cast, plain, name):
    response = client.get(_url(name, plain))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


@pytest.mark.parametrize("name", VIEWS)
def test_no_such_position_is_a_404_and_posts_are_refused(client, cast, plain, name):
    sign_in(client, cast.reviewer)
    assert client.get(reverse(f"engagement:{name}", args=[999999])).status_code == 404
    assert client.post(_url(name, plain)).status_code == 405


# --- Queries ---------------------------------------------------------------------------------


def _count(client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


@pytest.mark.parametrize("name", VIEWS)
def test_a_long_journey_takes_the_same_number_of_queries_as_a_short_one(client, cast, media, name):
    short = take_through(cast, title="Short journey")
    long = take_through(cast, title="Long journey", padding=3)
    assert (
        len(journey(long.position, reader=cast.reviewer).steps)
        > len(journey(short.position, reader=cast.reviewer).steps) + 20
    )
    sign_in(client, cast.reviewer)
    client.get(_url(name, short))  # the session and role caches warm up
    counted = _count(client, _url(name, short))
    assert counted == _count(client, _url(name, long))
    assert counted <= 25
