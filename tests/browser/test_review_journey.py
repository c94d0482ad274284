"""A reviewer finds a position in the ICS's list by searching, with the keyboard, and reads
its whole journey. Both pages pass axe at 320 and 1280 px."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.engagement.test_journey import take_through

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def test_a_reviewer_finds_a_position_and_reads_its_journey(visitor, cast, media):
    story = take_through(cast)
    position = story.position
    page = visitor.page

    visitor.sign_in_as(cast.reviewer)
    visitor.goto(reverse("engagement:positions", args=[cast.ics.pk]))
    visitor.check("review-positions")
    visitor.tab_to("id_q")
    page.keyboard.type("hubs")
    visitor.tab_to("apply-filters")
    page.keyboard.press("Enter")
    page.wait_for_url("**q=hubs**")
    visitor.tab_to(f"journey-{position.pk}")
    page.keyboard.press("Enter")
    visitor.wait_for_path(reverse("engagement:journey", args=[position.pk]))
    assert page.get_by_role("heading", name="Every step, oldest first").is_visible()
    assert page.locator("[data-kind]").count() == 25
    visitor.check("review-journey")
    visitor.tab_to("read-position")

    # On paper: no download links, and a line saying what the record is and when.
    page.emulate_media(media="print")
    assert page.locator(".icsvoice-journey-actions").is_hidden()
    assert page.locator(".icsvoice-journey-printed").is_visible()
    page.screenshot(path="test-artifacts/screenshots/review-journey-print.png", full_page=True)
