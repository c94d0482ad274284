"""Briefs in a real browser: the representative tables an agreed position from their queue,
records their account after the meeting, the secretary records the board's response, and the
group sees the journey on the position's page. Every page passes axe at 320 and 1280 px."""

from __future__ import annotations

import pytest
from django.urls import reverse

from boards.models import BoardResponse, Brief, Meeting
from tests.boards.briefs_fixtures import in_days, meeting
from tests.browser.actions import follow, submit

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_brief_from_queue_to_the_boards_response(visitor, cast, agreed):
    page = visitor.page
    at = meeting(cast.board, cast.secretary, 14)

    visitor.sign_in_as(cast.gp_rep)
    visitor.goto(reverse("boards:board-detail", args=[cast.board.pk]))
    visitor.check("brief-board-hub")
    follow(page.get_by_role("link", name="Your briefs"))
    visitor.check("brief-queue")
    follow(page.get_by_role("link", name=f"Route {agreed.title}"))
    submit(page, "Record route")
    visitor.check("brief-route-errors")
    page.get_by_label("Tabled for a board meeting").check()
    page.get_by_label("If you table it, for which meeting?").select_option(str(at.pk))
    submit(page, "Record route")
    brief = Brief.objects.get()
    visitor.wait_for_path(reverse("boards:brief-detail", args=[brief.pk]))
    visitor.check("brief-detail-tabled")

    Meeting.objects.filter(pk=at.pk).update(starts_at=in_days(-1))
    visitor.goto(reverse("boards:brief-account", args=[brief.pk]))
    visitor.check("brief-account")
    page.get_by_label("Your account").fill("I presented it; the board asked for costings.")
    submit(page, "Save account")
    visitor.goto(reverse("boards:brief-queue", args=[cast.board.pk]))
    visitor.check("brief-queue-in-progress")

    visitor.sign_in_as(cast.secretary)
    visitor.goto(reverse("boards:response-list", args=[cast.board.pk]))
    visitor.check("response-list")
    follow(page.get_by_role("link", name=f"Record response to {agreed.title}"))
    page.get_by_label("Deferred").check()
    submit(page, "Record response")
    visitor.check("response-form-errors")
    page.get_by_label("Adopted with changes").check()
    page.get_by_label("The board's reasons").fill("Phased over two years.")
    submit(page, "Record response")
    visitor.wait_for_path(reverse("boards:brief-detail", args=[brief.pk]))
    visitor.check("brief-detail-responded")
    assert BoardResponse.objects.get().kind == "adopted_with_changes"
    visitor.goto(reverse("boards:brief-due", args=[brief.pk]))
    visitor.check("response-due")

    visitor.sign_in_as(cast.gp_lead)
    visitor.goto(reverse("groups:position-detail", args=[agreed.pk]))
    assert page.get_by_role("heading", name="Journey to the board").is_visible()
    assert page.get_by_text("Phased over two years.").is_visible()
    visitor.check("position-journey")
