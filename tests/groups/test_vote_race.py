"""Race safety on real PostgreSQL: 200 eligible members vote at once, 50 of them sending the
same ballot five times in parallel. Exactly one ballot each lands, the count is the truth,
and every request gets a redirect with a message (never an error page)."""

from __future__ import annotations

import queue
import random
import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import pytest
from django.contrib.auth.hashers import make_password
from django.contrib.messages import get_messages
from django.db import connection
from django.test import Client
from django.test.client import ClientHandler
from django.urls import reverse

from groups import services
from groups.models import (
    Ballot,
    GroupMembership,
    SecretBallot,
    TermsOfReference,
    Vote,
    VoteParticipation,
)
from groups.services.votes import count_of
from groups.tally import Count, Rules, tally
from icsvoice import audit
from icsvoice.models import AuditEvent, User
from tests import factories as f
from tests.helpers import sign_in

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

VOTERS = 200
SENDING_ONCE = 150
SENDING_FIVE_TIMES = 50
WORKERS = 40  # PostgreSQL allows 100 connections, shared with other test runs


@dataclass(frozen=True)
class Sent:
    voter: User
    choice: str


@dataclass(frozen=True)
class Answer:
    sent: Sent
    status: int
    location: str
    messages: tuple[str, ...]
    error: str = ""


def _group_of_200(ballot: str):
    """One group whose 200 members (the chair among them) may all vote, made in bulk."""
    ics = f.ICSFactory(code="QRC", name="ICS Race")
    group = f.LeadershipGroupFactory(ics=ics, name="Race Primary Care Leadership Group")
    f.TermsOfReferenceFactory(group=group, version=1, ballot=ballot)
    password = make_password(f.PASSWORD)
    people = User.objects.bulk_create(
        User(
            email=f"voter{n:03d}@race.example.nhs.uk", full_name=f"Voter {n:03d}", password=password
        )
        for n in range(VOTERS)
    )
    GroupMembership.objects.bulk_create(
        GroupMembership(
            group=group,
            user=person,
            role=GroupMembership.Role.CHAIR if n == 0 else GroupMembership.Role.MEMBER,
        )
        for n, person in enumerate(people)
    )
    return group, people


def _plan(people) -> tuple[list[Sent], dict[int, str]]:
    """400 sends: 150 voters once, 50 voters five times with the same choice each time,
    the five copies side by side so different workers take them at the same moment."""
    rng = random.Random(2495)
    truth = {person.pk: rng.choice(["for", "against", "abstain"]) for person in people}
    once = people[:SENDING_ONCE]
    repeaters = people[SENDING_ONCE:]
    sends: list[Sent] = []
    for n, person in enumerate(repeaters):
        sends += [Sent(person, truth[person.pk])] * 5
        sends += [Sent(p, truth[p.pk]) for p in once[3 * n : 3 * n + 3]]
    assert len(sends) == SENDING_ONCE + 5 * SENDING_FIVE_TIMES
    return sends, truth


def _fire(sends: list[Sent], send) -> list[Answer]:
    """Every send through `send(index, sent)` from WORKERS threads released together; each
    thread closes its own database connection when the queue is empty."""
    work: queue.Queue[tuple[int, Sent]] = queue.Queue()
    for item in enumerate(sends):
        work.put(item)
    answers: list[Answer | None] = [None] * len(sends)
    start = threading.Barrier(WORKERS)

    def worker() -> None:
        try:
            start.wait()
            while True:
                try:
                    index, sent = work.get_nowait()
                except queue.Empty:
                    return
                try:
                    answers[index] = send(index, sent)
                except Exception as error:  # an error page, recorded for the assertion
                    # (Django's test client hears every thread's request exceptions, so one
                    # error page shows up in every send in flight at that moment.)
                    answers[index] = Answer(sent, 500, "", (), repr(error))
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        for future in [pool.submit(worker) for _ in range(WORKERS)]:
            future.result()
    assert all(answer is not None for answer in answers)
    return answers  # type: ignore[return-value]


