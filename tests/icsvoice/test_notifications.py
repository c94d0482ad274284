"""The notification hook: one outbox row per person told, never twice, and only if the
change that caused it commits."""

from __future__ import annotations

import pytest
from django.db import transaction

from icsvoice.models import OutboxMessage
from icsvoice.notifications import notify
from tests.factories import LeadershipGroupFactory, UserFactory


@pytest.fixture
def people(db):
    return [UserFactory(full_name=f"Person {n}") for n in range(3)]


@pytest.fixture
def group(db):
    return LeadershipGroupFactory(name="North Primary Care Leadership Group")


def _notify(group, recipients, **extra):
    return notify(
        kind="position.revised",
        obj=group,
        recipients=recipients,
        subject="New version",
        body="Version 2 was saved.",
        url="/positions/1/",
        **extra,
    )


def test_one_row_per_recipient_whether_given_as_people_or_ids(group, people):
    a, b, c = people
    assert _notify(group, [a, b.pk, c, a.pk]) == 3
    rows = OutboxMessage.objects.order_by("recipient_id")
    assert [row.recipient_id for row in rows] == sorted(p.pk for p in people)
    row = rows[0]
    assert (row.kind, row.object_type, row.object_id) == (
        "position.revised",
        "groups.leadershipgroup",
        str(group.pk),
    )
    assert (row.subject, row.body, row.url, row.state) == (
        "New version",
        "Version 2 was saved.",
        "/positions/1/",
        OutboxMessage.State.PENDING,
    )


def test_a_repeat_adds_nothing_and_a_new_recipient_only_themselves(group, people):
    a, b, c = people
    assert _notify(group, [a, b]) == 2
    assert _notify(group, [a, b]) == 0
    assert _notify(group, [a, b, c]) == 1
    assert OutboxMessage.objects.count() == 3
    assert OutboxMessage.objects.filter(recipient=a).count() == 1


def test_a_new_version_of_the_same_thing_is_news_again(group, people):
    assert _notify(group, people, version=1) == 3
    assert _notify(group, people, version=2) == 3
    assert _notify(group, people, version="2") == 0
    assert OutboxMessage.objects.count() == 6


def test_the_excluded_person_usually_the_actor_is_not_told(group, people):
    a, b, _ = people
    assert _notify(group, [a, b], exclude=a) == 1
    assert list(OutboxMessage.objects.values_list("recipient_id", flat=True)) == [b.pk]
    assert _notify(group, [a], exclude=a) == 0
    assert _notify(group, []) == 0
    assert OutboxMessage.objects.count() == 1


def test_long_subjects_are_cut_to_fit_and_urgency_is_kept(group, people):
    notify(
        kind="vote.result",
        obj=group,
        recipients=people[:1],
        subject="x" * 250,
        body="",
        urgent=True,
    )
    row = OutboxMessage.objects.get()
    assert row.subject == "x" * 200
    assert row.urgent


def test_rows_roll_back_with_the_callers_transaction(group, people):
    with pytest.raises(RuntimeError), transaction.atomic():
        assert _notify(group, people) == 3
        raise RuntimeError("the change failed")
    assert not OutboxMessage.objects.exists()
    assert _notify(group, people) == 3
