"""A consultation in a real browser, from the chair opening it to the group reading what was
said: the chair chooses the audiences, a practice's contact follows the emailed link signed
out and answers with the keyboard (after an error), and the chair reads the summary. Every
page passes axe at 320 and 1280 px."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.urls import reverse

from engagement.models.consultations import Consultation
from tests.browser.actions import follow, submit
from tests.engagement.test_consultations import LINK, build_scene, in_days, send_all

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_consultation_from_the_emailed_link_to_the_summary(visitor, cast, settings):
    scene = build_scene(cast)
    page = visitor.page

    visitor.sign_in_as(cast.chair)
    visitor.goto(reverse("engagement:position-consultations", args=[scene.position.pk]))
    visitor.check("consultation-position")
    follow(page.get_by_role("link", name="Open a consultation"))
    visitor.check("consultation-open")
    closes = in_days(10)
    page.get_by_label("Day").fill(str(closes.day))
    page.get_by_label("Month").fill(str(closes.month))
    page.get_by_label("Year").fill(str(closes.year))
    page.get_by_label("Riverside PCN").check()
    page.get_by_label("Local medical committee").check()
    submit(page, "Open and send the emails")
    consultation = Consultation.objects.get()
    visitor.wait_for_path(reverse("engagement:consultation-detail", args=[consultation.pk]))
    assert page.get_by_text("5 people have been emailed a link").is_visible()

    # The practice's contact, signed out, follows the link in their email.
    tokens = send_all(settings)
    page.context.clear_cookies()
    email = next(m for m in mail.outbox if m.to == ["bob@brook.example"])
    path = LINK.search(email.body).group(0)
    visitor.goto(path)
    assert page.get_by_role("heading", name="Same-day access hubs in every place").is_visible()
    visitor.check("consultation-respond")
    visitor.tab_to("id_stance")  # the radios: arrows move to Concerns and choose it
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    assert page.get_by_label("Concerns").is_checked()
    visitor.tab_to("send-answer")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.get_by_text("Enter your organisation's concerns").first.is_visible()
    visitor.check("consultation-respond-errors")
    visitor.tab_to("id_text")
    page.keyboard.type("The hub is too far for our patients.")
    visitor.tab_to("send-answer")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    page.wait_for_url(re.compile(re.escape(path) + "$"))
    assert page.get_by_text("Thank you: your answer is recorded").is_visible()
    visitor.check("consultation-respond-answered")
    assert tokens  # every contact had a link

    # The chair reads what was said, by audience, place and PCN, with the organisation.
    visitor.sign_in_as(cast.chair)
    visitor.goto(reverse("engagement:consultation-detail", args=[consultation.pk]))
    assert page.get_by_text("The hub is too far for our patients.").is_visible()
    assert page.locator("#figure-practices").get_by_text("1 of 2 asked").is_visible()
    assert page.locator("#figure-pcns").get_by_text("1 of 1 asked").is_visible()
    assert page.get_by_text("Bob Brook").count() == 0
    visitor.check("consultation-summary")
    visitor.tab_to("close-consultation")
