"""A reviewer goes from the review hub to the audit trail, filters it with the keyboard and
asks for a check of the chain. The hub and the trail pass axe at 320 and 1280 px."""

from __future__ import annotations

import pytest
from django.urls import reverse

from groups import services as group_services
from icsvoice.models import AuditVerification
from tests.browser.actions import follow

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_reviewer_filters_the_trail_and_asks_for_a_check(visitor, cast):
    for title in ("Frailty virtual wards", "Same-day access hubs"):
        group_services.position_draft(
            group=cast.group, actor=cast.gp_lead, title=title, summary="Why.", ask="What."
        )
    page = visitor.page
    visitor.sign_in_as(cast.reviewer)
    visitor.goto(reverse("engagement:review-home"))
    visitor.wait_for_path(reverse("engagement:review-ics", args=[cast.ics.pk]))
    visitor.check("review-hub")
    follow(page.get_by_role("link", name="Audit trail"))
    visitor.wait_for_path(reverse("engagement:audit", args=[cast.ics.pk]))

    visitor.tab_to("filters-toggle")
    page.keyboard.press("Enter")
    visitor.tab_to("id_q")
    page.keyboard.type("frailty")
    visitor.tab_to("show-events")
    page.keyboard.press("Enter")
    page.wait_for_url("**q=frailty**")
    rows = page.locator(".icsvoice-audit-table tbody tr")
    assert rows.count() == 1
    assert "Frailty virtual wards" in rows.first.inner_text()
    visitor.check("review-audit-trail")

    visitor.tab_to("check-trail")
    page.keyboard.press("Enter")
    page.wait_for_selector("text=The check has started")
    assert AuditVerification.objects.get().requested_by == cast.reviewer
    assert "Checking" in page.locator("#integrity").inner_text()
