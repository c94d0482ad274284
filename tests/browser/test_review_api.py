"""The API tokens page in a real browser, by keyboard alone: make a token, see it once, and
revoke it. Each state of the page passes axe at 320 and 1280 px."""

from __future__ import annotations

import pytest
from django.urls import reverse
from knox.models import AuthToken

from icsvoice.models import AuditEvent

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_token_made_and_revoked_by_keyboard(visitor, cast):
    page = visitor.page
    visitor.sign_in_as(cast.reviewer)
    visitor.goto(reverse("engagement:api-tokens"))
    visitor.check("api-tokens-empty")

    visitor.tab_to("create-token")
    page.keyboard.press("Enter")
    page.wait_for_selector("#token-secret")
    visitor.check("api-tokens-created")
    token = AuthToken.objects.get(user=cast.reviewer)
    secret = page.locator("#token-secret").inner_text()
    assert secret.startswith(token.token_key) and len(secret) == 69

    visitor.tab_to(f"revoke-{token.token_key}", limit=60)
    page.keyboard.press("Enter")
    page.wait_for_selector("text=You have no API tokens.")
    visitor.check("api-tokens-revoked")
    assert "is revoked" in page.locator(".nhsuk-notification-banner").inner_text()
    assert not AuthToken.objects.exists()
    assert (
        AuditEvent.objects.filter(event__in=["api.token_created", "api.token_revoked"]).count() == 2
    )
