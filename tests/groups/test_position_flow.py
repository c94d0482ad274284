"""The core loop through the services: draft, amend, declare, vote, close."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from groups import services
from groups.models import Amendment, Position, Vote, VoteEligibility
from icsvoice import audit
from icsvoice.models import AuditEvent, OutboxMessage

TEXT = {
    "title": "Same-day access hubs in every place",
    "summary": "Pool same-day demand across PCNs.",
    "ask": "Fund one hub per place from April.",
    "body": "## Why\n\nDemand is *rising*.",
}


def test_the_core_loop_agrees_a_position_and_audits_every_step(cast, members):
    position = services.position_draft(
        group=cast.group, actor=cast.gp_lead, coauthors=[members[0]], **TEXT
    )
    assert position.current_version.number == 1
    assert "<em>rising</em>" in position.current_version.body_html

    amendment = services.amendment_propose(
        position=position,
        actor=members[1],
        field="ask",
        proposed_text="Fund one hub per place from July.",
        reason="April is too soon.",
    )
    version = services.amendment_accept(amendment=amendment, actor=cast.gp_lead)
    assert version.number == 2
    assert version.ask == "Fund one hub per place from July."
    amendment.refresh_from_db()
    assert amendment.state == Amendment.State.ACCEPTED
    assert amendment.resulting_version == version

    services.declaration_add(
        position=position,
        member=members[2],
        actor=cast.chair,
        category="financial",
        description="Partner in a practice bidding to host a hub.",
    )
    vote = services.vote_open(position=position, actor=cast.chair)
    assert vote.version == version
    assert vote.eligible_count == 5  # lead, chair, rep, two members; one recused
    assert VoteEligibility.objects.get(vote=vote, member=members[2]).recused

    for voter in (cast.gp_lead, cast.chair, cast.gp_rep, members[0], members[1]):
        services.vote_cast(vote=vote, voter=voter, choice="for")
    vote = services.vote_close(vote=vote, actor=cast.chair)

    assert vote.outcome == Vote.Outcome.AGREED
    assert (vote.in_favour, vote.against, vote.abstain) == (5, 0, 0)
    position.refresh_from_db()
    assert position.state == Position.State.AGREED
    events = list(AuditEvent.objects.values_list("event", flat=True).order_by("id"))
    for name in (
        "position.drafted",
        "position.amendment_proposed",
        "position.revised",
        "position.amendment_accepted",
        "position.interest_declared",
        "vote.opened",
        "vote.cast",
        "vote.closed",
    ):
        assert name in events
    assert audit.verify().ok
    assert OutboxMessage.objects.filter(kind="vote.opened", recipient=members[2]).count() == 0
    assert OutboxMessage.objects.filter(kind="vote.result").count() == 6


def test_deadline_close_is_inquorate_when_too_few_vote(cast, members):
    position = services.position_draft(group=cast.group, actor=cast.gp_lead, **TEXT)
    vote = services.vote_open(position=position, actor=cast.chair)
    services.vote_cast(vote=vote, voter=cast.gp_lead, choice="for")
    assert services.votes_close_due() == []
    Vote.objects.filter(pk=vote.pk).update(closes_at=timezone.now() - dt.timedelta(seconds=1))
    assert services.votes_close_due() == [vote.pk]
    vote.refresh_from_db()
    assert vote.outcome == Vote.Outcome.INQUORATE
    assert services.votes_close_due() == []


def test_beat_runs_the_deadline_job_every_minute_and_it_closes_due_votes(cast, settings):
    from groups.tasks import close_due_votes
    from icsvoice.celery import app

    entry = settings.CELERY_BEAT_SCHEDULE["close-due-votes"]
    assert entry["schedule"] == 60.0
    assert app.tasks[entry["task"]].name == close_due_votes.name == "groups.close_due_votes"
    position = services.position_draft(group=cast.group, actor=cast.gp_lead, **TEXT)
    vote = services.vote_open(position=position, actor=cast.chair)
    Vote.objects.filter(pk=vote.pk).update(closes_at=timezone.now() - dt.timedelta(minutes=1))
    assert close_due_votes() == [vote.pk]
    assert close_due_votes() == []
    position.refresh_from_db()
    assert position.state == Position.State.INQUORATE


def test_closing_a_secret_vote_rewrites_its_ballots_so_order_cannot_link_them(cast, members):
    from groups.models import SecretBallot, TermsOfReference, VoteParticipation

    TermsOfReference.objects.filter(group=cast.group).update(ballot="secret")
    position = services.position_draft(group=cast.group, actor=cast.gp_lead, **TEXT)
    vote = services.vote_open(position=position, actor=cast.chair)
    voters = [cast.gp_lead, cast.chair, cast.gp_rep, *members]
    for voter, choice in zip(
        voters, ["for", "for", "against", "for", "abstain", "for"], strict=True
    ):
        services.vote_cast(vote=vote, voter=voter, choice=choice)
    before = set(SecretBallot.objects.filter(vote=vote).values_list("pk", flat=True))
    vote = services.vote_close(vote=vote, actor=cast.chair)

    after = list(SecretBallot.objects.filter(vote=vote).values_list("pk", "choice"))
    assert before.isdisjoint(pk for pk, _ in after)
    assert sorted(c for _, c in after) == ["abstain", "against", "for", "for", "for", "for"]
    assert (vote.in_favour, vote.against, vote.abstain) == (4, 1, 1)
    assert VoteParticipation.objects.filter(vote=vote).count() == 6
    cast_events = AuditEvent.objects.filter(event="vote.participated")
    assert all("choice" not in e.payload for e in cast_events)


def test_a_stale_copy_of_a_position_cannot_slip_past_a_withdrawal_or_a_vote(cast):
    from groups.models import Comment
    from icsvoice.errors import DomainError

    position = services.position_draft(group=cast.group, actor=cast.gp_lead, **TEXT)
    stale = Position.objects.get(pk=position.pk)
    services.vote_open(position=position, actor=cast.chair)
    with pytest.raises(DomainError, match="This position is being voted on, so it cannot be"):
        services.position_withdraw(position=stale, actor=cast.gp_lead, reason="Changed mind")
    with pytest.raises(DomainError, match="being voted on, so it cannot be changed"):
        services.amendment_propose(
            position=stale, actor=cast.gp_rep, field="ask", proposed_text="X", reason="Y"
        )
    other = services.position_draft(group=cast.group, actor=cast.gp_lead, **TEXT)
    stale_other = Position.objects.get(pk=other.pk)
    services.position_withdraw(position=other, actor=cast.gp_lead, reason="Duplicate")
    with pytest.raises(DomainError, match="withdrawn"):
        services.comment_add(position=stale_other, actor=cast.gp_rep, body="Late thought")
    assert not Comment.objects.exists()


def test_a_secret_vote_never_shows_a_live_count_even_under_older_terms(client, cast):
    from django.urls import reverse

    from groups.models import TermsOfReference
    from tests.helpers import sign_in

    TermsOfReference.objects.filter(group=cast.group).update(
        ballot="secret", results_hidden_until_close=False
    )
    position = services.position_draft(group=cast.group, actor=cast.gp_lead, **TEXT)
    vote = services.vote_open(position=position, actor=cast.chair)
    services.vote_cast(vote=vote, voter=cast.gp_rep, choice="against")
    sign_in(client, cast.gp_lead)
    response = client.get(reverse("groups:vote-detail", args=[vote.pk]))
    assert response.context["page"].count is None
    assert "Votes by choice" not in response.content.decode()
