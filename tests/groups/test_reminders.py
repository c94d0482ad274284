"""The primary care reminders: votes closing within 24 hours (to those eligible who have not
voted, never to those who have) and terms of reference due for review (to the chair). Each
goes once per object, recipient and due date; the task runs every family."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.db import connection
from django.utils import timezone

from groups import reminders, services
from groups.models import GroupMembership, TermsOfReference, Vote
from groups.reminders import (
    TERMS_REVIEW,
    VOTE_CLOSING,
    remind_terms_review,
    remind_votes_closing,
    send_reminders,
)
from icsvoice.models import OutboxMessage
from tests import factories as f

UK_TODAY = reminders.local_today
# The queries of one notify() call, however many it tells: who has it already, who can be
# reached (and takes a digest), the insert, and the new rows' ids for the sender.
NOTIFY = 4


def told(kind: str, obj=None) -> set[tuple[int, str]]:
    """(recipient id, version) of the reminders of this kind queued (about `obj`)."""
    rows = OutboxMessage.objects.filter(kind=kind)
    if obj is not None:
        rows = rows.filter(object_type=obj._meta.label_lower, object_id=str(obj.pk))
    return set(rows.values_list("recipient_id", "version"))


def recipients(kind: str, obj=None) -> set[int]:
    return {r for r, _ in told(kind, obj)}


@pytest.fixture
def voters(cast, members):
    """Everyone in the cast's group: lead, chair, rep and three members."""
    return [cast.gp_lead, cast.chair, cast.gp_rep, *members]


def open_vote(cast, *, hours: float = 3, title: str = "Same-day access hubs", group=None):
    group = group or cast.group
    chair = group.memberships.get(role=GroupMembership.Role.CHAIR).user
    position = services.position_draft(
        group=group,
        actor=chair,
        title=title,
        summary="Pool same-day demand across PCNs.",
        ask="Fund one hub per place from April.",
    )
    return services.vote_open(
        position=position,
        actor=chair,
        closes_at=timezone.now() + dt.timedelta(hours=hours),
    )


def close_in(vote: Vote, hours: float) -> Vote:
    Vote.objects.filter(pk=vote.pk).update(closes_at=timezone.now() + dt.timedelta(hours=hours))
    vote.refresh_from_db()
    return vote


# --- Votes closing within 24 hours -------------------------------------------------------------


def test_a_vote_closing_within_a_day_reminds_those_eligible_who_have_not_voted(cast, voters):
    vote = open_vote(cast, hours=3)
    voted, *not_voted = voters
    services.vote_cast(vote=vote, voter=voted, choice="for")

    assert remind_votes_closing() == len(not_voted)

    assert recipients(VOTE_CLOSING, vote) == {p.pk for p in not_voted}
    message = OutboxMessage.objects.filter(kind=VOTE_CLOSING).first()
    when = timezone.localtime(vote.closes_at)
    assert message.version == vote.closes_at.isoformat()
    assert message.subject == "Vote closes soon: “Same-day access hubs”"
    assert f"closes on {when:%A %-d %B %Y} at {when:%H:%M}" in message.body
    assert cast.group.name in message.body
    assert message.url == f"/votes/{vote.pk}/"
    assert message.urgent


def test_no_reminder_to_someone_who_has_voted_even_a_secret_ballot(cast, voters):
    current = cast.group.terms.get(state=TermsOfReference.State.IN_FORCE)
    cast.group.terms.filter(pk=current.pk).update(state=TermsOfReference.State.SUPERSEDED)
    f.TermsOfReferenceFactory(group=cast.group, version=2, ballot="secret")
    vote = open_vote(cast)
    assert vote.is_secret
    for voter in voters[:-1]:
        services.vote_cast(vote=vote, voter=voter, choice="against")

    remind_votes_closing()

    assert recipients(VOTE_CLOSING) == {voters[-1].pk}


