"""The stakeholder register and the engagement log in a real browser: a GP lead adds a
contact (a wrong one first), removes them on request with the keyboard, and records an
engagement event that informed a draft position. Every page passes axe at 320 and 1280 px."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from engagement.models.log import EngagementEvent
from engagement.models.register import Contact
from engagement.services import register as services
from groups import services as group_services
from groups.models import today
from tests.browser.actions import follow, submit

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_contact_added_and_removed_and_an_event_recorded(visitor, cast):
    page = visitor.page
    ics = cast.ics.pk
    ppg = services.organisation_add(
        ics=cast.ics, kind="patient_group", name="Hartlepool PPG", actor=cast.chair
    )
    position = group_services.position_draft(
        group=cast.group,
        actor=cast.gp_lead,
        title="Evening appointments",
        summary="Open later.",
        ask="Fund evening hubs.",
    )
    visitor.sign_in_as(cast.gp_lead)

    visitor.goto(reverse("engagement:register", args=[ics]))
    visitor.check("register")
    follow(page.get_by_role("link", name="Hartlepool PPG"))
    follow(page.get_by_role("link", name="Add a contact at Hartlepool PPG"))
    page.get_by_label("Full name").fill("Jane Quill")
    page.get_by_label("Email address").fill("jane@example.org")
    page.get_by_label("Consent: article 6(1)(a)").check()
    submit(page, "Save contact")
    assert "Enter the date they gave consent" in page.locator(".nhsuk-error-summary").inner_text()
    visitor.check("register-contact-errors")
    page.locator("#id_consent_given_on-day").fill("3")
    page.locator("#id_consent_given_on-month").fill("3")
    page.locator("#id_consent_given_on-year").fill("2026")
    page.get_by_label("How they gave consent").fill("Signed form at the PPG meeting")
    submit(page, "Save contact")
    visitor.wait_for_path(reverse("engagement:register-organisation", args=[ics, ppg.pk]))
    assert page.get_by_role("cell", name="Jane Quill").first.is_visible()
    visitor.check("register-organisation")

    contact = Contact.objects.get()
    follow(page.get_by_role("link", name="Remove Jane Quill on request"))
    visitor.check("register-contact-remove")
    page.get_by_label("Why are they being removed?").fill("Asked at the meeting")
    visitor.tab_to("save")
    page.keyboard.press("Enter")
    visitor.wait_for_path(reverse("engagement:register-organisation", args=[ics, ppg.pk]))
    assert page.get_by_text("A removed contact").is_visible()
    assert page.get_by_text("Jane Quill").count() == 0
    contact.refresh_from_db()
    assert contact.removed_at is not None and contact.email == ""

    visitor.goto(reverse("engagement:log-add", args=[ics]))
    visitor.check("log-add")
    day = today() - dt.timedelta(days=7)
    page.get_by_label("Meeting with a patient group").check()
    page.get_by_label("Title").fill("PPG evening")
    page.locator("#id_happened_on-day").fill(str(day.day))
    page.locator("#id_happened_on-month").fill(str(day.month))
    page.locator("#id_happened_on-year").fill(str(day.year))
    page.get_by_label("Hartlepool PPG (Patient group)").check()
    page.get_by_label("How many people took part?").fill("14")
    page.get_by_label("What came of it").fill("Patients asked for evening appointments.")
    page.get_by_label("Evening appointments (ICS A Primary Care Leadership Group, draft)").check()
    submit(page, "Save event")
    event = EngagementEvent.objects.get()
    visitor.wait_for_path(reverse("engagement:log-event", args=[ics, event.pk]))
    visitor.check("log-event")

    visitor.goto(reverse("groups:position-detail", args=[position.pk]))
    step = page.get_by_role("heading", name=f"Informed by: PPG evening, {day:%-d %B %Y}")
    assert step.is_visible()
