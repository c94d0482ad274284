"""The audit trail review: who may see it, every filter, keyset pages, the exports, sealed
ballots, and the integrity panel with its verification run by the task."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
from pathlib import Path
from unittest import mock

import pytest
from django.urls import reverse
from django.utils import timezone

from engagement import auditlog
from groups import services as group_services
from groups.models import TermsOfReference
from icsvoice import audit
from icsvoice.models import AuditEvent, AuditVerification
from tests.boards.briefs_fixtures import meeting, table
from tests.factories import GroupMembershipFactory, UserFactory
from tests.helpers import page as checked_page
from tests.helpers import sign_in

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]


def url(cast, name: str = "engagement:audit", ics=None) -> str:
    return reverse(name, args=[(ics or cast.ics).pk])


def draft(cast, title: str, group=None, author=None):
    return group_services.position_draft(
        group=group or cast.group,
        actor=author or cast.gp_lead,
        title=title,
        summary="Pool same-day demand across PCNs.",
        ask="Fund one hub per place.",
    )


def shown_ids(response) -> list[int]:
    return [row["event"].id for row in response.context["rows"]]


def at(when: dt.datetime):
    """Events recorded inside this block happen at `when`."""
    return mock.patch("icsvoice.audit.timezone.now", return_value=when)


# --- Who may see it -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name", ["engagement:audit", "engagement:audit-csv", "engagement:audit-json"]
)
def test_only_the_icss_reviewers_may_read_the_trail(client, cast, name):
    sign_in(client, cast.reviewer)
    assert client.get(url(cast, name)).status_code == 200
    for person in (cast.gp_lead, cast.chair, cast.secretary, cast.gp_rep):
        sign_in(client, person)
        assert client.get(url(cast, name)).status_code == 403, person
    sign_in(client, cast.outsider)
    assert client.get(url(cast, name)).status_code == 404
    sign_in(client, cast.reviewer)
    assert client.get(url(cast, name, ics=cast.other_ics)).status_code == 404
    client.logout()
    assert client.get(url(cast, name)).status_code == 302


def test_only_the_icss_reviewers_may_start_a_check(client, cast):
    verify = url(cast, "engagement:audit-verify")
    sign_in(client, cast.chair)
    assert client.post(verify).status_code == 403
    sign_in(client, cast.outsider)
    assert client.post(verify).status_code == 404
    sign_in(client, cast.reviewer)
    assert client.get(verify).status_code == 405
    assert not AuditVerification.objects.exists()


def test_review_home_goes_to_the_one_ics_and_refuses_others(client, cast):
    sign_in(client, cast.reviewer)
    response = client.get(reverse("engagement:review-home"))
    assert response.status_code == 302
    assert response.url == reverse("engagement:review-ics", args=[cast.ics.pk])
    assert client.get(response.url).status_code == 200
    sign_in(client, cast.gp_lead)
    assert client.get(reverse("engagement:review-home")).status_code == 403
    assert client.get(reverse("engagement:review-ics", args=[cast.ics.pk])).status_code == 403
    sign_in(client, cast.outsider)
    assert client.get(reverse("engagement:review-ics", args=[cast.ics.pk])).status_code == 404


# --- What it shows --------------------------------------------------------------------------


def test_another_icss_events_never_show(client, cast):
    ours = draft(cast, "Ours")
    theirs = draft(cast, "Theirs", group=cast.other_group, author=cast.outsider)
    sign_in(client, cast.reviewer)
    response = client.get(url(cast))
    ids = shown_ids(response)
    assert AuditEvent.objects.get(event="position.drafted", object_id=str(ours.pk)).id in ids
    theirs_event = AuditEvent.objects.get(event="position.drafted", object_id=str(theirs.pk))
    assert theirs_event.id not in ids
    exported = client.get(url(cast, "engagement:audit-csv"))
    assert "Theirs" not in b"".join(exported.streaming_content).decode()


def test_events_know_their_group_and_board(cast, agreed):
    upcoming = meeting(cast.board, cast.secretary)
    brief = table(cast, agreed, upcoming)
    drafted = AuditEvent.objects.get(event="position.drafted", object_id=str(agreed.pk))
    assert (drafted.group_id, drafted.board_id) == (cast.group.pk, None)
    seat = AuditEvent.objects.filter(event="board.seat_added").first()
    assert seat is None or (seat.group_id, seat.board_id) == (None, cast.board.pk)
    tabled = AuditEvent.objects.get(event="board.brief_tabled", object_id=str(brief.pk))
    assert (tabled.group_id, tabled.board_id) == (cast.group.pk, cast.board.pk)
    assert audit.verify().ok


def test_each_filter_narrows_to_what_it_names(client, cast, agreed):
    upcoming = meeting(cast.board, cast.secretary)
    brief = table(cast, agreed, upcoming)
    sign_in(client, cast.reviewer)
    everything = set(shown_ids(client.get(url(cast))))
    events = AuditEvent.objects.filter(ics_id=cast.ics.pk)
    assert everything == set(events.values_list("id", flat=True))

    def shown(**params) -> set[int]:
        response = client.get(url(cast), params)
        assert response.status_code == 200
        assert not response.context["form"].errors, response.context["form"].errors
        return set(shown_ids(response))

    assert shown(group=cast.group.pk) == set(
        events.filter(group_id=cast.group.pk).values_list("id", flat=True)
    )
    board_events = shown(board=cast.board.pk)
    assert board_events == set(events.filter(board_id=cast.board.pk).values_list("id", flat=True))
    assert {e.event for e in AuditEvent.objects.filter(id__in=board_events)} == {
        "board.brief_tabled"
    }
    by_chair = shown(person=cast.chair.email.upper())
    assert by_chair == set(events.filter(actor=cast.chair).values_list("id", flat=True))
    assert by_chair and shown(person="nobody@example.nhs.uk") == set()
    assert shown(role="group_chair") == set(
        events.filter(role="group_chair").values_list("id", flat=True)
    )
    votes = shown(event="vote.cast")
    assert len(votes) == 3  # the lead, the chair and the representative voted
    assert shown(object_type="boards.brief", object_id=brief.pk) == set(
        events.filter(object_type="boards.brief", object_id=str(brief.pk)).values_list(
            "id", flat=True
        )
    )
    assert shown(object_type="groups.position") == set(
        events.filter(object_type="groups.position").values_list("id", flat=True)
    )


def test_words_in_the_details_are_found(client, cast):
    draft(cast, "Frailty virtual wards")
    draft(cast, "Same-day access hubs")
    sign_in(client, cast.reviewer)
    found = client.get(url(cast), {"q": "frailty VIRTUAL"})
    assert [row["event"].payload["title"] for row in found.context["rows"]] == [
        "Frailty virtual wards"
    ]
    assert client.get(url(cast), {"q": "no such words"}).context["rows"] == []


def test_a_date_range_takes_whole_uk_days_at_both_edges(client, cast):
    london = timezone.get_current_timezone()
    days = {
        "before": dt.datetime(2026, 3, 31, 23, 59, 59, tzinfo=london),
        "first": dt.datetime(2026, 4, 1, 0, 0, 0, tzinfo=london),
        "last": dt.datetime(2026, 4, 30, 23, 59, 59, tzinfo=london),
        "after": dt.datetime(2026, 5, 1, 0, 0, 0, tzinfo=london),
    }
    ids = {}
    for name, when in days.items():
        with at(when):
            position = draft(cast, f"Drafted {name}")
        ids[name] = AuditEvent.objects.get(object_id=str(position.pk), event="position.drafted").id
    sign_in(client, cast.reviewer)
    params = {
        "date_from[day]": "1",
        "date_from[month]": "4",
        "date_from[year]": "2026",
        "date_to[day]": "30",
        "date_to[month]": "4",
        "date_to[year]": "2026",
    }
    assert set(shown_ids(client.get(url(cast), params))) == {ids["first"], ids["last"]}
    only_from = {k: v for k, v in params.items() if k.startswith("date_from")}
    assert set(shown_ids(client.get(url(cast), only_from))) == {
        ids["first"],
        ids["last"],
        ids["after"],
    }
    future = {"date_from[day]": "1", "date_from[month]": "1", "date_from[year]": "2099"}
    assert shown_ids(client.get(url(cast), future)) == []


@pytest.mark.parametrize(
    ("params", "message"),
    [
        (
            {"date_from[day]": "31", "date_from[month]": "2", "date_from[year]": "2026"},
            "From must be a real date",
        ),
        (
            {
                "date_from[day]": "2",
                "date_from[month]": "4",
                "date_from[year]": "2026",
                "date_to[day]": "1",
                "date_to[month]": "4",
                "date_to[year]": "2026",
            },
            "The &#x27;to&#x27; date must be the same as or after the &#x27;from&#x27; date",
        ),
        ({"event": "position.exploded"}, "Choose what happened from the list"),
        ({"object_id": "12"}, "Choose what the event is about, to find it by number"),
        ({"object_type": "groups.position", "object_id": "x1"}, "must be a whole number"),
        ({"person": "not an email"}, "Enter an email address in the correct format"),
        ({"group": "999999"}, "Choose a leadership group from the list"),
        ({"date_from[day]": "²", "date_from[month]": "1", "date_from[year]": "2026"}, "real date"),
        (
            {"date_to[day]": "31", "date_to[month]": "12", "date_to[year]": "9999"},
            "Enter a year from 2000 to 2099",
        ),
    ],
)
def test_bad_filters_get_the_error_summary_and_no_rows(client, cast, params, message):
    draft(cast, "Something to find")
    sign_in(client, cast.reviewer)
    response = client.get(url(cast), params)
    assert response.status_code == 200
    page = response.content.decode()
    assert "There is a problem" in page
    assert message in page
    assert response.context["rows"] == []
    export = client.get(url(cast, "engagement:audit-csv"), params)
    assert export.status_code == 400
    assert "nothing was exported" in export.content.decode()


def test_another_icss_group_is_not_a_choice(client, cast):
    sign_in(client, cast.reviewer)
    response = client.get(url(cast), {"group": cast.other_group.pk})
    assert "Choose a leadership group from the list" in response.content.decode()


# --- Pages ----------------------------------------------------------------------------------


def test_keyset_pages_walk_every_event_once_both_ways(client, cast):
    for number in range(105):
        draft(cast, f"Position {number}")
    total = AuditEvent.objects.filter(ics_id=cast.ics.pk).count()
    assert total > 2 * auditlog.PAGE_SIZE
    sign_in(client, cast.reviewer)
    seen: list[int] = []
    pages = []
    response = client.get(url(cast))
    while True:
        pages.append(response)
        seen += shown_ids(response)
        older = response.context["older_url"]
        if not older:
            break
        response = client.get(older)
    assert seen == sorted(seen, reverse=True)
    assert sorted(seen) == sorted(
        AuditEvent.objects.filter(ics_id=cast.ics.pk).values_list("id", flat=True)
    )
    assert len(pages) == -(-total // auditlog.PAGE_SIZE)
    # Newer from the second page is the first page again.
    back = client.get(pages[1].context["newer_url"])
    assert shown_ids(back) == shown_ids(pages[0])
    assert not back.context["newer_url"]


@pytest.mark.parametrize(
    ("param", "value"), [("before", "12abc"), ("after", "12abc"), ("before", "²"), ("after", "-3")]
)
def test_a_bad_page_link_shows_the_newest_with_a_message(client, cast, param, value):
    draft(cast, "Newest")
    sign_in(client, cast.reviewer)
    response = client.get(url(cast), {param: value})
    assert response.status_code == 200
    assert "That page link is not valid" in response.content.decode()
    assert shown_ids(response)[0] == AuditEvent.objects.filter(ics_id=cast.ics.pk).latest("id").id


def test_the_page_keeps_to_the_same_queries_as_events_grow(
    client, cast, django_assert_max_num_queries
):
    for number in range(5):
        draft(cast, f"Position {number}")
    sign_in(client, cast.reviewer)
    filtered = {
        "group": cast.group.pk,
        "q": "Position",
        "date_from[day]": "1",
        "date_from[month]": "1",
        "date_from[year]": "2020",
    }
    client.get(url(cast))  # the session and the roles settle
    with django_assert_max_num_queries(20) as few:
        client.get(url(cast), filtered)
    for number in range(60):
        draft(cast, f"Position {number}")
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(url(cast), filtered)
    assert len(response.context["rows"]) == auditlog.PAGE_SIZE


# --- Ballots --------------------------------------------------------------------------------


def _vote(cast, *, ballot: str, hidden: bool):
    TermsOfReference.objects.filter(group=cast.group).update(
        ballot=ballot, results_hidden_until_close=hidden
    )
    position = draft(cast, f"{ballot} ballot")
    vote = group_services.vote_open(position=position, actor=cast.chair)
    reason = "" if ballot == "secret" else "Too soon"
    group_services.vote_cast(vote=vote, voter=cast.gp_lead, choice="against", reason=reason)
    return vote


def test_a_secret_ballot_shows_only_that_the_person_voted(client, cast):
    vote = _vote(cast, ballot="secret", hidden=False)
    for voter in (cast.chair, cast.gp_rep):
        group_services.vote_cast(vote=vote, voter=voter, choice="for")
    group_services.vote_close(vote=vote, actor=cast.chair)
    closed = AuditEvent.objects.get(event="vote.closed", object_id=str(vote.pk))
    assert {"for", "against"} <= set(closed.payload)  # the record holds the counts ...
    sign_in(client, cast.reviewer)
    response = client.get(url(cast), {"object_type": "groups.vote", "object_id": vote.pk})
    rows = {r["event"].event: r for r in response.context["rows"]}
    participated = [r for r in response.context["rows"] if r["event"].event == "vote.participated"]
    assert len(participated) == 3
    assert participated[0]["details"] == [("ballot", "secret")]
    shown = dict(rows["vote.closed"]["details"])  # ... the review shows none of them
    assert not {"for", "against", "abstain"} & set(shown)
    assert "for, against" in shown["withheld"]
    for name in ("engagement:audit-csv", "engagement:audit-json"):
        exported = b"".join(client.get(url(cast, name)).streaming_content).decode()
        assert '"against"' not in exported.replace('"withheld": ["for", "against"', "")
    document = json.loads(
        b"".join(client.get(url(cast, "engagement:audit-json")).streaming_content)
    )
    closing = next(e for e in document["events"] if e["event"] == "vote.closed")
    assert closing["withheld"] == ["for", "against"] or set(closing["withheld"]) >= {"for"}
    assert not {"for", "against", "abstain"} & set(closing["payload"])
    # Nor can a word search find the counts.
    found = client.get(url(cast), {"q": '"against": 1'}).context["rows"]
    assert [r["event"].event for r in found] == []


def test_a_named_ballot_is_sealed_until_a_hidden_vote_closes(client, cast):
    vote = _vote(cast, ballot="named", hidden=True)
    sign_in(client, cast.reviewer)
    params = {"event": "vote.cast"}
    page = client.get(url(cast), params).content.decode()
    assert "not shown, as on the vote&#x27;s own page: choice, reason" in page
    assert "Too soon" not in page and "against" not in page
    for name in ("engagement:audit-csv", "engagement:audit-json"):
        exported = b"".join(client.get(url(cast, name), params).streaming_content).decode()
        assert "Too soon" not in exported and "against" not in exported
        assert "choice" in exported  # named as withheld
    # A word search does not find the sealed choice either.
    assert client.get(url(cast), {"q": "against"}).context["rows"] == []
    for voter in (cast.chair, cast.gp_rep):
        group_services.vote_cast(vote=vote, voter=voter, choice="for")
    group_services.vote_close(vote=vote, actor=cast.chair)
    page = client.get(url(cast), params).content.decode()
    assert "Too soon" in page
    assert len(client.get(url(cast), {"q": "against", "event": "vote.cast"}).context["rows"]) == 1


# --- Exports --------------------------------------------------------------------------------


def test_csv_export_has_every_filtered_event_in_order(client, cast):
    for number in range(7):
        draft(cast, f"Position {number}")
    sign_in(client, cast.reviewer)
    with mock.patch.object(auditlog, "EXPORT_CHUNK", 3):
        response = client.get(url(cast, "engagement:audit-csv"), {"event": "position.drafted"})
        body = b"".join(response.streaming_content).decode()
    assert response["Content-Type"].startswith("text/csv")
    assert re.match(
        r'attachment; filename="audit-qaa-\d{8}-\d{4}\.csv"', response["Content-Disposition"]
    )
    rows = list(csv.DictReader(io.StringIO(body)))
    expected = list(
        AuditEvent.objects.filter(ics_id=cast.ics.pk, event="position.drafted").order_by("id")
    )
    assert [int(r["event_number"]) for r in rows] == [e.id for e in expected]
    assert rows[0]["event_meaning"] == "Position drafted"
    assert json.loads(rows[0]["details_json"])["title"] == "Position 0"
    assert rows[0]["hash"] == expected[0].hash


def test_csv_cells_never_start_a_formula(client, cast):
    schemer = UserFactory(email="=1+2@a.example.nhs.uk", full_name="Sly")
    GroupMembershipFactory(group=cast.group, user=schemer)
    draft(cast, "=HYPERLINK(1)", author=schemer)
    sign_in(client, cast.reviewer)
    body = b"".join(
        client.get(
            url(cast, "engagement:audit-csv"), {"event": "position.drafted"}
        ).streaming_content
    ).decode()
    row = next(csv.DictReader(io.StringIO(body)))
    assert row["person_email"] == "'=1+2@a.example.nhs.uk"
    assert not any(value.startswith(("=", "+", "-", "@")) for value in row.values())


def test_json_export_is_one_document_with_what_was_asked(client, cast):
    draft(cast, "Exported")
    sign_in(client, cast.reviewer)
    response = client.get(url(cast, "engagement:audit-json"), {"q": "Exported"})
    document = json.loads(b"".join(response.streaming_content))
    assert document["export"]["ics"] == "QAA"
    assert document["export"]["filters"] == {"q": "Exported"}
    assert document["export"]["exported_by"] == cast.reviewer.email
    assert [e["payload"]["title"] for e in document["events"]] == ["Exported"]
    empty = client.get(url(cast, "engagement:audit-json"), {"q": "nothing like it"})
    assert json.loads(b"".join(empty.streaming_content))["events"] == []


# --- Integrity ------------------------------------------------------------------------------


def test_a_check_runs_on_a_worker_and_the_panel_shows_intact(
    client, cast, eager, django_capture_on_commit_callbacks
):
    draft(cast, "Something recorded")
    sign_in(client, cast.reviewer)
    assert "has not been checked yet" in checked_page(client.get(url(cast)))
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url(cast, "engagement:audit-verify"))
    response = client.get(response.url)
    verification = AuditVerification.objects.get()
    assert verification.state == "intact"
    assert verification.requested_by == cast.reviewer
    assert verification.last_event_id == AuditEvent.objects.latest("id").id
    page = response.content.decode()
    assert "The check has started" in page
    assert f"up to event {verification.last_event_id}" in page
    assert "Intact" in page


def test_pressing_twice_checks_once(client, cast):
    sign_in(client, cast.reviewer)
    client.post(url(cast, "engagement:audit-verify"))
    response = client.post(url(cast, "engagement:audit-verify"), follow=True)
    assert AuditVerification.objects.count() == 1
    assert "A check is already under way" in response.content.decode()
    assert "Checking" in response.content.decode()


def test_a_broken_chain_is_shown_loudly(client, cast, tamper):
    position = draft(cast, "Honest title")
    event = AuditEvent.objects.get(event="position.drafted", object_id=str(position.pk))
    with tamper():
        AuditEvent.objects.filter(pk=event.pk).update(payload={"title": "Rewritten"})
    verification, _ = audit.verification_request(cast.reviewer)
    audit.verification_run(verification.pk)
    sign_in(client, cast.reviewer)
    page = client.get(url(cast)).content.decode()
    assert "Broken" in page
    assert f"event #{event.pk} was changed after it was written" in page


def test_a_verification_runs_once_however_often_it_is_delivered(cast):
    verification, created = audit.verification_request(None)
    assert created
    assert audit.verification_run(verification.pk).state == "intact"
    assert audit.verification_run(verification.pk) is None


def test_the_nightly_check_starts_when_none_ran_for_a_day(cast, eager):
    from icsvoice.tasks import verify_audit_scan

    assert verify_audit_scan() == 1
    assert AuditVerification.objects.get().state == "intact"
    assert verify_audit_scan() == 0
    AuditVerification.objects.update(requested_at=timezone.now() - dt.timedelta(hours=25))
    assert verify_audit_scan() == 1
    assert AuditVerification.objects.count() == 2


def test_the_scan_queues_a_lost_check_again_and_records_a_dead_one(cast, eager):
    from icsvoice.tasks import verify_audit_scan

    lost, _ = audit.verification_request(cast.reviewer)  # its task never reached a worker
    AuditVerification.objects.filter(pk=lost.pk).update(
        requested_at=timezone.now() - dt.timedelta(minutes=6)
    )
    assert verify_audit_scan() == 1
    lost.refresh_from_db()
    assert lost.state == "intact"
    dead = AuditVerification.objects.create(
        state="running", started_at=timezone.now() - dt.timedelta(hours=2)
    )
    verify_audit_scan()
    dead.refresh_from_db()
    assert dead.state == "error" and "stopped before it finished" in dead.problem
    # A run given up on cannot overwrite the record afterwards.
    assert audit.verification_run(dead.pk) is None


def test_a_check_that_cannot_be_queued_says_so(client, cast, broker_down):
    sign_in(client, cast.reviewer)
    response = client.post(url(cast, "engagement:audit-verify"), follow=True)
    page = response.content.decode()
    assert "The check is waiting" in page and "The check has started" not in page
    assert AuditVerification.objects.get().state == "queued"


def test_a_check_under_way_does_not_hide_a_broken_chain(client, cast, tamper):
    position = draft(cast, "Honest title")
    with tamper():
        AuditEvent.objects.filter(object_id=str(position.pk)).update(payload={"title": "X"})
    broken, _ = audit.verification_request(None)
    audit.verification_run(broken.pk)
    other_reviewer = UserFactory(email="reviewer@b.example.nhs.uk", full_name="Bea Bee")
    audit.verification_request(other_reviewer)  # ICS B's reviewer asks for a new check
    sign_in(client, cast.reviewer)
    page = client.get(url(cast)).content.decode()
    assert "Broken" in page and "A new check was asked for" in page
    assert "Bea Bee" not in page


# --- The catalogue --------------------------------------------------------------------------


def test_every_event_the_code_records_has_a_meaning():
    recorded = set()
    for app in ("icsvoice", "groups", "boards", "engagement"):
        for source in (ROOT / app).rglob("*.py"):
            text = source.read_text()
            recorded |= set(re.findall(r'event="([a-z_]+\.[a-z_]+)"', text))
            if source.name == "meetings.py" and "services" in source.parts:
                recorded |= {
                    f"board.{name}" for name in re.findall(r'_record\(\s*"([a-z_]+)"', text)
                }
    assert recorded, "found no events: the pattern is out of date"
    assert recorded - set(auditlog.EVENTS) == set()


def test_a_new_member_s_events_are_scoped_to_the_group(cast):
    newcomer = UserFactory(email="new@a.example.nhs.uk")
    GroupMembershipFactory(group=cast.group, user=newcomer)
    position = draft(cast, "By the newcomer", author=newcomer)
    event = AuditEvent.objects.get(event="position.drafted", object_id=str(position.pk))
    assert event.group_id == cast.group.pk
    assert event.actor_id == newcomer.pk


def test_the_home_card_tells_reviewers_when_the_trail_is_broken(client, cast, tamper):
    position = draft(cast, "Honest title")
    sign_in(client, cast.reviewer)
    assert "Not checked yet" in client.get("/").content.decode()
    verification, _ = audit.verification_request(None)
    audit.verification_run(verification.pk)
    assert "Intact" in client.get("/").content.decode()
    with tamper():
        AuditEvent.objects.filter(object_id=str(position.pk)).update(payload={"title": "X"})
    verification, _ = audit.verification_request(None)
    audit.verification_run(verification.pk)
    home = client.get("/").content.decode()
    assert "The audit trail is broken" in home and "was changed after it was written" in home
    sign_in(client, cast.gp_lead)
    assert "The audit trail" not in client.get("/").content.decode()