def test_no_reminder_to_the_recused_or_to_those_outside_the_vote(cast, voters, members):
    chair = cast.chair
    position = services.position_draft(
        group=cast.group, actor=chair, title="Hubs", summary="Pool demand.", ask="Fund hubs."
    )
    services.declaration_add(
        position=position,
        member=members[0],
        actor=members[0],
        category="financial",
        description="Partner in a bidding practice.",
    )
    vote = services.vote_open(
        position=position, actor=chair, closes_at=timezone.now() + dt.timedelta(hours=2)
    )
    joined_later = f.UserFactory(full_name="Dr Late Joiner")
    f.GroupMembershipFactory(group=cast.group, user=joined_later)

    remind_votes_closing()

    told_ids = recipients(VOTE_CLOSING, vote)
    assert members[0].pk not in told_ids  # recused
    assert joined_later.pk not in told_ids  # not eligible: joined after it opened
    assert cast.outsider.pk not in told_ids and cast.secretary.pk not in told_ids
    assert told_ids == {p.pk for p in voters if p != members[0]}


def test_votes_not_closing_soon_or_closed_remind_nobody(cast, voters):
    later = open_vote(cast, hours=30, title="Later")
    closed = open_vote(cast, hours=2, title="Closed")
    Vote.objects.filter(pk=closed.pk).update(closes_at=timezone.now() - dt.timedelta(minutes=1))
    services.votes_close_due()

    assert remind_votes_closing() == 0
    assert told(VOTE_CLOSING) == set()

    close_in(later, 23.5)  # now within the day
    assert remind_votes_closing() == len(voters)
    assert recipients(VOTE_CLOSING, later) == {p.pk for p in voters}


def test_a_vote_of_another_ics_reminds_only_its_own_members(cast, voters):
    their_chair = f.UserFactory(email="chair@b.example.nhs.uk", full_name="Dr Bo Chair")
    f.GroupMembershipFactory(group=cast.other_group, user=their_chair, role="chair")
    theirs = open_vote(cast, group=cast.other_group)

    remind_votes_closing()

    assert recipients(VOTE_CLOSING, theirs) == {cast.outsider.pk, their_chair.pk}
    assert not recipients(VOTE_CLOSING) & {p.pk for p in voters}


def test_a_vote_on_terms_of_reference_names_the_version(cast, voters):
    proposal = services.terms_propose(
        group=cast.group, actor=cast.chair, purpose="A clearer purpose."
    )
    vote = services.vote_open_on_terms(
        proposal=proposal, actor=cast.chair, closes_at=timezone.now() + dt.timedelta(hours=5)
    )

    remind_votes_closing()

    message = OutboxMessage.objects.get(kind=VOTE_CLOSING, recipient=cast.gp_lead)
    assert message.subject == f"Vote closes soon: terms of reference version {proposal.version}"
    assert message.object_id == str(vote.pk)


def test_running_twice_queues_nothing_new_and_a_moved_close_reminds_again(cast, voters):
    vote = open_vote(cast, hours=3)
    assert remind_votes_closing() == len(voters)
    first = told(VOTE_CLOSING)

    assert remind_votes_closing() == 0
    assert send_reminders() == {"remind_votes_closing": 0, "remind_terms_review": 0}
    assert told(VOTE_CLOSING) == first

    services.vote_cast(vote=vote, voter=cast.gp_lead, choice="for")
    vote = close_in(vote, 5)  # the close moved: a new reminder, but not to who has voted
    assert remind_votes_closing() == len(voters) - 1
    again = told(VOTE_CLOSING) - first
    assert again == {(p.pk, vote.closes_at.isoformat()) for p in voters if p != cast.gp_lead}


