"""The register of interests through the services: who may add and end entries, and the
rules on dates, kinds and text."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from groups import services
from groups.models import Interest
from groups.services.interests import InterestError
from icsvoice import audit
from icsvoice.errors import DomainError
from icsvoice.models import AuditEvent

BEGAN = dt.date(2024, 4, 1)


def register(cast, *, member=None, actor=None, **changes):
    values = {
        "category": "financial",
        "description": "Partner in a practice that holds an enhanced access contract.",
        "starts_on": BEGAN,
    }
    values.update(changes)
    member = member or cast.gp_lead
    return services.interest_register(
        group=cast.group, member=member, actor=actor or member, **values
    )


def test_a_member_registers_their_own_interest(cast):
    interest = register(cast, description="  Shareholder in a GP federation.  ")

    assert interest.member == cast.gp_lead
    assert interest.recorded_by == cast.gp_lead
    assert interest.description == "Shareholder in a GP federation."
    assert interest.ends_on is None
    event = AuditEvent.objects.get(event="interest.registered")
    assert event.actor == cast.gp_lead
    assert event.role == "group_member"
    assert event.payload["on_behalf"] is False
    assert event.payload["starts_on"] == "2024-04-01"
    assert audit.verify().ok


def test_the_chair_registers_an_interest_on_a_members_behalf(cast):
    interest = register(cast, member=cast.gp_rep, actor=cast.chair, category="indirect")

    assert interest.member == cast.gp_rep
    assert interest.recorded_by == cast.chair
    event = AuditEvent.objects.get(event="interest.registered")
    assert event.role == "group_chair"
    assert event.payload["on_behalf"] is True
    assert event.payload["member"] == cast.gp_rep.pk


def test_a_member_who_is_not_chair_cannot_register_for_someone_else(cast):
    with pytest.raises(DomainError, match="Only the chair"):
        register(cast, member=cast.gp_rep, actor=cast.gp_lead)
    assert not Interest.objects.exists()


def test_people_outside_the_group_cannot_register(cast):
    for person in (cast.reviewer, cast.outsider, cast.secretary):
        with pytest.raises(DomainError, match="Only current members"):
            register(cast, member=person)
    with pytest.raises(InterestError, match="not a current member"):
        register(cast, member=cast.reviewer, actor=cast.chair)
    assert not Interest.objects.exists()


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"category": "gifts"}, "Choose the kind of interest."),
        ({"description": "   "}, "Describe the interest."),
        ({"description": "<img src=x onerror=alert(1)>"}, "must be plain text"),
        ({"starts_on": dt.date.today() + dt.timedelta(days=2)}, "today or in the past"),
        ({"ends_on": BEGAN - dt.timedelta(days=1)}, "on or after the date it began"),
    ],
)
def test_invalid_entries_are_refused(cast, changes, message):
    with pytest.raises(DomainError, match=message):
        register(cast, **changes)
    assert not Interest.objects.exists()
    assert not AuditEvent.objects.filter(event="interest.registered").exists()


def test_an_interest_may_end_on_the_day_it_began(cast):
    assert register(cast, ends_on=BEGAN).ends_on == BEGAN


def test_a_member_ends_their_own_interest_once(cast):
    interest = services.interest_end(interest=register(cast), actor=cast.gp_lead)

    interest.refresh_from_db()
    assert interest.ends_on == timezone.localdate()
    event = AuditEvent.objects.get(event="interest.ended")
    assert event.actor == cast.gp_lead
    assert event.payload["member"] == cast.gp_lead.pk
    with pytest.raises(InterestError, match="already ended"):
        services.interest_end(interest=interest, actor=cast.gp_lead)
    assert AuditEvent.objects.filter(event="interest.ended").count() == 1


def test_the_chair_ends_a_members_interest_and_others_cannot(cast):
    interest = register(cast)
    for person in (cast.gp_rep, cast.reviewer):
        with pytest.raises(DomainError, match="Only the chair"):
            services.interest_end(interest=interest, actor=person)
    interest.refresh_from_db()
    assert interest.ends_on is None

    services.interest_end(interest=interest, actor=cast.chair, ends_on=dt.date(2025, 1, 31))
    interest.refresh_from_db()
    assert interest.ends_on == dt.date(2025, 1, 31)
    assert AuditEvent.objects.get(event="interest.ended").role == "group_chair"


def test_an_interest_cannot_end_before_it_began(cast):
    interest = register(cast)
    with pytest.raises(InterestError, match="on or after the date it began"):
        services.interest_end(interest=interest, actor=cast.gp_lead, ends_on=dt.date(2024, 3, 31))
    interest.refresh_from_db()
    assert interest.ends_on is None


def test_an_entry_registered_with_an_end_date_cannot_be_ended_again(cast):
    interest = register(cast, ends_on=dt.date(2024, 12, 31))
    with pytest.raises(InterestError, match="already ended"):
        services.interest_end(interest=interest, actor=cast.gp_lead)