def _through_http(vote: Vote, sends: list[Sent]):
    """One signed-in client per send, made before the threads start. They share one
    request handler, as a server's threads do: loading the middleware once rather than
    400 times (WhiteNoise scans the static files when it loads)."""
    handler = ClientHandler(enforce_csrf_checks=False)
    handler.load_middleware()
    clients = [sign_in(Client(), sent.voter) for sent in sends]
    for client in clients:
        client.handler = handler
    url = reverse("groups:vote-cast", args=[vote.pk])

    def send(index: int, sent: Sent) -> Answer:
        response = clients[index].post(url, {"choice": sent.choice, "reason": ""})
        return Answer(
            sent,
            response.status_code,
            response.get("Location", ""),
            tuple(str(m) for m in get_messages(response.wsgi_request)),
        )

    return send


def _expected(truth: dict[int, str]) -> Counter:
    return Counter(truth.values())


def _assert_counted_truly(vote: Vote, chair: User, truth: dict[int, str]) -> None:
    expected = _expected(truth)
    count = Count(
        eligible=VOTERS,
        in_favour=expected["for"],
        against=expected["against"],
        abstain=expected["abstain"],
    )
    assert count_of(vote) == count
    closed = services.vote_close(vote=vote, actor=chair)  # everyone voted, so it may close
    assert (closed.in_favour, closed.against, closed.abstain) == (
        count.in_favour,
        count.against,
        count.abstain,
    )
    assert closed.outcome == tally(Rules.of(closed.terms), count).outcome
    assert audit.verify().ok


def _assert_every_answer_is_a_redirect_with_a_message(vote: Vote, answers: list[Answer]) -> None:
    vote_page = reverse("groups:vote-detail", args=[vote.pk])
    errors = [a for a in answers if a.error or a.status not in (302, 303)]
    assert errors == [], f"{len(errors)} sends were not redirects, e.g. {errors[:3]}"
    assert {a.location for a in answers} == {vote_page}
    assert all(len(a.messages) == 1 for a in answers)


def test_named_ballots_race_to_exactly_one_each_and_a_true_count(postgres_only):
    group, people = _group_of_200(TermsOfReference.Ballot.NAMED)
    chair = people[0]
    position = services.position_draft(
        group=group, actor=chair, title="Race", summary="Many at once.", ask="Count us."
    )
    vote = services.vote_open(position=position, actor=chair)
    sends, truth = _plan(people)

    answers = _fire(sends, _through_http(vote, sends))

    _assert_every_answer_is_a_redirect_with_a_message(vote, answers)
    stands = [a for a in answers if "your vote stands" in a.messages[0]]
    assert len(stands) == 4 * SENDING_FIVE_TIMES  # the copies, each told their vote stands
    assert Ballot.objects.filter(vote=vote).count() == VOTERS
    assert VoteParticipation.objects.filter(vote=vote).count() == VOTERS
    assert dict(Ballot.objects.filter(vote=vote).values_list("voter_id", "choice")) == truth
    assert AuditEvent.objects.filter(event="vote.cast").count() == VOTERS
    assert not AuditEvent.objects.filter(event="vote.changed").exists()
    _assert_counted_truly(vote, chair, truth)


def test_secret_ballots_race_to_exactly_one_each_and_copies_are_refused(postgres_only):
    group, people = _group_of_200(TermsOfReference.Ballot.SECRET)
    chair = people[0]
    position = services.position_draft(
        group=group, actor=chair, title="Race", summary="Many at once.", ask="Count us."
    )
    vote = services.vote_open(position=position, actor=chair)
    sends, truth = _plan(people)

    answers = _fire(sends, _through_http(vote, sends))

    _assert_every_answer_is_a_redirect_with_a_message(vote, answers)
    refused = [a for a in answers if "already voted in this secret ballot" in a.messages[0]]
    assert len(refused) == 4 * SENDING_FIVE_TIMES
    assert Counter(a.sent.voter.pk for a in refused) == {
        person.pk: 4 for person in people[SENDING_ONCE:]
    }
    assert SecretBallot.objects.filter(vote=vote).count() == VOTERS
    assert VoteParticipation.objects.filter(vote=vote).count() == VOTERS
    assert not Ballot.objects.exists()
    assert AuditEvent.objects.filter(event="vote.participated").count() == VOTERS
    _assert_counted_truly(vote, chair, truth)