def test_a_ballot_cast_after_the_scan_read_it_stops_the_reminder(cast, voters):
    """The scan re-reads who voted under the vote's lock before it writes."""
    vote = open_vote(cast, hours=3)
    due = reminders.Due(obj=vote, version="", subject="", body="", url="")
    everyone = {p.pk for p in voters}
    services.vote_cast(vote=vote, voter=cast.gp_rep, choice="for")

    assert reminders._still_to_vote(due, everyone) == everyone - {cast.gp_rep.pk}

    Vote.objects.filter(pk=vote.pk).update(closes_at=timezone.now() - dt.timedelta(seconds=1))
    assert reminders._still_to_vote(due, everyone) == set()  # too late to vote


@pytest.mark.parametrize("n", [1, 20])
def test_the_vote_scan_finds_its_work_in_a_fixed_number_of_queries(
    cast, voters, n, django_assert_max_num_queries
):
    votes = [open_vote(cast, title=f"Position {i}") for i in range(n)]
    # Finding the work: two queries. Per vote, however many people it tells: the savepoint
    # and its release, the lock, the re-read of who voted, and notify's own queries.
    with django_assert_max_num_queries(2 + (4 + NOTIFY) * n):
        assert remind_votes_closing() == n * len(voters)
    with django_assert_max_num_queries(2):
        assert remind_votes_closing() == 0
    assert len(told(VOTE_CLOSING)) == n * len(voters)
    assert {m.object_id for m in OutboxMessage.objects.filter(kind=VOTE_CLOSING)} == {
        str(v.pk) for v in votes
    }


# --- Vote results ------------------------------------------------------------------------------


def test_the_result_reaches_the_group_when_the_deadline_job_closes_the_vote(cast, voters):
    """Results are not a scan: vote_close tells the group in the closing transaction."""
    vote = open_vote(cast, hours=2)
    services.vote_cast(vote=vote, voter=cast.gp_lead, choice="for")
    Vote.objects.filter(pk=vote.pk).update(closes_at=timezone.now() - dt.timedelta(seconds=1))

    services.votes_close_due()

    assert recipients("vote.result", vote) == {p.pk for p in voters}
    assert cast.outsider.pk not in recipients("vote.result")


# --- Terms of reference due for review --------------------------------------------------------


def review_on(group, days: int) -> TermsOfReference:
    terms = group.terms.get(state=TermsOfReference.State.IN_FORCE)
    group.terms.filter(pk=terms.pk).update(review_date=UK_TODAY() + dt.timedelta(days=days))
    terms.refresh_from_db()
    return terms


def test_terms_due_for_review_within_30_days_remind_the_chair_only(cast, voters):
    terms = review_on(cast.group, 30)

    assert remind_terms_review() == 1

    assert told(TERMS_REVIEW, terms) == {(cast.chair.pk, terms.review_date.isoformat())}
    message = OutboxMessage.objects.get(kind=TERMS_REVIEW)
    assert message.subject == f"Terms of reference due for review: {cast.group.name}"
    assert f"is due on {terms.review_date:%A %-d %B %Y}" in message.body
    assert "version 1" in message.body
    assert message.url == f"/groups/{cast.group.pk}/terms/"
    assert not message.urgent


def test_terms_not_due_yet_or_not_in_force_remind_nobody(cast):
    review_on(cast.group, 31)
    proposed = f.TermsOfReferenceFactory(
        group=cast.group,
        version=2,
        state=TermsOfReference.State.PROPOSED,
        review_date=UK_TODAY() + dt.timedelta(days=3),
    )

    assert remind_terms_review() == 0
    assert told(TERMS_REVIEW) == set()
    assert proposed.pk  # a proposal's review date is not yet anyone's to act on


def test_a_past_review_date_still_reminds_and_says_it_was_due(cast):
    terms = review_on(cast.group, -3)

    remind_terms_review()

    assert recipients(TERMS_REVIEW, terms) == {cast.chair.pk}
    assert "was due on" in OutboxMessage.objects.get(kind=TERMS_REVIEW).body


