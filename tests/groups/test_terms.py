"""Terms of reference through the services: proposing a version, and the group adopting,
rejecting or failing to decide it by a vote under the version in force."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from groups import services
from groups.models import TermsOfReference, Vote
from groups.services.terms import TermsError
from icsvoice import audit
from icsvoice.errors import DomainError
from icsvoice.models import AuditEvent, OutboxMessage
from tests import factories as f

State = TermsOfReference.State
NEW_PURPOSE = "To give general practice one organised, evidenced voice on the ICB board."


def propose(cast, **changes):
    changes.setdefault("purpose", NEW_PURPOSE)
    return services.terms_propose(group=cast.group, actor=cast.chair, **changes)


def in_force(cast) -> TermsOfReference:
    return cast.group.terms.get(state=State.IN_FORCE)


def events(name: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(event=name).order_by("id"))


def everyone_votes(cast, vote, choices):
    for voter, choice in zip((cast.gp_lead, cast.chair, cast.gp_rep), choices, strict=True):
        services.vote_cast(vote=vote, voter=voter, choice=choice)


# --- Proposing -------------------------------------------------------------------------------


def test_a_proposal_is_the_next_version_starting_from_the_one_in_force(cast):
    current = in_force(cast)
    proposal = propose(cast, quorum_value=60)

    assert proposal.version == 2
    assert proposal.state == State.PROPOSED
    assert proposal.proposed_by == cast.chair
    assert proposal.purpose == NEW_PURPOSE
    assert proposal.quorum_value == 60
    assert proposal.decision_rule == current.decision_rule  # untouched fields carried over
    assert proposal.review_date == current.review_date
    current.refresh_from_db()
    assert current.state == State.IN_FORCE  # nothing changes until the group votes
    (event,) = events("terms.proposed")
    assert event.actor == cast.chair
    assert event.payload["version"] == 2
    assert event.payload["changed"] == ["purpose", "quorum_value"]
    told = set(
        OutboxMessage.objects.filter(kind="terms.proposed").values_list("recipient", flat=True)
    )
    assert told == {cast.gp_lead.pk, cast.gp_rep.pk}  # every member but the chair who proposed


def test_version_numbers_keep_counting_past_withdrawn_proposals(cast):
    services.terms_withdraw(proposal=propose(cast), actor=cast.chair)
    assert propose(cast, quorum_value=70).version == 3


def test_text_is_trimmed_before_it_is_compared_and_stored(cast):
    current = in_force(cast)
    with pytest.raises(TermsError, match="same as the version in force"):
        propose(cast, purpose=f"  {current.purpose}\n")


def test_a_proposal_that_changes_nothing_is_refused(cast):
    with pytest.raises(TermsError, match="same as the version in force: change something first"):
        propose(cast, purpose=in_force(cast).purpose)
    assert cast.group.terms.count() == 1
    assert events("terms.proposed") == []


def test_a_second_open_proposal_is_refused(cast):
    propose(cast)
    with pytest.raises(TermsError, match="Another version is already proposed"):
        propose(cast, quorum_value=75)
    assert cast.group.terms.filter(state=State.PROPOSED).count() == 1


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"purpose": "   "}, "Enter the group's purpose."),
        ({"quorum_kind": "show_of_hands"}, "Choose how quorum is set."),
        ({"quorum_value": 0}, "Quorum must be at least 1."),
        ({"quorum_kind": "percent", "quorum_value": 101}, "100 or less"),
        ({"decision_rule": "chair_decides"}, "Choose a decision rule."),
        ({"abstentions": "ignored"}, "Choose how abstentions count."),
        ({"ballot": "hands"}, "Choose named or secret ballots."),
        ({"voting_window_hours": 0}, "between 1 hour and 60 days"),
        ({"voting_window_hours": 1441}, "between 1 hour and 60 days"),
        ({"review_date": dt.date(2020, 1, 1)}, "The review date must be in the future."),
    ],
)
def test_invalid_terms_are_refused_with_a_message(cast, changes, message):
    with pytest.raises(TermsError, match=message):
        propose(cast, **changes)
    assert cast.group.terms.count() == 1


def test_a_count_quorum_may_exceed_100(cast):
    assert propose(cast, quorum_kind="count", quorum_value=120).quorum_value == 120


def test_review_date_today_is_refused(cast):
    with pytest.raises(TermsError, match="future"):
        propose(cast, review_date=timezone.localdate())


@pytest.mark.parametrize(
    ("field", "value", "label"),
    [
        ("purpose", "<script>alert('x')</script>", "The purpose"),
        ("membership_composition", "One GP per <b>PCN</b>", "The membership"),
        ("board_route", "See javascript:alert(1)", "How positions reach the board"),
        ("purpose", "Fish &amp; chips", "The purpose"),
    ],
)
def test_markup_in_text_is_refused(cast, field, value, label):
    with pytest.raises(DomainError, match=f"{label} must be plain text"):
        propose(cast, **{field: value})
    assert cast.group.terms.count() == 1


def test_only_the_chair_proposes(cast):
    for person in (cast.gp_lead, cast.reviewer, cast.outsider):
        with pytest.raises(DomainError, match="Only the chair"):
            services.terms_propose(group=cast.group, actor=person, purpose=NEW_PURPOSE)
    assert cast.group.terms.count() == 1


# --- Withdrawing -----------------------------------------------------------------------------


def test_the_chair_withdraws_a_proposal(cast):
    proposal = services.terms_withdraw(proposal=propose(cast), actor=cast.chair)
    proposal.refresh_from_db()
    assert proposal.state == State.REJECTED
    (event,) = events("terms.withdrawn")
    assert event.payload == {"version": 2}
    with pytest.raises(TermsError, match="no longer proposed"):
        services.terms_withdraw(proposal=proposal, actor=cast.chair)


def test_withdrawing_is_refused_while_a_vote_is_open_and_for_non_chairs(cast):
    proposal = propose(cast)
    with pytest.raises(DomainError, match="Only the chair"):
        services.terms_withdraw(proposal=proposal, actor=cast.gp_lead)
    services.vote_open_on_terms(proposal=proposal, actor=cast.chair)
    with pytest.raises(TermsError, match="vote on these terms of reference is open"):
        services.terms_withdraw(proposal=proposal, actor=cast.chair)
    proposal.refresh_from_db()
    assert proposal.state == State.PROPOSED


def test_terms_in_force_cannot_be_withdrawn(cast):
    with pytest.raises(TermsError, match="no longer proposed"):
        services.terms_withdraw(proposal=in_force(cast), actor=cast.chair)
    assert in_force(cast).version == 1


# --- Adoption by vote ------------------------------------------------------------------------


def test_an_agreed_vote_puts_the_proposal_in_force_and_supersedes_the_old(cast):
    old = in_force(cast)
    proposal = propose(cast, ballot="secret")
    vote = services.vote_open_on_terms(proposal=proposal, actor=cast.chair)
    assert vote.terms == old  # the vote follows the terms in force when it opened
    assert vote.eligible_count == 3

    everyone_votes(cast, vote, ["for", "for", "against"])
    vote = services.vote_close(vote=vote, actor=cast.chair)

    assert vote.outcome == Vote.Outcome.AGREED
    proposal.refresh_from_db()
    old.refresh_from_db()
    assert proposal.state == State.IN_FORCE
    assert proposal.adopted_at is not None
    assert old.state == State.SUPERSEDED
    (event,) = events("terms.adopted")
    assert event.actor == cast.chair
    assert event.payload["version"] == 2
    assert event.payload["vote"] == vote.pk
    assert event.payload["superseded"] == 1
    assert audit.verify().ok

    # Votes opened from now on follow the new version: its secret ballot applies.
    later = services.vote_open_on_terms(proposal=propose(cast, quorum_value=66), actor=cast.chair)
    assert later.terms == proposal
    assert later.is_secret


def test_the_chair_cannot_close_early_until_everyone_eligible_has_voted(cast):
    vote = services.vote_open_on_terms(proposal=propose(cast), actor=cast.chair)
    services.vote_cast(vote=vote, voter=cast.gp_lead, choice="for")
    with pytest.raises(DomainError, match="Not everyone eligible has voted"):
        services.vote_close(vote=vote, actor=cast.chair)
    assert cast.group.terms.get(version=2).state == State.PROPOSED


def test_a_vote_not_agreed_rejects_the_proposal(cast):
    proposal = propose(cast)
    vote = services.vote_open_on_terms(proposal=proposal, actor=cast.chair)
    everyone_votes(cast, vote, ["against", "for", "against"])
    vote = services.vote_close(vote=vote, actor=cast.chair)

    assert vote.outcome == Vote.Outcome.NOT_AGREED
    proposal.refresh_from_db()
    assert proposal.state == State.REJECTED
    assert proposal.adopted_at is None
    assert in_force(cast).version == 1
    (event,) = events("terms.rejected")
    assert event.payload == {"version": 2, "reason": "Not agreed by the group's vote."}
    assert events("terms.adopted") == []
    with pytest.raises(DomainError, match="Only proposed terms"):
        services.vote_open_on_terms(proposal=proposal, actor=cast.chair)


def test_an_inquorate_vote_leaves_the_proposal_proposed_for_another_round(cast):
    proposal = propose(cast)
    vote = services.vote_open_on_terms(proposal=proposal, actor=cast.chair)
    services.vote_cast(vote=vote, voter=cast.gp_lead, choice="for")  # 1 of 3; 2 needed
    Vote.objects.filter(pk=vote.pk).update(closes_at=timezone.now() - dt.timedelta(seconds=1))
    assert services.votes_close_due() == [vote.pk]

    vote.refresh_from_db()
    assert vote.outcome == Vote.Outcome.INQUORATE
    proposal.refresh_from_db()
    assert proposal.state == State.PROPOSED
    assert in_force(cast).version == 1
    assert events("terms.adopted") == events("terms.rejected") == []
    second = services.vote_open_on_terms(proposal=proposal, actor=cast.chair)
    assert second.round == 2


def test_an_inquorate_early_close_under_a_count_quorum_keeps_the_proposal(cast):
    TermsOfReference.objects.filter(pk=in_force(cast).pk).update(
        quorum_kind="count", quorum_value=5
    )
    proposal = propose(cast)
    vote = services.vote_open_on_terms(proposal=proposal, actor=cast.chair)
    everyone_votes(cast, vote, ["for", "for", "for"])
    vote = services.vote_close(vote=vote, actor=cast.chair)
    assert vote.outcome == Vote.Outcome.INQUORATE
    proposal.refresh_from_db()
    assert proposal.state == State.PROPOSED


def test_a_second_vote_on_the_same_proposal_is_refused_while_one_is_open(cast):
    proposal = propose(cast)
    services.vote_open_on_terms(proposal=proposal, actor=cast.chair)
    with pytest.raises(DomainError, match="already open"):
        services.vote_open_on_terms(proposal=proposal, actor=cast.chair)
    with pytest.raises(DomainError, match="Only the chair"):
        services.vote_open_on_terms(proposal=proposal, actor=cast.gp_lead)


def test_members_who_join_after_the_vote_opened_cannot_vote_in_it(cast):
    vote = services.vote_open_on_terms(proposal=propose(cast), actor=cast.chair)
    newcomer = f.UserFactory()
    f.GroupMembershipFactory(group=cast.group, user=newcomer)
    with pytest.raises(DomainError, match="not eligible"):
        services.vote_cast(vote=vote, voter=newcomer, choice="for")


@pytest.mark.parametrize(
    ("kind", "value", "hours", "quorum", "window"),
    [
        ("count", 1, 1, "1 eligible member", "1 hour"),
        ("count", 4, 25, "4 eligible members", "25 hours"),
        ("percent", 50, 168, "50% of eligible members", "168 hours (7 days)"),
        ("percent", 100, 24, "100% of eligible members", "24 hours (1 day)"),
    ],
)
def test_terms_read_as_people_say_them(kind, value, hours, quorum, window):
    terms = TermsOfReference(quorum_kind=kind, quorum_value=value, voting_window_hours=hours)
    assert (terms.quorum_text, terms.voting_window_text) == (quorum, window)
