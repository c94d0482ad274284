"""Meeting, agenda and paper pages: who may see and do what (another ICS 404, a wrong role
403, refused posts change nothing), the journeys through HTTP, and flat query counts."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from boards.models import AgendaItem, AgendaVersion, Attendance, Meeting, Paper
from boards.services import meetings as services
from tests import factories as f
from tests.boards.checks import board_fingerprint
from tests.boards.conftest import pdf_bytes, pdf_upload
from tests.boards.meetings_fixtures import (
    add_item,
    add_private_item,
    events,
    schedule,
    table,
)
from tests.helpers import page, sign_in, title


def _date(prefix: str, day: dt.date) -> dict[str, str]:
    return {
        f"{prefix}[day]": str(day.day),
        f"{prefix}[month]": str(day.month),
        f"{prefix}[year]": str(day.year),
    }


def _meeting_data(days: int = 30, **over) -> dict[str, str]:
    return {
        "title": "Board meeting in public",
        **_date("date", timezone.localdate() + dt.timedelta(days=days)),
        "start_time": "10:00",
        "end_time": "13:00",
        "location": "Civic Centre",
        "online_url": "",
        **over,
    }


ITEM = {
    "title": "Winter plan",
    "duration_minutes": "30",
    "presenter": "Chief Operating Officer",
    "purpose": "decision",
    "part": "public",
    "confidential_reason": "",
}


@pytest.fixture
def world(cast, other_secretary, agreed, media):
    """ICS A's meeting with a draft item and a paper and a tabled brief; ICS B's the same,
    minus the brief; and a second ICS A meeting with a published agenda."""
    mine = schedule(cast.board, cast.secretary)
    item = add_item(mine, cast.secretary)
    services.paper_add(item=item, title="Report", upload=pdf_upload(), actor=cast.secretary)
    brief = table(mine, agreed, cast.gp_rep)
    published = schedule(cast.board, cast.secretary, days=10, title="Published")
    add_item(published, cast.secretary)
    services.agenda_publish(meeting=published, actor=cast.secretary)
    theirs = schedule(cast.other_board, other_secretary)
    their_item = add_item(theirs, other_secretary)
    their_published = schedule(cast.other_board, other_secretary, days=10)
    add_item(their_published, other_secretary)
    services.agenda_publish(meeting=their_published, actor=other_secretary)
    return {
        "mine": {
            "board": [cast.board.pk],
            "meeting": [mine.pk],
            "published": [published.pk],
            "item": [item.pk],
            "version": [published.pk, 1],
            "brief": [mine.pk, brief.pk],
        },
        "theirs": {
            "board": [cast.other_board.pk],
            "meeting": [theirs.pk],
            "published": [their_published.pk],
            "item": [their_item.pk],
            "version": [their_published.pk, 1],
            "brief": [theirs.pk, brief.pk],
        },
    }


READER, SECRETARY = "reader", "secretary"
# (name, who may, target, what to post; None for a page that takes no posts)
PAGES = [
    ("boards:meeting-list", READER, "board", None),
    ("boards:meeting-create", SECRETARY, "board", _meeting_data()),
    ("boards:meeting-detail", READER, "meeting", None),
    ("boards:meeting-edit", SECRETARY, "meeting", _meeting_data(title="Changed")),
    ("boards:meeting-cancel", SECRETARY, "meeting", {"reason": "Snow."}),
    ("boards:agenda-edit", SECRETARY, "meeting", None),
    ("boards:agenda-item-add", SECRETARY, "meeting", ITEM),
    ("boards:agenda-item-edit", SECRETARY, "item", {**ITEM, "title": "Changed"}),
    ("boards:agenda-item-remove", SECRETARY, "item", {}),
    ("boards:agenda-item-move", SECRETARY, "item", {"direction": "up"}),
    ("boards:agenda-add-brief", SECRETARY, "brief", {}),
    ("boards:agenda-publish", SECRETARY, "meeting", {}),
    ("boards:agenda-new-version", SECRETARY, "published", {}),
    ("boards:agenda-version", READER, "version", None),
    ("boards:paper-upload", SECRETARY, "item", {"title": "Paper"}),
]
POST_ONLY = {
    "boards:agenda-item-remove",
    "boards:agenda-item-move",
    "boards:agenda-add-brief",
    "boards:agenda-new-version",
}


def _check(client, person, address, data, status, *, get=True):
    client.logout()
    sign_in(client, person)
    if get:
        assert client.get(address).status_code == status, (person, address)
    if data is not None:
        before = board_fingerprint()
        posted = dict(data)
        if "title" in posted and "paper-upload" in address:
            posted["file"] = pdf_upload()
        assert client.post(address, posted).status_code == status, (person, address)
        assert board_fingerprint() == before


@pytest.mark.parametrize(("name", "who", "kind", "data"), PAGES)
def test_each_page_refuses_another_ics_with_404_and_a_wrong_role_with_403(
    client, cast, other_secretary, world, name, who, kind, data
):
    mine = reverse(name, args=world["mine"][kind])
    theirs = reverse(name, args=world["theirs"][kind])
    get = name not in POST_ONLY
    # Another ICS: not found, for its readers and for the secretary of this one.
    _check(client, cast.secretary, theirs, data, 404, get=get)
    _check(client, cast.reviewer, theirs, data, 404, get=get)
    _check(client, other_secretary, mine, data, 404, get=get)
    # A wrong role in this ICS: forbidden.
    wrong = [cast.gp_lead] if who == READER else [cast.board_member, cast.gp_rep, cast.reviewer]
    for person in wrong:
        _check(client, person, mine, data, 403, get=get)
    # The right person: the page is there; POST-only actions refuse GET.
    client.logout()
    right = (
        [cast.board_member, cast.reviewer, cast.secretary] if who == READER else [cast.secretary]
    )
    for person in right:
        sign_in(client, person)
        assert client.get(mine).status_code == (405 if name in POST_ONLY else 200)


def test_pages_need_sign_in(client, world):
    address = reverse("boards:meeting-detail", args=world["mine"]["meeting"])
    assert client.get(address).status_code == 302


# --- Journeys --------------------------------------------------------------------------------


def test_the_secretary_schedules_changes_and_cancels_a_meeting(client, cast):
    sign_in(client, cast.secretary)
    board_page = page(client.get(reverse("boards:board-detail", args=[cast.board.pk])))
    assert reverse("boards:meeting-create", args=[cast.board.pk]) in board_page
    body = page(client.get(reverse("boards:meeting-create", args=[cast.board.pk])))
    assert "Schedule a meeting" in body

    response = client.post(
        reverse("boards:meeting-create", args=[cast.board.pk]),
        _meeting_data(online_url="https://teams.example.com/j/1"),
    )
    assert response.status_code == 302
    meeting = Meeting.objects.get()
    local = timezone.localtime(meeting.starts_at)
    assert (local.hour, local.minute, local.tzname() in ("GMT", "BST")) == (10, 0, True)
    body = page(client.get(response.url))
    assert "Civic Centre" in body and "Join the meeting online" in body
    assert "10:00 to 13:00" in body

    listing = page(client.get(reverse("boards:meeting-list", args=[cast.board.pk])))
    assert "Upcoming meetings" in listing and meeting.title in listing

    response = client.post(
        reverse("boards:meeting-edit", args=[meeting.pk]),
        _meeting_data(title="Extraordinary meeting", start_time="14:30", end_time="16:00"),
    )
    assert response.status_code == 302
    meeting.refresh_from_db()
    assert meeting.title == "Extraordinary meeting"
    assert f"{timezone.localtime(meeting.starts_at):%H:%M}" == "14:30"

    response = client.post(
        reverse("boards:meeting-cancel", args=[meeting.pk]), {"reason": "The chair is unwell."}
    )
    assert response.status_code == 302
    body = page(client.get(response.url))
    assert "Cancelled" in body and "The chair is unwell." in body
    assert "Build the agenda" not in body
    listing = page(client.get(reverse("boards:meeting-list", args=[cast.board.pk])))
    assert "Cancelled" in listing
    assert events() == [
        "board.meeting_scheduled",
        "board.meeting_changed",
        "board.meeting_cancelled",
    ]


def test_bad_meeting_input_shows_the_error_summary(client, cast):
    sign_in(client, cast.secretary)
    before = board_fingerprint()
    response = client.post(
        reverse("boards:meeting-create", args=[cast.board.pk]),
        _meeting_data(start_time="25:00", location=""),
    )
    body = page(response)
    assert response.status_code == 200
    assert title(body).startswith("Error: ")
    assert "There is a problem" in body
    assert "Enter the start time in 24-hour form, like 09:30 or 14:00" in body
    response = client.post(
        reverse("boards:meeting-create", args=[cast.board.pk]),
        _meeting_data(start_time="14:00", end_time="13:00", location=""),
    )
    body = page(response)
    assert "The end time must be after the start time" in body
    assert "Enter a place, an online joining link, or both" in body
    assert board_fingerprint() == before


def test_a_member_sees_the_hub_card_without_the_schedule_link(client, cast):
    sign_in(client, cast.board_member)
    body = page(client.get(reverse("boards:board-detail", args=[cast.board.pk])))
    assert reverse("boards:meeting-list", args=[cast.board.pk]) in body
    assert reverse("boards:meeting-create", args=[cast.board.pk]) not in body


def test_the_secretary_builds_publishes_and_revises_an_agenda(client, cast, agreed, media):
    meeting = schedule(cast.board, cast.secretary, days=3)
    brief = table(meeting, agreed, cast.gp_rep)
    sign_in(client, cast.secretary)
    builder = reverse("boards:agenda-edit", args=[meeting.pk])
    body = page(client.get(builder))
    assert "No agenda yet" in body and agreed.current_version.title in body

    # A private item without a reason or review date: the form says so plainly.
    response = client.post(
        reverse("boards:agenda-item-add", args=[meeting.pk]), {**ITEM, "part": "private"}
    )
    body = page(response)
    assert title(body).startswith("Error: ")
    assert "A private item needs a reason" in body and "A private item needs a review date" in body
    assert not AgendaItem.objects.exists()

    review = timezone.localdate() + dt.timedelta(days=120)
    for data in (
        ITEM,
        {
            **ITEM,
            "title": "Estates disposal",
            "part": "private",
            "confidential_reason": "Commercial negotiations.",
            **_date("review_on", review),
        },
        {**ITEM, "title": "Finance report", "duration_minutes": "15", "purpose": "information"},
    ):
        response = client.post(reverse("boards:agenda-item-add", args=[meeting.pk]), data)
        assert response.status_code == 302, response.content.decode()[:2000]
    assert (
        client.post(reverse("boards:agenda-add-brief", args=[meeting.pk, brief.pk])).status_code
        == 302
    )
    finance = AgendaItem.objects.get(title="Finance report")
    assert (
        client.post(
            reverse("boards:agenda-item-move", args=[finance.pk]), {"direction": "up"}
        ).status_code
        == 302
    )

    # A text file named .pdf is refused, with the checker's message.
    bad = pdf_upload(b"not a pdf at all", name="report.pdf")
    response = client.post(
        reverse("boards:paper-upload", args=[finance.pk]), {"title": "Finance", "file": bad}
    )
    assert "The file must be a PDF" in page(response) and not Paper.objects.exists()
    response = client.post(
        reverse("boards:paper-upload", args=[finance.pk]),
        {"title": "Finance, month 9", "file": pdf_upload(pdf_bytes(pages=4))},
    )
    assert response.status_code == 302

    body = page(client.get(builder))
    assert body.index("Finance report") < body.index("Winter plan") < body.index("Estates disposal")
    assert "Primary care item" in body and "Late paper" in body and "4 pages" in body
    assert "10:00" in body and "10:15" in body and "10:45" in body  # timings
    assert "Commercial negotiations." in body and review.strftime("%-d %B %Y") in body

    response = client.post(reverse("boards:agenda-publish", args=[meeting.pk]), {})
    assert response.status_code == 302

    sign_in(client, cast.board_member)
    body = page(client.get(reverse("boards:meeting-detail", args=[meeting.pk])))
    assert "Version 1, published" in body and "Primary care item" in body
    assert "Finance, month 9" in body and "Late paper" in body
    assert "Draft" not in body and "Build the agenda" not in body

    sign_in(client, cast.secretary)
    body = page(client.get(builder))
    assert "Start a new version" in body
    assert client.post(reverse("boards:agenda-new-version", args=[meeting.pk])).status_code == 302
    draft_item = AgendaItem.objects.get(version__number=2, title="Winter plan")
    response = client.post(
        reverse("boards:agenda-item-edit", args=[draft_item.pk]),
        {**ITEM, "duration_minutes": "45"},
    )
    assert response.status_code == 302
    body = page(client.get(reverse("boards:meeting-detail", args=[meeting.pk])))
    assert "Draft: version 2" in body and "Changed: duration" in body

    # Publishing a new version needs a change note.
    body = page(client.post(reverse("boards:agenda-publish", args=[meeting.pk]), {}))
    assert "Enter what changed since the last published version" in body
    response = client.post(
        reverse("boards:agenda-publish", args=[meeting.pk]),
        {"change_note": "More time for the winter plan."},
    )
    assert response.status_code == 302
    body = page(client.get(reverse("boards:agenda-version", args=[meeting.pk, 2])))
    assert "Changed: duration" in body and "More time for the winter plan." in body
    body = page(client.get(reverse("boards:agenda-version", args=[meeting.pk, 1])))
    assert "Superseded" in body and "Winter plan" in body
    assert AgendaVersion.objects.filter(meeting=meeting).count() == 2
    assert events()[-1] == "board.agenda_published"


def test_a_refused_action_shows_its_message(client, cast):
    meeting = schedule(cast.board, cast.secretary)
    item = add_item(meeting, cast.secretary)
    sign_in(client, cast.secretary)
    before = board_fingerprint()
    response = client.post(
        reverse("boards:agenda-item-move", args=[item.pk]), {"direction": "up"}, follow=True
    )
    assert "already first in its part" in page(response)
    response = client.post(reverse("boards:agenda-new-version", args=[meeting.pk]), follow=True)
    assert "already being drafted" in page(response)
    assert board_fingerprint() == before


def test_readers_do_not_see_a_draft_version(client, cast):
    meeting = schedule(cast.board, cast.secretary)
    add_item(meeting, cast.secretary)
    sign_in(client, cast.board_member)
    assert client.get(reverse("boards:agenda-version", args=[meeting.pk, 1])).status_code == 404
    body = page(client.get(reverse("boards:meeting-detail", args=[meeting.pk])))
    assert "The agenda has not been published yet" in body and "Finance report" not in body
    sign_in(client, cast.secretary)
    assert client.get(reverse("boards:agenda-version", args=[meeting.pk, 1])).status_code == 200
    assert client.get(reverse("boards:agenda-version", args=[meeting.pk, 9])).status_code == 404


def test_the_home_card_shows_agendas_to_publish(client, cast):
    meeting = schedule(cast.board, cast.secretary, days=5)
    sign_in(client, cast.secretary)
    cards = {c.key: items for c, items in client.get(reverse("home")).context["cards"]}
    assert [i.url for i in cards["agendas_to_publish"]] == [
        reverse("boards:agenda-edit", args=[meeting.pk])
    ]
    assert cards["agendas_to_publish"][0].urgent


# --- Query counts ----------------------------------------------------------------------------


def _grow(cast, meeting, n: int) -> None:
    for i in range(n):
        if i % 3 == 2:
            item = add_private_item(meeting, cast.secretary, f"Private {i}")
        else:
            item = add_item(meeting, cast.secretary, f"Item {i}")
        services.paper_add(item=item, title=f"Paper {i}", upload=pdf_upload(), actor=cast.secretary)


def _counts(client, cast, meeting) -> dict[str, int]:
    counts = {}
    pages = {
        "detail": reverse("boards:meeting-detail", args=[meeting.pk]),
        "builder": reverse("boards:agenda-edit", args=[meeting.pk]),
        "version": reverse("boards:agenda-version", args=[meeting.pk, 2]),
        "list": reverse("boards:meeting-list", args=[cast.board.pk]),
    }
    for key, address in pages.items():
        with CaptureQueriesContext(connection) as queries:
            assert client.get(address).status_code == 200
        counts[key] = len(queries)
    return counts


def test_meeting_and_agenda_pages_do_not_grow_their_queries(client, cast, make_agreed, media):
    measured = []
    for n in (3, 9):
        meeting = schedule(cast.board, cast.secretary, title=f"Meeting {n}")
        _grow(cast, meeting, n)
        services.agenda_publish(meeting=meeting, actor=cast.secretary)
        services.agenda_version_start(meeting=meeting, actor=cast.secretary)
        _grow(cast, meeting, n)
        services.agenda_publish(meeting=meeting, change_note="More.", actor=cast.secretary)
        services.agenda_version_start(meeting=meeting, actor=cast.secretary)
        for i in range(n):
            table(meeting, make_agreed(f"Position {n}-{i}"), cast.gp_rep)
            seated = f.UserFactory()
            f.BoardSeatFactory(board=cast.board, user=seated, role="member")
            for person, status in ((seated, "present"), (f.UserFactory(), "in_attendance")):
                Attendance.objects.create(
                    meeting=meeting,
                    person=person,
                    status=status,
                    counts_for_quorum=status == "present",
                    recorded_by=cast.secretary,
                )
        assert AgendaItem.objects.filter(version__meeting=meeting).count() == 5 * n
        assert meeting.attendance.count() == 2 * n
        sign_in(client, cast.secretary)
        client.get(reverse("home"))  # warm the session
        measured.append(_counts(client, cast, meeting))
    assert measured[0] == measured[1], measured
    assert measured[0]["detail"] <= 25, measured
