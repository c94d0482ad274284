"""Votes through their services: opening, casting (named and secret), declarations of
interest, closing early and at the deadline, new rounds and the terms a vote follows.
Every refusal says why and leaves nothing behind."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.utils import timezone

from groups import services
from groups.models import (
    Ballot,
    Interest,
    Position,
    SecretBallot,
    TermsOfReference,
    Vote,
    VoteEligibility,
    VoteParticipation,
)
from groups.services.votes import count_of
from groups.tally import Count
from icsvoice import audit
from icsvoice.models import AuditEvent, OutboxMessage
from tests import factories as f
from tests.groups.checks import fingerprint, refused

TEXT = {
    "title": "Same-day access hubs in every place",
    "summary": "Pool same-day demand across PCNs.",
    "ask": "Fund one hub per place from April.",
}
Rule = TermsOfReference.DecisionRule


@pytest.fixture
def voters(cast, members):
    """Everyone in the group: lead, chair, rep and three members."""
    return [cast.gp_lead, cast.chair, cast.gp_rep, *members]


@pytest.fixture
def position(cast):
    return services.position_draft(group=cast.group, actor=cast.gp_lead, **TEXT)


def _new_terms(group, **rules) -> TermsOfReference:
    """Replaces the group's terms in force with a version carrying these rules (set-up only:
    adoption by vote has its own test)."""
    current = group.terms.get(state=TermsOfReference.State.IN_FORCE)
    group.terms.filter(pk=current.pk).update(state=TermsOfReference.State.SUPERSEDED)
    return f.TermsOfReferenceFactory(group=group, version=current.version + 1, **rules)


def _declare(position, member, actor=None, **extra):
    values = {"category": "financial", "description": "Partner in a bidding practice."} | extra
    return services.declaration_add(
        position=position, member=member, actor=actor or member, **values
    )


def _due(vote):
    Vote.objects.filter(pk=vote.pk).update(closes_at=timezone.now() - dt.timedelta(seconds=1))


def _events(name: str, **filters) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(event=name, **filters).order_by("id"))


# --- Opening ------------------------------------------------------------------------------------


def test_the_chair_opens_a_round_with_who_may_vote_fixed_and_declarers_recused(
    cast, members, voters, position
):
    _declare(position, members[2])
    vote = services.vote_open(position=position, actor=cast.chair)
    position.refresh_from_db()
    assert position.state == Position.State.VOTING
    assert (vote.round, vote.version, vote.state) == (1, position.current_version, "open")
    assert vote.terms == cast.group.terms.get(state="in_force")
    assert vote.ballot == "named"
    expected_close = timezone.now() + dt.timedelta(hours=vote.terms.voting_window_hours)
    assert abs(vote.closes_at - expected_close) < dt.timedelta(minutes=1)
    rows = {e.member_id: e.recused for e in VoteEligibility.objects.filter(vote=vote)}
    assert rows == {p.pk: p == members[2] for p in voters}
    assert vote.eligible_count == 5
    (event,) = _events("vote.opened")
    assert event.payload["recused"] == [members[2].pk]
    assert event.payload["eligible"] == 5
    told = set(OutboxMessage.objects.filter(kind="vote.opened").values_list("recipient", flat=True))
    assert told == {p.pk for p in voters} - {members[2].pk, cast.chair.pk}


def test_only_the_chair_opens_a_vote(cast, position):
    with refused("^Only the chair of this group can do this"):
        services.vote_open(position=position, actor=cast.gp_lead)
    with refused("^Only the chair of this group can do this"):
        services.vote_open(position=position, actor=cast.outsider)


@pytest.mark.parametrize(
    ("closes_in", "match"),
    [
        (dt.timedelta(minutes=30), "^The closing time must be at least an hour from now"),
        (dt.timedelta(days=61), "^The closing time must be within 60 days"),
    ],
)
def test_the_closing_time_must_be_sensible(cast, position, closes_in, match):
    with refused(match):
        services.vote_open(
            position=position, actor=cast.chair, closes_at=timezone.now() + closes_in
        )


def test_a_chosen_closing_time_is_kept(cast, position):
    closes_at = timezone.now() + dt.timedelta(days=3)
    vote = services.vote_open(position=position, actor=cast.chair, closes_at=closes_at)
    assert vote.closes_at == closes_at


def test_no_vote_without_terms_of_reference_in_force(cast, position):
    cast.group.terms.update(state=TermsOfReference.State.SUPERSEDED)
    with refused("^This group has no terms of reference in force"):
        services.vote_open(position=position, actor=cast.chair)


def test_no_vote_when_every_member_has_declared(cast, position):
    for person in (cast.gp_lead, cast.chair, cast.gp_rep):
        _declare(position, person)
    with refused("^Nobody would be eligible to vote"):
        services.vote_open(position=position, actor=cast.chair)


def test_one_open_vote_per_position(cast, position):
    services.vote_open(position=position, actor=cast.chair)
    with refused("^A vote on this position is already open"):
        services.vote_open(position=position, actor=cast.chair)


# --- Named ballots ------------------------------------------------------------------------------


def test_a_named_ballot_is_recorded_with_its_reason_and_audited(cast, position):
    vote = services.vote_open(position=position, actor=cast.chair)
    result = services.vote_cast(vote=vote, voter=cast.gp_rep, choice="for", reason=" Needed. ")
    assert result.message == "Your vote (For) has been recorded."
    assert (result.changed, result.unchanged) == (False, False)
    ballot = Ballot.objects.get(vote=vote)
    assert (ballot.voter, ballot.choice, ballot.reason) == (cast.gp_rep, "for", "Needed.")
    assert VoteParticipation.objects.filter(vote=vote, voter=cast.gp_rep).count() == 1
    (event,) = _events("vote.cast")
    assert (event.actor, event.payload) == (cast.gp_rep, {"choice": "for", "reason": "Needed."})


def test_a_named_ballot_may_be_changed_until_the_close(cast, position):
    vote = services.vote_open(position=position, actor=cast.chair)
    services.vote_cast(vote=vote, voter=cast.gp_rep, choice="for")
    result = services.vote_cast(vote=vote, voter=cast.gp_rep, choice="against", reason="Costs.")
    assert result.changed
    assert result.message == "Your vote has been changed to Against."
    ballot = Ballot.objects.get(vote=vote, voter=cast.gp_rep)
    assert (ballot.choice, ballot.reason) == ("against", "Costs.")
    assert ballot.changed_at is not None
    assert VoteParticipation.objects.filter(vote=vote).count() == 1
    (event,) = _events("vote.changed")
    assert event.payload == {"from": "for", "choice": "against", "reason": "Costs."}
    assert count_of(vote) == Count(eligible=3, in_favour=0, against=1, abstain=0)


def test_sending_the_same_named_ballot_again_writes_nothing(cast, position):
    vote = services.vote_open(position=position, actor=cast.chair)
    services.vote_cast(vote=vote, voter=cast.gp_rep, choice="abstain")
    before = fingerprint()
    result = services.vote_cast(vote=vote, voter=cast.gp_rep, choice="abstain")
    assert result.unchanged
    assert result.message == "You had already voted Abstain; your vote stands."
    assert fingerprint() == before


def test_consensus_votes_speak_of_agreeing_and_objecting(cast, position):
    _new_terms(cast.group, decision_rule=Rule.CONSENSUS)
    vote = services.vote_open(position=position, actor=cast.chair)
    assert services.vote_cast(vote=vote, voter=cast.gp_rep, choice="for").message == (
        "Your vote (Agree) has been recorded."
    )
    assert services.vote_cast(vote=vote, voter=cast.gp_rep, choice="against").message == (
        "Your vote has been changed to Object."
    )


@pytest.mark.parametrize(
    ("choice", "reason", "match"),
    [
        ("maybe", "", "^Choose how you vote"),
        ("", "", "^Choose how you vote"),
        ("for", "<script>alert(1)</script>", "^Your reason must be plain text"),
        ("for", "See javascript:alert(1)", "^Your reason must be plain text"),
        ("for", "<b>yes</b>", "^Your reason must be plain text"),
    ],
)
def test_a_ballot_needs_a_real_choice_and_a_plain_reason(cast, position, choice, reason, match):
    vote = services.vote_open(position=position, actor=cast.chair)
    with refused(match):
        services.vote_cast(vote=vote, voter=cast.gp_rep, choice=choice, reason=reason)


# --- Secret ballots -----------------------------------------------------------------------------


@pytest.fixture
def secret_vote(cast, position):
    _new_terms(cast.group, ballot=TermsOfReference.Ballot.SECRET)
    return services.vote_open(position=position, actor=cast.chair)


def test_a_secret_ballot_stores_who_took_part_apart_from_how(cast, secret_vote):
    result = services.vote_cast(vote=secret_vote, voter=cast.gp_rep, choice="against")
    assert result.message == "Your secret vote has been recorded."
    assert not Ballot.objects.exists()
    participation = VoteParticipation.objects.get(vote=secret_vote)
    assert participation.voter == cast.gp_rep
    secret = SecretBallot.objects.get(vote=secret_vote)
    assert secret.choice == "against"
    # nothing on the secret ballot names a person or a time
    assert {field.name for field in SecretBallot._meta.concrete_fields} == {"id", "vote", "choice"}
    assert count_of(secret_vote) == Count(eligible=3, in_favour=0, against=1, abstain=0)


def test_the_audit_trail_and_emails_never_hold_a_secret_choice(cast, secret_vote):
    opened_at = AuditEvent.objects.order_by("-id").first().id
    services.vote_cast(vote=secret_vote, voter=cast.gp_rep, choice="against")
    (event,) = AuditEvent.objects.filter(id__gt=opened_at)
    assert (event.event, event.actor, event.payload) == (
        "vote.participated",
        cast.gp_rep,
        {"ballot": "secret"},
    )
    words = json.dumps(list(AuditEvent.objects.values_list("payload", flat=True)))
    words += json.dumps(list(OutboxMessage.objects.values_list("subject", "body")))
    assert "against" not in words.lower()


@pytest.mark.parametrize("second", ["against", "for"])
def test_voting_twice_in_a_secret_ballot_is_refused(cast, secret_vote, second):
    services.vote_cast(vote=secret_vote, voter=cast.gp_rep, choice="against")
    with refused("^You have already voted in this secret ballot. Secret votes cannot be changed"):
        services.vote_cast(vote=secret_vote, voter=cast.gp_rep, choice=second)
    assert list(SecretBallot.objects.values_list("choice", flat=True)) == ["against"]


def test_a_secret_ballot_carries_no_reason(cast, secret_vote):
    with refused("^Secret ballots carry no reason"):
        services.vote_cast(vote=secret_vote, voter=cast.gp_rep, choice="for", reason="Because.")


# --- Who may vote, and when ---------------------------------------------------------------------


def test_someone_who_joined_after_the_vote_opened_cannot_vote_in_it(cast, position):
    vote = services.vote_open(position=position, actor=cast.chair)
    latecomer = f.UserFactory(full_name="Dr Late Joiner")
    services.membership_add(group=cast.group, user=latecomer, actor=None)
    with refused("^You are not eligible to vote in this round: you were not a member"):
        services.vote_cast(vote=vote, voter=latecomer, choice="for")
    with refused("^You are not eligible to vote in this round"):
        services.vote_cast(vote=vote, voter=cast.outsider, choice="for")


def test_someone_who_has_left_since_the_vote_opened_may_still_vote(cast, position):
    vote = services.vote_open(position=position, actor=cast.chair)
    services.membership_end(membership=cast.gp_rep.group_memberships.get(), actor=None)
    services.vote_cast(vote=vote, voter=cast.gp_rep, choice="for")
    assert count_of(vote).in_favour == 1


def test_no_vote_is_taken_after_the_close(cast, voters, position):
    vote = services.vote_open(position=position, actor=cast.chair)
    for voter in voters:
        services.vote_cast(vote=vote, voter=voter, choice="for")
    services.vote_close(vote=vote, actor=cast.chair)
    with refused("^This vote has closed, so no more votes can be cast"):
        services.vote_cast(vote=vote, voter=cast.gp_rep, choice="against")


def test_no_vote_is_taken_once_the_closing_time_has_passed(cast, position):
    vote = services.vote_open(position=position, actor=cast.chair)
    services.vote_cast(vote=vote, voter=cast.gp_rep, choice="for")
    _due(vote)
    with refused("^This vote has closed"):
        services.vote_cast(vote=vote, voter=cast.gp_lead, choice="for")
    with refused("^This vote has closed"):
        services.vote_cast(vote=vote, voter=cast.gp_rep, choice="against")


# --- Declarations -------------------------------------------------------------------------------


def test_declaring_during_a_vote_recuses_from_it(cast, members, position):
    vote = services.vote_open(position=position, actor=cast.chair)
    assert vote.eligible_count == 6
    declaration = _declare(position, members[0])
    assert declaration.recorded_by == members[0]
    vote.refresh_from_db()
    assert vote.eligible_count == 5
    eligibility = VoteEligibility.objects.get(vote=vote, member=members[0])
    assert eligibility.recused
    assert eligibility.recused_at is not None
    (event,) = _events("position.interest_declared")
    assert event.payload["recused_from_open_vote"] == vote.pk
    assert event.payload["on_behalf"] is False
    assert OutboxMessage.objects.get(kind="position.interest_declared").recipient == cast.chair
    with refused("^You declared an interest in this position, so you are recused"):
        services.vote_cast(vote=vote, voter=members[0], choice="for")


@pytest.mark.parametrize("ballot", ["named", "secret"])
def test_declaring_after_voting_in_the_open_round_is_refused(cast, members, position, ballot):
    _new_terms(cast.group, ballot=ballot)
    vote = services.vote_open(position=position, actor=cast.chair)
    services.vote_cast(vote=vote, voter=members[0], choice="for")
    with refused(f"^{members[0]} has already voted in the open round. Declare before voting"):
        _declare(position, members[0])
    with refused("has already voted in the open round"):
        _declare(position, members[0], actor=cast.chair)


def test_the_chair_may_record_a_members_declaration_but_nobody_else_may(cast, members, position):
    with refused("^Only the chair of this group can do this"):
        _declare(position, members[0], actor=members[1])
    declaration = _declare(position, members[0], actor=cast.chair)
    assert (declaration.member, declaration.recorded_by) == (members[0], cast.chair)
    assert _events("position.interest_declared")[0].payload["on_behalf"] is True
    assert OutboxMessage.objects.get(kind="position.interest_declared").recipient == members[0]
    with refused(f"^{members[0]} has already declared an interest in this position"):
        _declare(position, members[0])


def test_a_declaration_can_cite_the_members_own_register_entry_only(cast, members, position):
    theirs = Interest.objects.create(
        group=cast.group,
        member=members[1],
        category="financial",
        description="Director of a GP federation.",
        recorded_by=members[1],
    )
    with refused("^That register entry belongs to someone else"):
        _declare(position, members[0], interest=theirs)
    declaration = _declare(position, members[1], interest=theirs)
    assert declaration.interest == theirs


@pytest.mark.parametrize(
    ("extra", "match"),
    [
        ({"category": "gossip"}, "^Choose the kind of interest"),
        ({"description": "  "}, "^Describe the interest"),
        ({"description": "<script>alert(1)</script>"}, "^The description must be plain text"),
        ({"description": "&lt;b&gt;"}, "^The description must be plain text"),
    ],
)
def test_declarations_are_checked(cast, members, position, extra, match):
    with refused(match):
        _declare(position, members[0], **extra)


def test_only_current_members_declare_or_are_declared_for(cast, position):
    with refused("^Only current members"):
        _declare(position, cast.outsider)
    with refused(f"^{cast.outsider} is not a current member of this group"):
        _declare(position, cast.outsider, actor=cast.chair)


# --- Closing ------------------------------------------------------------------------------------


def test_the_chair_closes_early_only_once_everyone_eligible_has_voted(
    cast, members, voters, position
):
    vote = services.vote_open(position=position, actor=cast.chair)
    for voter in voters[:-1]:
        services.vote_cast(vote=vote, voter=voter, choice="for")
    with refused("^Not everyone eligible has voted yet, so the vote stays open until"):
        services.vote_close(vote=vote, actor=cast.chair)
    services.vote_cast(vote=vote, voter=voters[-1], choice="against")
    with refused("^Only the chair of this group can do this"):
        services.vote_close(vote=vote, actor=cast.gp_lead)
    vote = services.vote_close(vote=vote, actor=cast.chair)
    assert (vote.state, vote.outcome, vote.closed_by) == ("closed", "agreed", cast.chair)
    assert (vote.eligible_count, vote.in_favour, vote.against, vote.abstain) == (6, 5, 1, 0)
    assert vote.quorum_needed == 3
    assert vote.explanation == "Agreed: 5 for out of 6 counted votes; more than half needed."
    (event,) = _events("vote.closed")
    assert event.payload["early"] is True
    assert event.role == "group_chair"
    told = OutboxMessage.objects.filter(kind="vote.result")
    assert set(told.values_list("recipient", flat=True)) == {p.pk for p in voters}
    with refused("^This vote has already closed"):
        services.vote_close(vote=vote, actor=cast.chair)
    assert audit.verify().ok


def test_recused_members_are_not_waited_for_nor_counted(cast, members, voters, position):
    vote = services.vote_open(position=position, actor=cast.chair)
    _declare(position, members[0])
    for voter in voters:
        if voter != members[0]:
            services.vote_cast(vote=vote, voter=voter, choice="against")
    vote = services.vote_close(vote=vote, actor=cast.chair)
    assert (vote.eligible_count, vote.against, vote.outcome) == (5, 5, "not_agreed")


def test_the_deadline_job_closes_due_votes_once(cast, position):
    vote = services.vote_open(position=position, actor=cast.chair)
    services.vote_cast(vote=vote, voter=cast.gp_lead, choice="for")
    services.vote_cast(vote=vote, voter=cast.gp_rep, choice="for")
    assert services.votes_close_due() == []
    with refused("^This vote is not due to close yet"):
        services.vote_close(vote=vote)
    _due(vote)
    assert services.votes_close_due() == [vote.pk]
    assert services.votes_close_due() == []
    vote.refresh_from_db()
    assert (vote.state, vote.outcome, vote.closed_by) == ("closed", "agreed", None)
    assert (vote.in_favour, vote.eligible_count) == (2, 3)
    (event,) = _events("vote.closed")
    assert (event.role, event.actor, event.payload["early"]) == (audit.SYSTEM_ROLE, None, False)
    position.refresh_from_db()
    assert position.state == Position.State.AGREED


def test_too_few_ballots_at_the_deadline_is_inquorate(cast, members, position):
    vote = services.vote_open(position=position, actor=cast.chair)
    services.vote_cast(vote=vote, voter=cast.gp_lead, choice="for")
    _due(vote)
    services.votes_close_due()
    vote.refresh_from_db()
    assert (vote.outcome, vote.quorum_needed) == ("inquorate", 3)
    position.refresh_from_db()
    assert position.state == Position.State.INQUORATE


# --- New rounds ---------------------------------------------------------------------------------


@pytest.mark.parametrize("outcome", ["not_agreed", "inquorate"])
def test_a_new_round_needs_a_revised_version(cast, members, voters, position, outcome):
    vote = services.vote_open(position=position, actor=cast.chair)
    if outcome == "not_agreed":
        for voter in voters:
            services.vote_cast(vote=vote, voter=voter, choice="against")
        services.vote_close(vote=vote, actor=cast.chair)
    else:
        _due(vote)
        services.votes_close_due()
    position.refresh_from_db()
    assert position.state == outcome
    with refused("^This version has already been voted on. Revise the position before a new"):
        services.vote_open(position=position, actor=cast.chair)

    latecomer = f.UserFactory(full_name="Dr Late Joiner")
    f.GroupMembershipFactory(group=cast.group, user=latecomer)
    version = services.position_revise(position=position, actor=cast.gp_lead, ask="Smaller ask.")
    second = services.vote_open(position=position, actor=cast.chair)
    assert (second.round, second.version) == (2, version)
    assert second.eligible_count == 7  # who may vote is taken afresh for each round
    services.vote_cast(vote=second, voter=latecomer, choice="for")
    assert count_of(second).in_favour == 1


def test_an_agreed_position_takes_no_further_votes(cast, voters, position):
    vote = services.vote_open(position=position, actor=cast.chair)
    for voter in voters:
        services.vote_cast(vote=vote, voter=voter, choice="for")
    services.vote_close(vote=vote, actor=cast.chair)
    position.refresh_from_db()
    with refused("^This position is agreed, so it cannot be put to a vote"):
        services.vote_open(position=position, actor=cast.chair)


# --- Terms of reference -------------------------------------------------------------------------


def _adopt(cast, voters, **changes) -> TermsOfReference:
    proposal = services.terms_propose(group=cast.group, actor=cast.chair, **changes)
    vote = services.vote_open_on_terms(proposal=proposal, actor=cast.chair)
    for voter in voters:
        services.vote_cast(vote=vote, voter=voter, choice="for")
    vote = services.vote_close(vote=vote, actor=cast.chair)
    assert vote.outcome == "agreed"
    proposal.refresh_from_db()
    assert proposal.state == TermsOfReference.State.IN_FORCE
    return proposal


def test_a_vote_follows_the_terms_it_opened_under_even_after_new_ones_come_in(
    cast, members, voters, position
):
    first_terms = cast.group.terms.get(state="in_force")
    vote = services.vote_open(position=position, actor=cast.chair)
    new_terms = _adopt(cast, voters, decision_rule=Rule.CONSENSUS, ballot="secret")
    first_terms.refresh_from_db()
    assert first_terms.state == TermsOfReference.State.SUPERSEDED

    # still a named ballot with reasons and changes, as when it opened
    services.vote_cast(vote=vote, voter=members[0], choice="for", reason="Yes.")
    assert services.vote_cast(vote=vote, voter=members[0], choice="against").changed
    for voter in (cast.gp_lead, cast.chair, cast.gp_rep, members[1]):
        services.vote_cast(vote=vote, voter=voter, choice="for")
    assert not SecretBallot.objects.filter(vote=vote).exists()
    _due(vote)
    services.votes_close_due()
    vote.refresh_from_db()
    # 4 for, 1 against: agreed by simple majority; consensus would have said no
    assert (vote.terms, vote.in_favour, vote.against) == (first_terms, 4, 1)
    assert vote.outcome == "agreed"
    assert AuditEvent.objects.get(event="vote.closed", object_id=str(vote.pk)).payload[
        "terms_version"
    ] == (first_terms.version)

    later = services.position_draft(group=cast.group, actor=cast.gp_rep, **TEXT)
    next_vote = services.vote_open(position=later, actor=cast.chair)
    assert (next_vote.terms, next_vote.ballot) == (new_terms, "secret")


def test_terms_not_agreed_are_rejected_and_inquorate_ones_stay_proposed(cast, voters):
    proposal = services.terms_propose(group=cast.group, actor=cast.chair, quorum_value=75)
    first = services.vote_open_on_terms(proposal=proposal, actor=cast.chair)
    with refused("^A vote on these terms of reference is already open"):
        services.vote_open_on_terms(proposal=proposal, actor=cast.chair)
    _due(first)
    services.votes_close_due()
    proposal.refresh_from_db()
    assert proposal.state == TermsOfReference.State.PROPOSED

    second = services.vote_open_on_terms(proposal=proposal, actor=cast.chair)
    assert second.round == 2
    for voter in voters:
        services.vote_cast(vote=second, voter=voter, choice="against")
    services.vote_close(vote=second, actor=cast.chair)
    proposal.refresh_from_db()
    assert proposal.state == TermsOfReference.State.REJECTED
    assert cast.group.terms.get(state="in_force").version == 1
    with refused("^Only proposed terms of reference can be put to a vote"):
        services.vote_open_on_terms(proposal=proposal, actor=cast.chair)
