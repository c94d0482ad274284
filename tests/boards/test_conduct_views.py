"""The meeting's record through its pages: who may see and do what, the secretary's journey
through HTTP, the meeting page's section, and flat query counts."""

# ruff: noqa: F401, F811
from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.template.loader import render_to_string
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from boards.models import Action, Attendance, Decision, MeetingDeclaration, Minutes
from boards.selectors import conduct as selectors
from boards.services import conduct as services
from groups.models import today
from icsvoice.models import AuditEvent
from tests import factories as f
from tests.boards.checks import board_fingerprint
from tests.boards.conduct_fixtures import (
    item_keys,
    later_meeting,
    make_meeting,
    meeting,
    other_meeting,
    seat_members,
)
from tests.helpers import page, sign_in, title


def _date(prefix: str, day: dt.date) -> dict[str, str]:
    return {
        f"{prefix}[day]": str(day.day),
        f"{prefix}[month]": str(day.month),
        f"{prefix}[year]": str(day.year),
    }


def _action(meeting, secretary, owner):
    return services.action_add(
        meeting=meeting,
        description="Bring the plan",
        owner=owner,
        due_on=today() + dt.timedelta(days=7),
        actor=secretary,
    )


def _target(kind, meeting):
    if kind == "board":
        return meeting.board_id
    if kind == "action":
        secretary = meeting.board.seats.get(role="secretary").user
        owner = meeting.board.seats.exclude(role="secretary").first() or None
        return _action(meeting, secretary, owner.user if owner else secretary).pk
    return meeting.pk


def _minutes_for(meeting):
    secretary = meeting.board.seats.get(role="secretary").user
    services.minutes_draft(meeting=meeting, public_text="Draft", actor=secretary)


# (name, who may, a wrong role, what to post (None: GET only), what the address takes)
PAGES = [
    ("boards:meeting-attendance", "reviewer", "gp_lead", {}, "meeting"),
    ("boards:meeting-attendance-add", "secretary", "gp_rep", {"email": "x@nhs.net"}, "meeting"),
    ("boards:meeting-declarations", "reviewer", "gp_lead", None, "meeting"),
    ("boards:declaration-add", "secretary", "board_member", {"interest": "x"}, "meeting"),
    ("boards:meeting-decisions", "board_member", "gp_lead", None, "meeting"),
    ("boards:decision-add", "secretary", "gp_rep", {"text": "Agreed"}, "meeting"),
    ("boards:action-add", "secretary", "board_member", {"description": "x"}, "meeting"),
    ("boards:action-done", "secretary", "gp_rep", {"note": "Done"}, "action"),
    ("boards:action-log", "reviewer", "gp_lead", None, "board"),
    ("boards:minutes-detail", "gp_rep", "gp_lead", None, "meeting"),
    ("boards:minutes-edit", "secretary", "board_member", {"public_text": "x"}, "meeting"),
    ("boards:minutes-approve", "secretary", "board_chair", {"at_meeting": "1"}, "meeting"),
]
RECORDING = [name for name, who, _, data, _ in PAGES if data is not None]


@pytest.mark.parametrize(("name", "who", "wrong", "data", "kind"), PAGES)
def test_each_page_refuses_another_ics_with_404_and_a_wrong_role_with_403(
    client, cast, board_chair, other_secretary, meeting, other_meeting, name, who, wrong, data, kind
):
    people = {"board_chair": board_chair}
    person = people.get(who) or getattr(cast, who)
    wrong_person = people.get(wrong) or getattr(cast, wrong)
    other = _target(kind, other_meeting)
    mine = _target(kind, meeting)
    sign_in(client, person)
    assert client.get(reverse(name, args=[mine])).status_code == 200
    assert client.get(reverse(name, args=[other])).status_code == 404
    if data is not None:
        before = board_fingerprint()
        assert client.post(reverse(name, args=[other]), data).status_code == 404
        assert board_fingerprint() == before
    else:
        assert client.post(reverse(name, args=[mine]), {}).status_code == 405
    client.logout()
    sign_in(client, wrong_person)
    assert client.get(reverse(name, args=[mine])).status_code == 403
    if data is not None:
        before = board_fingerprint()
        assert client.post(reverse(name, args=[mine]), data).status_code == 403
        assert board_fingerprint() == before
    client.logout()
    sign_in(client, other_secretary)  # ICS B's secretary cannot touch ICS A
    assert client.get(reverse(name, args=[mine])).status_code == 404
    if data is not None:
        before = board_fingerprint()
        assert client.post(reverse(name, args=[mine]), data).status_code == 404
        assert board_fingerprint() == before


