"""The whole route from an agreed position to the board's recorded response, in a real
browser: the secretary schedules a meeting; the GP representative tables the agreed position;
the secretary adds it to the agenda with a confidential item and a paper, and publishes; the
public page shows the public part and hides the private one; after the meeting the secretary
records the register, a declaration and the minutes, and the board's response; the group sees
it on the position's page. Every page on the way passes axe at 320 and 1280 pixels."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from boards.models import AgendaVersion, Brief, Meeting, MeetingDeclaration
from tests.boards.conftest import pdf_bytes
from tests.browser.actions import follow, submit

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _fill_date(page, legend: str, day: dt.date) -> None:
    group = page.get_by_role("group", name=legend)
    group.get_by_label("Day").fill(str(day.day))
    group.get_by_label("Month").fill(str(day.month))
    group.get_by_label("Year").fill(str(day.year))


def test_from_agreed_position_to_the_boards_response(visitor, cast, agreed, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    page = visitor.page
    day = timezone.localdate() + dt.timedelta(days=14)

    # The secretary schedules a meeting.
    visitor.sign_in_as(cast.secretary)
    visitor.goto(reverse("boards:board-detail", args=[cast.board.pk]))
    follow(page.get_by_role("link", name="Schedule a meeting"))
    submit(page, "Schedule meeting")
    assert page.title().startswith("Error:")
    visitor.check("meeting-create-errors")
    page.get_by_label("Title").fill("Board meeting in public")
    _fill_date(page, "Date", day)
    page.get_by_label("Start time").fill("10:00")
    page.get_by_label("End time (optional)").fill("13:00")
    page.get_by_label("Place").fill("Civic Centre, Rivermouth")
    submit(page, "Schedule meeting")
    meeting = Meeting.objects.get()
    visitor.wait_for_path(reverse("boards:meeting-detail", args=[meeting.pk]))
    visitor.check("meeting-detail-new")

    # The GP representative tables the agreed position for it.
    visitor.sign_in_as(cast.gp_rep)
    visitor.goto(reverse("boards:brief-queue", args=[cast.board.pk]))
    follow(page.get_by_role("link", name=f"Route {agreed.title}"))
    visitor.check("brief-route")
    page.get_by_label("Tabled for a board meeting").check()
    page.get_by_label("If you table it, for which meeting?").select_option(str(meeting.pk))
    submit(page, "Record route")
    brief = Brief.objects.get()
    visitor.wait_for_path(reverse("boards:brief-detail", args=[brief.pk]))

    # The secretary adds it to the agenda, with a confidential item and a paper, and publishes.
    visitor.sign_in_as(cast.secretary)
    visitor.goto(reverse("boards:agenda-edit", args=[meeting.pk]))
    visitor.check("agenda-edit-request")
    submit(page, "Add to agenda")
    follow(page.get_by_role("link", name="Add an item").first)
    page.get_by_label("Title").fill("Community services procurement")
    page.get_by_label("Duration in minutes").fill("20")
    page.get_by_label("For decision").check()
    page.get_by_label("Part 2 (in private)").check()
    page.get_by_label("Reason for confidentiality (private items only)").fill(
        "Commercially sensitive until award."
    )
    _fill_date(
        page,
        "Review date for confidentiality (private items only)",
        day + dt.timedelta(days=90),
    )
    visitor.check("agenda-item-add")
    submit(page, "Add item")
    visitor.wait_for_path(reverse("boards:agenda-edit", args=[meeting.pk]))
    visitor.check("agenda-edit-draft")
    draft = AgendaVersion.objects.get(meeting=meeting, state="draft")
    tabled = draft.items.get(brief=brief)
    visitor.goto(reverse("boards:paper-upload", args=[tabled.pk]))
    page.get_by_label("Title of the paper").fill("Same-day access hubs: the case")
    page.get_by_label("The paper, as a PDF").set_input_files(
        files=[{"name": "case.pdf", "mimeType": "application/pdf", "buffer": pdf_bytes(2)}]
    )
    visitor.check("paper-upload")
    submit(page, "Upload paper")
    visitor.goto(reverse("boards:agenda-publish", args=[meeting.pk]))
    visitor.check("agenda-publish")
    submit(page, "Publish agenda")
    assert AgendaVersion.objects.get(meeting=meeting).state == "published"

    # Anyone can read the public part, without signing in; the private item shows only as
    # "Confidential item" with its reason.
    visitor.page.context.clear_cookies()
    visitor.goto(reverse("public:meeting-detail", args=[meeting.pk]))
    body = page.content()
    assert agreed.title in body and "Same-day access hubs: the case" in body
    assert "Confidential item" in body and "Commercially sensitive until award." in body
    assert "Community services procurement" not in body
    visitor.check("public-meeting")

    # The meeting happens. The secretary records the register, a declaration and the
    # minutes, then the board's response.
    Meeting.objects.filter(pk=meeting.pk).update(
        starts_at=timezone.now() - dt.timedelta(hours=3),
        ends_at=timezone.now() - dt.timedelta(hours=1),
    )
    visitor.sign_in_as(cast.secretary)
    visitor.goto(reverse("boards:meeting-attendance", args=[meeting.pk]))
    present = page.get_by_label("Present").all()
    assert len(present) == 3  # the representative, the secretary and the board member
    for radio in present:
        radio.check()
    visitor.check("attendance-register")
    submit(page, "Save the register")
    assert meeting.attendance.filter(status="present").count() == 3
    visitor.goto(reverse("boards:declaration-add", args=[meeting.pk]))
    page.get_by_label("Who declared the interest?").select_option(str(cast.gp_rep.pk))
    page.get_by_label("On which agenda item?").select_option(str(tabled.key))
    page.get_by_label("Financial interest").check()
    page.get_by_label("What is the interest?").fill("Partner in a practice bidding for a hub.")
    visitor.check("declaration-add")
    submit(page, "Record declaration")
    assert MeetingDeclaration.objects.get().withdrew
    visitor.goto(reverse("boards:minutes-edit", args=[meeting.pk]))
    page.get_by_label("Minutes of the part held in public").fill(
        "The board discussed same-day access hubs."
    )
    visitor.check("minutes-edit")
    submit(page, "Save draft minutes")
    visitor.goto(reverse("boards:minutes-detail", args=[meeting.pk]))
    minutes = page.content()
    assert "The board discussed same-day access hubs." in minutes
    assert "Partner in a practice bidding for a hub." in minutes
    assert "Yes: withdrew from the discussion and decision" in minutes
    visitor.check("minutes-detail")

    visitor.goto(reverse("boards:response-list", args=[cast.board.pk]))
    follow(page.get_by_role("link", name=f"Record response to {agreed.title}"))
    page.get_by_label("Adopted", exact=True).check()
    page.get_by_label("The board's reasons").fill("Hubs funded from April.")
    submit(page, "Record response")
    visitor.wait_for_path(reverse("boards:brief-detail", args=[brief.pk]))

    # The group sees what the board did.
    visitor.sign_in_as(cast.gp_lead)
    visitor.goto(reverse("groups:position-detail", args=[agreed.pk]))
    assert page.get_by_role("heading", name="Journey to the board").is_visible()
    assert page.get_by_text("Hubs funded from April.").is_visible()
