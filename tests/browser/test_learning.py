"""A learning review in a real browser: the group's chair flags an agreed position from the
list, with a mistake first; when the review falls due it is on the home page, marked overdue;
the chair records it, and the position's page shows the step. Every page passes axe at 320
and 1280 px."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from engagement.models.learning import LearningReview
from groups.models import today
from tests.browser.actions import follow, submit

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_chair_flags_a_position_and_records_its_review(visitor, cast, agreed):
    page = visitor.page
    visitor.sign_in_as(cast.chair)
    visitor.goto(reverse("engagement:learning-list", args=[cast.ics.pk]))
    visitor.check("learning-list")
    # By the keyboard, as a keyboard user would.
    page.locator("#flag-positions").get_by_role("link", name=agreed.title).focus()
    page.keyboard.press("Enter")
    page.wait_for_load_state()

    submit(page, "Flag for review")
    summary = page.locator(".nhsuk-error-summary").inner_text()
    assert "Choose when the review is due" in summary
    assert "Enter what the review should look at" in summary
    visitor.check("learning-flag-errors")
    page.get_by_label("In 3 months", exact=False).check()
    page.get_by_label("What should the review look at?").fill("Did A&E attendances fall?")
    submit(page, "Flag for review")
    review = LearningReview.objects.get()
    visitor.wait_for_path(reverse("engagement:learning-review", args=[review.pk]))
    assert "You can record this review from" in page.locator("main").inner_text()
    visitor.check("learning-review-flagged")

    # Three months on, and a day late.
    LearningReview.objects.filter(pk=review.pk).update(due_on=today() - dt.timedelta(days=1))
    visitor.goto(reverse("home"))
    card = page.locator("#card-learning_reviews_due")
    assert "Overdue" in card.inner_text()
    follow(card.get_by_role("link", name=agreed.title))
    visitor.wait_for_path(reverse("engagement:learning-review", args=[review.pk]))
    follow(page.get_by_role("link", name="Record the review"))
    page.get_by_label("Partly worked").check()
    page.get_by_label("What was learned").fill("Hubs need a GP on site.")
    visitor.check("learning-record")
    submit(page, "Record the review")
    visitor.wait_for_path(reverse("engagement:learning-review", args=[review.pk]))
    assert "Hubs need a GP on site." in page.locator("#review-findings").inner_text()
    visitor.check("learning-review-recorded")

    visitor.goto(reverse("groups:position-detail", args=[agreed.pk]))
    assert page.get_by_role("heading", name="Learning review: partly worked").is_visible()