@pytest.mark.parametrize("name", RECORDING)
@pytest.mark.parametrize("who", ["board_member", "gp_rep", "board_chair", "reviewer"])
def test_members_the_representative_the_chair_and_staff_cannot_record(
    client, cast, board_chair, meeting, name, who
):
    person = board_chair if who == "board_chair" else getattr(cast, who)
    target = _target("action" if name == "boards:action-done" else "meeting", meeting)
    data = dict(next(d for n, _, _, d, _ in PAGES if n == name))
    sign_in(client, person)
    before = board_fingerprint()
    assert client.post(reverse(name, args=[target]), data).status_code == 403
    assert board_fingerprint() == before


# --- The secretary's journey ---------------------------------------------------------------------


def test_the_secretary_records_the_register_and_sees_the_quorum(client, cast, meeting, board_chair):
    cast.board.quorum = 2
    cast.board.quorum_rule = "Two voting members, one of them the chair"
    cast.board.save()
    sign_in(client, cast.secretary)
    address = reverse("boards:meeting-attendance", args=[meeting.pk])
    body = page(client.get(address))
    assert "Attendance has not been recorded yet." in body
    assert body.count("<fieldset") == 4  # one per seat holder
    assert "Not a voting member" in body  # the secretary
    response = client.post(address, {f"person_{board_chair.pk}": "present"})
    body = page(response)
    assert title(body).startswith("Error: ")
    assert "Record Dr Rhiannon Rep as present, apologies or absent" in body
    assert not Attendance.objects.exists()
    data = {
        f"person_{board_chair.pk}": "present",
        f"person_{cast.gp_rep.pk}": "present",
        f"person_{cast.board_member.pk}": "apologies",
        f"person_{cast.secretary.pk}": "present",
    }
    response = client.post(address, data)
    assert response.status_code == 302
    body = page(client.get(address))
    assert "Quorate: 2 of the 2 voting members needed are present" in body
    assert "Two voting members, one of them the chair" in body
    assert 'value="apologies" checked' in body
    client.logout()
    sign_in(client, cast.reviewer)
    body = page(client.get(address))
    assert "<form" not in body.split("<h1")[1]
    assert "Apologies" in body and "Quorate: 2 of the 2" in body


def test_the_secretary_adds_someone_in_attendance_by_email(client, cast, meeting):
    guest = f.UserFactory(email="dph@a.example.nhs.uk", full_name="Dee Director")
    sign_in(client, cast.secretary)
    address = reverse("boards:meeting-attendance-add", args=[meeting.pk])
    body = page(client.post(address, {"email": "nobody@a.example.nhs.uk"}))
    assert "There is no icsvoice account with that email address" in body
    response = client.post(address, {"email": guest.email, "role": "Director of Public Health"})
    assert response.status_code == 302
    body = page(client.get(reverse("boards:meeting-attendance", args=[meeting.pk])))
    assert "Dee Director" in body and "Director of Public Health" in body
    body = page(client.post(address, {"email": cast.board_member.email}))
    assert "holds a seat on the board: record them in the register" in body


def test_the_secretary_records_declarations_and_a_stay_needs_the_chairs_reason(
    client, cast, meeting
):
    key = item_keys(meeting)[1]
    sign_in(client, cast.secretary)
    address = reverse("boards:declaration-add", args=[meeting.pk])
    body = page(client.get(address + f"?item={key}"))
    assert "Did they withdraw from the item?" in body
    data = {
        "person": cast.gp_rep.pk,
        "item": str(key),
        "category": "financial",
        "interest": "Partner in a bidding practice",
        "withdrew": "no",
    }
    body = page(client.post(address, data))
    assert title(body).startswith("Error: ")
    assert "Enter why the chair allowed them to stay" in body
    assert not MeetingDeclaration.objects.exists()
    response = client.post(address, {**data, "chair_note": "To answer questions only"})
    assert response.status_code == 302
    response = client.post(address, {**data, "person": cast.board_member.pk, "withdrew": "yes"})
    assert response.status_code == 302
    body = page(client.get(reverse("boards:meeting-declarations", args=[meeting.pk])))
    assert "the chair allowed them to stay, because To answer questions only" in body
    assert "Yes: withdrew from the discussion and decision" in body
    assert body.index("2. Item 2") < body.index("Partner in a bidding practice")


def test_a_stale_person_or_item_gets_a_plain_message_and_changes_nothing(client, cast, meeting):
    sign_in(client, cast.secretary)
    before = board_fingerprint()
    body = page(
        client.post(
            reverse("boards:declaration-add", args=[meeting.pk]),
            {
                "person": cast.outsider.pk,
                "item": "00000000-0000-0000-0000-000000000000",
                "category": "financial",
                "interest": "Partner in a bidding practice",
                "withdrew": "yes",
            },
        )
    )
    assert "Choose a member of the board or someone in attendance" in body
    assert "Choose one of the items on this meeting&#x27;s agenda" in body
    assert "Select a valid choice" not in body
    assert board_fingerprint() == before


