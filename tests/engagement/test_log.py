"""The engagement log: who may read and record events, the form's bad input, the list's
filters, an event linked to the positions it informed and shown on each position's journey,
links to another group's positions kept out of sight, every change audited, and query
counts that stay flat as the log grows."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from engagement.hooks.log import informed_by
from engagement.models.log import EngagementEvent
from engagement.services import log as services
from engagement.services.log import EventDetails, LogError
from groups import services as group_services
from groups.models import GroupMembership, today
from icsvoice.models import AuditEvent
from icsvoice.registry import position_journey
from tests import factories as f
from tests.engagement.test_register import add_org, errors
from tests.helpers import page, sign_in

pytestmark = pytest.mark.django_db

DAY = today() - dt.timedelta(days=10)


def draft(cast, title: str = "Same-day access hubs", group=None, author=None):
    return group_services.position_draft(
        group=group or cast.group,
        actor=author or cast.gp_lead,
        title=title,
        summary="Pool same-day demand across PCNs.",
        ask="Fund one hub per place.",
    )


def record(cast, title: str = "Practice managers' forum", actor=None, **changes):
    values = {
        "kind": "local_event",
        "title": title,
        "happened_on": DAY,
        "people_count": 24,
        "outcome": "Managers want one booking line per place.",
    }
    return services.event_record(
        ics=cast.ics, details=EventDetails(**{**values, **changes}), actor=actor or cast.gp_lead
    )


def form(**changes) -> dict[str, object]:
    data: dict[str, object] = {
        "kind": "patient_group",
        "title": "Hartlepool PPG meeting",
        "happened_on[day]": str(DAY.day),
        "happened_on[month]": str(DAY.month),
        "happened_on[year]": str(DAY.year),
        "place": "",
        "people_count": "12",
        "outcome": "Patients asked for evening appointments.",
    }
    return {**data, **changes}


@pytest.fixture
def event(cast) -> EngagementEvent:
    return record(cast)


# --- Who may do what ------------------------------------------------------------------------


def test_members_and_chairs_record_reviewers_read_others_are_refused(client, cast, event):
    ics = cast.ics.pk
    pages = [
        (reverse("engagement:log", args=[ics]), False),
        (reverse("engagement:log-event", args=[ics, event.pk]), False),
        (reverse("engagement:log-add", args=[ics]), True),
        (reverse("engagement:log-edit", args=[ics, event.pk]), True),
    ]
    for url, manager_only in pages:
        for person in (cast.gp_lead, cast.chair):
            sign_in(client, person)
            assert client.get(url).status_code == 200, (url, person)
        sign_in(client, cast.reviewer)
        assert client.get(url).status_code == (403 if manager_only else 200), url
        if manager_only:
            assert client.post(url, form()).status_code == 403, url
        for person in (cast.secretary, cast.board_member):
            sign_in(client, person)
            assert client.get(url).status_code == 403, (url, person)
        sign_in(client, cast.outsider)
        assert client.get(url).status_code == 404, url
        client.logout()
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"], url
    assert EngagementEvent.objects.count() == 1


def test_another_icss_event_is_not_found(client, cast):
    theirs = services.event_record(
        ics=cast.other_ics,
        details=EventDetails("coaching", "Coaching", DAY, 1, "Notes"),
        actor=cast.outsider,
    )
    sign_in(client, cast.gp_lead)
    for name in ("engagement:log-event", "engagement:log-edit"):
        assert client.get(reverse(name, args=[cast.ics.pk, theirs.pk])).status_code == 404
    sign_in(client, cast.outsider)
    assert client.get(reverse("engagement:log", args=[cast.ics.pk])).status_code == 404


# --- Recording and changing -------------------------------------------------------------------


def test_an_event_informs_positions_and_shows_on_their_journey(client, cast):
    place = f.PlaceFactory(ics=cast.ics, name="Hartlepool")
    ppg = add_org(cast, "Hartlepool PPG", kind="patient_group")
    lmc = add_org(cast)
    position = draft(cast)
    sign_in(client, cast.chair)
    add = reverse("engagement:log-add", args=[cast.ics.pk])
    body = page(client.get(add))
    assert "Same-day access hubs (ICS A Primary Care Leadership Group, draft)" in body
    response = client.post(
        add, form(place=place.pk, organisations=[ppg.pk, lmc.pk], positions=[position.pk])
    )
    event = EngagementEvent.objects.get()
    assert response["Location"] == reverse("engagement:log-event", args=[cast.ics.pk, event.pk])
    assert (event.place, event.people_count, event.created_by) == (place, 12, cast.chair)
    assert set(event.organisations.all()) == {ppg, lmc}
    recorded = AuditEvent.objects.get(event="log.event_recorded")
    assert recorded.role == "group_chair" and recorded.ics_id == cast.ics.pk
    assert recorded.payload["positions"] == [position.pk]
    assert recorded.payload["organisations"] == sorted([ppg.pk, lmc.pk])

    shown = page(client.get(response["Location"]))
    assert "Hartlepool PPG meeting" in shown and "Patients asked for evening appointments." in shown
    assert reverse("groups:position-detail", args=[position.pk]) in shown

    label = f"Informed by: Hartlepool PPG meeting, {DAY:%-d %B %Y}"
    [step] = position_journey(position)
    assert step.label == label and step.url == response["Location"]
    assert step.text == "Meeting with a patient group: 12 people took part."
    sign_in(client, cast.gp_lead)
    journey = client.get(reverse("groups:position-detail", args=[position.pk])).content.decode()
    assert label in journey


def test_a_change_is_audited_with_what_changed(client, cast, event):
    position = draft(cast)
    sign_in(client, cast.gp_lead)
    edit = reverse("engagement:log-edit", args=[cast.ics.pk, event.pk])
    assert "Practice managers&#x27; forum" in client.get(edit).content.decode()
    data = form(kind="local_event", title="Practice managers' forum", people_count="30")
    data["outcome"] = event.outcome
    data["positions"] = [position.pk]
    assert client.post(edit, data).status_code == 302
    event.refresh_from_db()
    assert event.people_count == 30
    changed = AuditEvent.objects.get(event="log.event_changed")
    assert changed.payload == {
        "fields": ["people_count", "positions"],
        "positions_added": [position.pk],
        "positions_removed": [],
    }
    response = client.post(edit, data, follow=True)
    assert "Nothing changed." in response.content.decode()
    assert AuditEvent.objects.filter(event="log.event_changed").count() == 1


def test_links_to_another_groups_positions_stay_out_of_sight_and_are_kept(client, cast):
    second = f.LeadershipGroupFactory(ics=cast.ics, name="Place leadership group")
    f.TermsOfReferenceFactory(group=second, version=1)
    both = f.UserFactory(full_name="Dr Bea Both")
    f.GroupMembershipFactory(group=cast.group, user=both)
    f.GroupMembershipFactory(group=second, user=both, role=GroupMembership.Role.CHAIR)
    ours = draft(cast, "Ours")
    theirs = draft(cast, "Theirs: confidential draft", group=second, author=both)
    event = record(cast, actor=both, positions=[ours, theirs])
    with pytest.raises(LogError, match="your own leadership groups"):
        record(cast, "Another", positions=[theirs])  # the GP lead is not in the second group

    sign_in(client, cast.gp_lead)
    shown = client.get(reverse("engagement:log-event", args=[cast.ics.pk, event.pk]))
    body = shown.content.decode()
    assert "Ours" in body and "confidential" not in body
    assert "And 1 position of another leadership group." in body
    edit = reverse("engagement:log-edit", args=[cast.ics.pk, event.pk])
    assert "confidential" not in client.get(edit).content.decode()
    # Posting their own position's id for the other group's is refused by the form.
    refused = client.post(edit, form(positions=[theirs.pk]))
    assert "Choose positions from the list" in errors(refused)
    client.post(edit, form(title="Renamed", positions=[]))
    event.refresh_from_db()
    assert event.title == "Renamed"
    assert set(event.positions.all()) == {theirs}  # ours unticked, theirs kept
    sign_in(client, cast.reviewer)
    seen = client.get(reverse("engagement:log-event", args=[cast.ics.pk, event.pk]))
    assert "confidential" in seen.content.decode()


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"kind": ""}, "Choose what kind of event it was"),
        ({"kind": "party"}, "Choose what kind of event it was"),
        ({"title": ""}, "Enter the title"),
        ({"title": "<img src=x>"}, "HTML"),
        ({"happened_on[day]": ""}, "Date must include a day"),
        ({"happened_on[day]": "30", "happened_on[month]": "2"}, "Date must be a real date"),
        ({"happened_on[year]": "1899"}, "The date must have a year from 2000 to 2099"),
        ({"happened_on[year]": str(today().year + 1)}, "The date must be today or in the past"),
        ({"people_count": ""}, "Enter how many people took part"),
        ({"people_count": "0"}, "at least 1"),
        ({"people_count": "lots"}, "as a whole number"),
        ({"outcome": ""}, "Enter what came of it"),
        ({"place": "0"}, "Choose a place from the list"),
        ({"organisations": ["0"]}, "Choose organisations from the register"),
        ({"positions": ["abc"]}, "Choose positions from the list"),
    ],
)
def test_a_bad_event_is_refused_and_nothing_saved(client, cast, changes, message):
    sign_in(client, cast.gp_lead)
    before = AuditEvent.objects.count()
    response = client.post(reverse("engagement:log-add", args=[cast.ics.pk]), form(**changes))
    assert message in errors(response)
    assert EngagementEvent.objects.count() == 0
    assert AuditEvent.objects.count() == before


def test_an_organisation_of_another_ics_is_refused(client, cast):
    theirs = add_org(cast, "Tees LMC", ics=cast.other_ics, actor=cast.outsider)
    sign_in(client, cast.gp_lead)
    url = reverse("engagement:log-add", args=[cast.ics.pk])
    assert "Choose organisations" in errors(client.post(url, form(organisations=[theirs.pk])))
    with pytest.raises(LogError):
        record(cast, organisations=[theirs])
    assert EngagementEvent.objects.count() == 0


# --- The list and its filters -----------------------------------------------------------------


def _titles(response) -> list[str]:
    return [event.title for event in response.context["page"].object_list]


def test_the_list_filters_by_kind_and_date(client, cast):
    record(cast, "Old forum", happened_on=DAY - dt.timedelta(days=100))
    record(cast, "Shadowing at Park Surgery", kind="work_shadowing", happened_on=DAY)
    record(cast, "New forum", happened_on=DAY)
    url = reverse("engagement:log", args=[cast.ics.pk])
    sign_in(client, cast.reviewer)
    body = page(client.get(url))
    assert "3 events" in body and "Record an event" not in body
    assert _titles(client.get(url)) == ["New forum", "Shadowing at Park Surgery", "Old forum"]
    assert _titles(client.get(url, {"kind": "local_event"})) == ["New forum", "Old forum"]
    start = DAY - dt.timedelta(days=5)
    since = {
        "date_from[day]": start.day,
        "date_from[month]": start.month,
        "date_from[year]": start.year,
    }
    assert _titles(client.get(url, {**since, "kind": "local_event"})) == ["New forum"]
    until = {"date_to[day]": start.day, "date_to[month]": start.month, "date_to[year]": start.year}
    assert _titles(client.get(url, until)) == ["Old forum"]
    assert "1 event found" in client.get(url, until).content.decode()

    wrong_way = {
        "date_from[day]": "2", "date_from[month]": "1", "date_from[year]": "2026",
        "date_to[day]": "1", "date_to[month]": "1", "date_to[year]": "2026",
    }  # fmt: skip
    assert "The &#x27;to&#x27; date must be the same as or after" in errors(
        client.get(url, wrong_way)
    )
    assert "Choose a kind of event from the list" in errors(client.get(url, {"kind": "rave"}))
    assert "From must be a real date" in errors(
        client.get(url, {"date_from[day]": "x", "date_from[month]": "1", "date_from[year]": "2026"})
    )
    assert client.get(url, {"page": "nonsense"}).status_code == 200


# --- Query counts -----------------------------------------------------------------------------


@pytest.mark.parametrize("n", [2, 6])
def test_log_pages_keep_to_a_fixed_number_of_queries(
    client, cast, n, django_assert_max_num_queries
):
    organisations = [add_org(cast, f"Pharmacy {i}", kind="pharmacy") for i in range(n)]
    positions = [draft(cast, f"Position {i}") for i in range(n)]
    for i in range(n):
        record(cast, f"Event {i}", organisations=organisations, positions=positions)
    last = EngagementEvent.objects.order_by("-pk").first()
    sign_in(client, cast.chair)
    client.get(reverse("home"))  # warm the session
    # Measured: 7 for the session, the person, their authenticator and their roles, and 3
    # for the session's save; then the page's own.
    with django_assert_max_num_queries(13):  # the ICS, a count, the events, organisations
        assert client.get(reverse("engagement:log", args=[cast.ics.pk])).status_code == 200
    with django_assert_max_num_queries(14):  # the ICS, the event, its links, the groups
        url = reverse("engagement:log-event", args=[cast.ics.pk, last.pk])
        assert client.get(url).status_code == 200
    with django_assert_max_num_queries(17):  # and the form's choices
        url = reverse("engagement:log-edit", args=[cast.ics.pk, last.pk])
        assert client.get(url).status_code == 200
    # The position's journey step costs its page one query however many events.
    with django_assert_max_num_queries(1):
        assert len(informed_by(positions[0])) == n