def test_only_the_current_chair_and_only_of_that_group(cast):
    terms = review_on(cast.group, 10)
    theirs = review_on(cast.other_group, 10)
    their_chair = f.UserFactory(email="chair@b.example.nhs.uk", full_name="Dr Bo Chair")
    f.GroupMembershipFactory(group=cast.other_group, user=their_chair, role="chair")
    former = f.UserFactory(full_name="Dr Former Chair")
    f.GroupMembershipFactory(
        group=cast.group, user=former, role="chair", ends_on=UK_TODAY() - dt.timedelta(days=1)
    )

    remind_terms_review()

    assert recipients(TERMS_REVIEW, terms) == {cast.chair.pk}
    assert recipients(TERMS_REVIEW, theirs) == {their_chair.pk}


def test_terms_review_runs_once_and_a_new_review_date_reminds_again(cast):
    terms = review_on(cast.group, 20)
    assert remind_terms_review() == 1
    assert remind_terms_review() == 0

    terms = review_on(cast.group, 25)
    assert remind_terms_review() == 1
    assert told(TERMS_REVIEW, terms) == {
        (cast.chair.pk, (UK_TODAY() + dt.timedelta(days=20)).isoformat()),
        (cast.chair.pk, terms.review_date.isoformat()),
    }


@pytest.mark.parametrize("n", [1, 20])
def test_the_terms_scan_finds_its_work_in_a_fixed_number_of_queries(
    cast, n, django_assert_max_num_queries
):
    for _ in range(n):
        group = f.LeadershipGroupFactory(ics=cast.ics)
        f.TermsOfReferenceFactory(group=group, review_date=UK_TODAY() + dt.timedelta(days=5))
        f.GroupMembershipFactory(group=group, user=f.UserFactory(), role="chair")
    # Per group: the savepoint and its release, and notify's own queries.
    with django_assert_max_num_queries(2 + (2 + NOTIFY) * n):
        assert remind_terms_review() == n
    with django_assert_max_num_queries(2):
        assert remind_terms_review() == 0


# --- The task ---------------------------------------------------------------------------------


def test_the_task_runs_every_family(cast, voters):
    review_on(cast.group, 7)
    open_vote(cast, hours=4)

    send_reminders.apply()

    assert recipients(VOTE_CLOSING) == {p.pk for p in voters}
    assert recipients(TERMS_REVIEW) == {cast.chair.pk}


def test_a_family_that_fails_does_not_stop_the_others(cast, voters, monkeypatch, caplog):
    review_on(cast.group, 7)

    def remind_broken() -> int:
        raise RuntimeError("the scan broke")

    monkeypatch.setattr(reminders, "FAMILIES", (remind_broken, remind_terms_review))

    assert send_reminders() == {"remind_terms_review": 1}
    assert recipients(TERMS_REVIEW) == {cast.chair.pk}
    assert "Reminder scan remind_broken failed" in caplog.text


# --- Two workers at once ----------------------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_workers_scanning_at_once_queue_each_reminder_once(postgres_only, cast, voters, caplog):
    votes = [open_vote(cast, title=f"Position {i}") for i in range(10)]
    review_on(cast.group, 5)
    start = threading.Barrier(4)
    counts: list[dict[str, int]] = []

    def scan() -> None:
        try:
            start.wait()
            counts.append(send_reminders())
        finally:
            connection.close()

    workers = [threading.Thread(target=scan) for _ in range(4)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()

    # Every scan ran both families to the end (a family that fails is left out and logged).
    assert [sorted(c) for c in counts] == [["remind_terms_review", "remind_votes_closing"]] * 4
    assert "failed" not in caplog.text
    rows = OutboxMessage.objects.filter(kind=VOTE_CLOSING)
    assert rows.count() == len(votes) * len(voters)
    assert set(rows.values_list("object_id", "recipient_id")) == {
        (str(v.pk), p.pk) for v in votes for p in voters
    }
    assert told(TERMS_REVIEW) == {(cast.chair.pk, (UK_TODAY() + dt.timedelta(days=5)).isoformat())}