def test_the_secretary_records_a_decision_and_an_action_then_marks_it_done(client, cast, meeting):
    sign_in(client, cast.secretary)
    key = item_keys(meeting)[0]
    response = client.post(
        reverse("boards:decision-add", args=[meeting.pk]),
        {"item": str(key), "text": "The board approved the plan."},
    )
    assert response.status_code == 302
    address = reverse("boards:action-add", args=[meeting.pk])
    body = page(client.post(address, {"description": "Report back", "owner": cast.gp_rep.pk}))
    assert "Enter the date the action is due" in body
    due = today() + dt.timedelta(days=10)
    response = client.post(
        address,
        {
            "description": "Report back",
            "owner": cast.gp_rep.pk,
            "item": str(key),
            **_date("due_on", due),
        },
    )
    assert response.status_code == 302
    body = page(client.get(reverse("boards:meeting-decisions", args=[meeting.pk])))
    assert "The board approved the plan." in body and "Report back" in body
    action = Action.objects.get()
    done = reverse("boards:action-done", args=[action.pk])
    assert client.post(done, {"note": "Reported at the next meeting"}).status_code == 302
    body = page(client.post(done, {"note": "Again"}))
    assert "This action is already done" in body
    body = page(client.get(reverse("boards:action-log", args=[cast.board.pk])))
    assert "Reported at the next meeting" in body


def test_the_action_log_flags_overdue_actions(client, cast, meeting):
    overdue = _action(meeting, cast.secretary, cast.gp_rep)
    Action.objects.filter(pk=overdue.pk).update(due_on=today() - dt.timedelta(days=1))
    sign_in(client, cast.board_member)
    body = page(client.get(reverse("boards:action-log", args=[cast.board.pk])))
    assert "Overdue" in body and "1 action is past its due date" in body
    assert "Mark done" not in body


def test_the_secretary_drafts_edits_and_approves_the_minutes(
    client, cast, meeting, later_meeting, board_chair
):
    services.attendance_record(
        meeting=meeting,
        statuses={
            board_chair.pk: "present",
            cast.gp_rep.pk: "present",
            cast.board_member.pk: "apologies",
            cast.secretary.pk: "present",
        },
        actor=cast.secretary,
    )
    services.declaration_record(
        meeting=meeting,
        item_key=item_keys(meeting)[0],
        person=cast.gp_rep,
        category="financial",
        interest="Partner in a bidding practice",
        actor=cast.secretary,
    )
    services.decision_record(meeting=meeting, text="Approved the plan.", actor=cast.secretary)
    _action(meeting, cast.secretary, cast.board_member)
    sign_in(client, cast.secretary)
    detail = reverse("boards:minutes-detail", args=[meeting.pk])
    body = page(client.get(detail))
    assert "have not been drafted yet" in body
    edit = reverse("boards:minutes-edit", args=[meeting.pk])
    body = page(client.post(edit, {"public_text": "<b>bold</b>"}))
    assert "must be plain text" in body
    response = client.post(edit, {"public_text": "## Welcome\n\nOpened.", "private_text": "Secret"})
    assert response.status_code == 302
    assert client.post(edit, {"public_text": "## Welcome\n\nOpened at 10:00."}).status_code == 302
    assert [e.event for e in AuditEvent.objects.order_by("-id")[:2]] == [
        "board.minutes_changed",
        "board.minutes_drafted",
    ]
    body = page(client.get(detail))
    assert "<h2>Welcome</h2>" in body and "Opened at 10:00." in body
    assert "Partner in a bidding practice" in body and "withdrew from the discussion" in body
    assert "Approved the plan." in body and "Bring the plan" in body
    assert "Apologies" in body
    approve = reverse("boards:minutes-approve", args=[meeting.pk])
    body = page(client.get(approve))
    assert str(later_meeting) in body
    assert client.post(approve, {"at_meeting": later_meeting.pk}).status_code == 302
    assert Minutes.objects.get().state == Minutes.State.APPROVED
    body = page(client.get(detail))
    assert 'nhsuk-tag--green">Approved<' in body and f"At {later_meeting}" in body
    assert "Edit the draft minutes" not in body
    body = page(client.get(edit))
    assert "These minutes have been approved, so they cannot be changed." in body
    before = board_fingerprint()
    body = page(client.post(edit, {"public_text": "Rewritten"}))
    assert "These minutes have been approved, so they cannot be changed." in body
    assert board_fingerprint() == before


def test_minutes_wait_for_the_meeting_to_start(client, cast):
    future = make_meeting(cast.board, cast.secretary, starts_in=dt.timedelta(days=3))
    sign_in(client, cast.secretary)
    body = page(client.get(reverse("boards:minutes-edit", args=[future.pk])))
    assert "You can draft the minutes once the meeting has started." in body
    before = board_fingerprint()
    body = page(client.post(reverse("boards:minutes-edit", args=[future.pk]), {"public_text": "x"}))
    assert "Minutes are drafted once the meeting has started" in body
    assert board_fingerprint() == before


