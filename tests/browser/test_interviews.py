"""An exit interview in a real browser: a leaver opens the personal link from their email,
saves an answer, comes back, sends their answers (a blank send first, refused), and a
named reader reads them and tags the themes; the report, the question set and the
invitation form. Every page passes axe at 320 and 1280 px."""

from __future__ import annotations

import pytest
from django.urls import reverse

from engagement.models.interviews import ExitInterview
from engagement.services import interviews as services
from tests.browser.actions import follow, submit
from tests.engagement.test_interviews import invite, send_link

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_leaver_answers_and_a_reader_tags_the_themes(visitor, cast, settings):
    page = visitor.page
    interview = invite(cast, readers=[cast.reviewer])
    link = reverse("engagement:interview-respond", args=[send_link(interview, settings)])

    # The leaver, signed out, from the link in their email.
    visitor.goto(link)
    visitor.check("interview-respond")
    submit(page, "Send your answers")
    assert "Answer at least one question" in page.locator(".nhsuk-error-summary").inner_text()
    visitor.check("interview-respond-errors")
    page.get_by_label(services.DEFAULT_QUESTIONS[2]).fill("The on-call rota, every week.")
    submit(page, "Save and come back later")
    assert "Your answers are saved" in page.locator(".nhsuk-notification-banner").inner_text()
    page.get_by_label(services.DEFAULT_QUESTIONS[3]).fill("A shorter rota.")
    submit(page, "Send your answers")
    visitor.wait_for_path(reverse("engagement:interview-thanks"))
    visitor.check("interview-thanks")
    assert ExitInterview.objects.get().state == "answered"

    # A named reader reads the answers and tags the themes, by the keyboard.
    visitor.sign_in_as(cast.reviewer)
    visitor.goto(reverse("engagement:interviews", args=[cast.ics.pk]))
    visitor.check("interview-list")
    follow(page.get_by_role("link", name="Dr Lee Leaver"))
    assert page.get_by_text("The on-call rota, every week.").is_visible()
    visitor.check("interview-detail")
    visitor.tab_to("tag-themes")
    page.keyboard.press("Enter")
    page.wait_for_load_state()
    page.get_by_label("Workload").check()
    page.get_by_label("Add a theme that is not in the list (optional)").fill("On-call")
    visitor.check("interview-themes")
    submit(page, "Save the themes")
    visitor.wait_for_path(reverse("engagement:interview-detail", args=[interview.pk]))
    assert page.locator("#theme-list").inner_text().split("\n") == ["On-call", "Workload"]

    visitor.goto(reverse("engagement:interview-report", args=[cast.ics.pk]))
    assert page.locator("#answered-count").inner_text() == "fewer than 3"
    visitor.check("interview-report")

    # The staff's other pages: the question set, and an invitation refused with its errors.
    visitor.goto(reverse("engagement:interview-questions", args=[cast.ics.pk]))
    visitor.check("interview-questions")
    visitor.goto(reverse("engagement:interview-invite", args=[cast.ics.pk]))
    page.get_by_label("Riya Reviewer (reviewer@a.example.nhs.uk)").uncheck()
    submit(page, "Send the invitation")
    assert "Choose at least one named reader" in page.locator(".nhsuk-error-summary").inner_text()
    visitor.check("interview-invite-errors")

    # Sending a link again, to a mistyped address first.
    other = invite(cast, email="sam@gp.example.nhs.uk", readers=[cast.reviewer])
    visitor.goto(reverse("engagement:interview-detail", args=[other.pk]))
    follow(page.get_by_role("link", name="Send the link again"))
    visitor.check("interview-resend")
    page.get_by_label("A different email address (optional)").fill("sam@")
    submit(page, "Send the link again")
    assert "correct format" in page.locator(".nhsuk-error-summary").inner_text()
    visitor.check("interview-resend-errors")
