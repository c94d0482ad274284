"""The influence report in a real browser: accessible at 320 and 1280 pixels wide with its
charts, a period chosen with the keyboard (a wrong one first), the "last financial year"
preset followed by the keyboard, and the page printed: no header, navigation, breadcrumbs,
form or footer, and the charts and tables still there."""

from __future__ import annotations

import pytest
from django.urls import reverse

from engagement.views.reports import period_query
from tests.engagement.test_reports import FY_2024, build_ics_a

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_reviewer_reads_prints_and_changes_the_report(visitor, cast):
    build_ics_a(cast)
    page = visitor.page
    base = reverse("engagement:report", args=[cast.ics.pk])
    visitor.sign_in_as(cast.reviewer)

    visitor.goto(f"{base}?{period_query(FY_2024)}")
    assert page.locator("#report-period").inner_text() == "1 April 2024 to 31 March 2025"
    assert page.get_by_role("img", name="Positions through the stages").is_visible()
    assert page.locator("#figure-on_time strong").inner_text() == "1 of 3 (33.3%)"
    visitor.check("influence-report")

    # Printed: the page furniture, the period form and its links go; the figures stay.
    page.emulate_media(media="print")
    for furniture in (
        "header.nhsuk-header",
        ".nhsuk-breadcrumb",
        "footer.nhsuk-footer",
        "#show-report",
        ".icsvoice-period",
    ):
        assert page.locator(furniture).first.is_hidden(), furniture
    assert page.get_by_text("This is a new service").is_hidden()  # the phase banner
    assert page.get_by_role("img", name="The board's responses by outcome").is_visible()
    assert page.locator("#chart-medians table").is_visible()
    # On paper the responsive tables are tables again, with their header row.
    assert page.get_by_role("columnheader", name="What counts").first.is_visible()
    assert page.locator("h1").is_visible()
    row_breaks = page.evaluate(
        "getComputedStyle(document.querySelector('#chart-stages tbody tr')).breakInside"
    )
    assert row_breaks == "avoid"
    page.emulate_media(media="screen")
    assert page.locator("header.nhsuk-header").is_visible()

    # A wrong period, typed with the keyboard: the error summary says so.
    visitor.tab_to("id_start-day")
    page.keyboard.press("Control+A")
    page.keyboard.type("31")
    visitor.tab_to("id_start-month")
    page.keyboard.press("Control+A")
    page.keyboard.type("2")
    visitor.tab_to("show-report")
    page.keyboard.press("Enter")
    page.wait_for_selector(".nhsuk-error-summary")
    assert "From must be a real date" in page.locator(".nhsuk-error-summary").inner_text()
    visitor.check("influence-report-errors")

    # The preset for last financial year, by the keyboard.
    page.get_by_role("link", name="Last financial year").focus()
    page.keyboard.press("Enter")
    page.wait_for_selector("#report-period")
    assert page.get_by_role("link", name="Last financial year").get_attribute("aria-current") == (
        "page"
    )