def test_the_meeting_page_section_shows_the_summary_and_the_secretarys_links(
    cast, meeting, board_chair, django_assert_max_num_queries
):
    services.attendance_record(
        meeting=meeting,
        statuses={
            board_chair.pk: "present",
            cast.gp_rep.pk: "present",
            cast.board_member.pk: "absent",
            cast.secretary.pk: "present",
        },
        actor=cast.secretary,
    )
    with django_assert_max_num_queries(6):
        conduct = selectors.conduct_summary(meeting)
    with django_assert_max_num_queries(0):
        html = render_to_string(
            "boards/_meeting_conduct.html",
            {"meeting": meeting, "board": meeting.board, "is_secretary": True, "conduct": conduct},
        )
    assert "Not quorate: 2 of the 6 voting members needed are present" in html
    assert "3 present, 0 sent apologies, 1 absent" in html
    assert reverse("boards:declaration-add", args=[meeting.pk]) in html
    html = render_to_string(
        "boards/_meeting_conduct.html",
        {"meeting": meeting, "board": meeting.board, "is_secretary": False},
    )
    assert reverse("boards:minutes-detail", args=[meeting.pk]) in html
    assert reverse("boards:declaration-add", args=[meeting.pk]) not in html


# --- Query counts --------------------------------------------------------------------------------


def _queries(client, path: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(path).status_code == 200
    return len(queries)


def _grow(cast, meeting, n: int) -> None:
    """n more seat holders, each present with a declaration, a decision and an action."""
    keys = item_keys(meeting)
    members = seat_members(cast.board, n)
    statuses = dict.fromkeys(selectors.seat_holders(cast.board, meeting.day), "present")
    services.attendance_record(meeting=meeting, statuses=statuses, actor=cast.secretary)
    for number, member in enumerate(members):
        key = keys[number % len(keys)]
        services.attendee_add(meeting=meeting, person=f.UserFactory(), actor=cast.secretary)
        services.declaration_record(
            meeting=meeting,
            item_key=key,
            person=member,
            category="personal",
            interest=f"Interest {number}",
            withdrew=number % 2 == 0,
            chair_note="" if number % 2 == 0 else "Allowed to stay",
            actor=cast.secretary,
        )
        services.decision_record(
            meeting=meeting, text=f"Decision {number}", item_key=key, actor=cast.secretary
        )
        action = services.action_add(
            meeting=meeting,
            description=f"Action {number}",
            owner=member,
            due_on=today() + dt.timedelta(days=number),
            item_key=key,
            actor=cast.secretary,
        )
        if number % 3 == 0:
            services.action_done(action=action, note="Done", actor=cast.secretary)


def test_the_record_pages_keep_flat_query_counts(client, cast, meeting):
    other = make_meeting(cast.board, cast.secretary, starts_in=dt.timedelta(days=-60))
    services.minutes_draft(meeting=meeting, public_text="Minutes", actor=cast.secretary)
    pages = [
        reverse("boards:meeting-attendance", args=[meeting.pk]),
        reverse("boards:meeting-declarations", args=[meeting.pk]),
        reverse("boards:meeting-decisions", args=[meeting.pk]),
        reverse("boards:action-log", args=[cast.board.pk]),
        reverse("boards:minutes-detail", args=[meeting.pk]),
        reverse("boards:declaration-add", args=[meeting.pk]),
        reverse("boards:action-add", args=[meeting.pk]),
    ]
    sign_in(client, cast.secretary)
    client.get(reverse("home"))
    counts = []
    for n in (3, 9):
        _grow(cast, meeting, n - Attendance.objects.filter(status="in_attendance").count())
        _action(other, cast.secretary, cast.gp_rep)
        assert Decision.objects.count() == n
        counts.append([_queries(client, path) for path in pages])
    assert counts[0] == counts[1], counts


def test_forms_that_cannot_be_used_yet_say_why_instead(client, cast, meeting):
    future = make_meeting(cast.board, cast.secretary, starts_in=dt.timedelta(days=3))
    action = _action(meeting, cast.secretary, cast.gp_rep)
    services.action_done(action=action, note="Done", actor=cast.secretary)
    sign_in(client, cast.secretary)
    body = page(client.get(reverse("boards:decision-add", args=[future.pk])))
    assert "You can record decisions once the meeting has started." in body
    assert "<textarea" not in body
    body = page(client.get(reverse("boards:action-done", args=[action.pk])))
    assert "This action is already done." in body and "<textarea" not in body
    body = page(client.get(reverse("boards:minutes-approve", args=[meeting.pk])))
    assert "There are no draft minutes of this meeting to approve yet." in body
