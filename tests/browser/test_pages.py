"""Every page that exists, for the people who see it: accessible at 320 and 1280 pixels wide,
within the Content Security Policy, saying what a person needs."""

from __future__ import annotations

import datetime as dt

import pytest
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from django.utils import timezone

from groups.models import TermsOfReference
from tests.browser.actions import follow
from tests.factories import PASSWORD, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

HOME_CARDS = {
    "gp_lead": ["Votes waiting for your ballot", "Drafts you co-author"],
    "chair": [
        "Votes waiting for your ballot",
        "Drafts you co-author",
        "Terms of reference due for review",
    ],
    "gp_rep": ["Votes waiting for your ballot", "Drafts you co-author"],
    "secretary": [],
    "reviewer": [],
}


def _h1(visitor) -> str:
    return visitor.page.locator("h1").inner_text()


@pytest.mark.parametrize("role", list(HOME_CARDS))
def test_home_for_each_role(visitor, cast, role):
    TermsOfReference.objects.filter(group=cast.group).update(
        review_date=timezone.localdate() + dt.timedelta(days=10)
    )
    person = getattr(cast, role)
    visitor.sign_in_as(person)
    visitor.goto("/")

    assert _h1(visitor) == f"Hello, {person.full_name}"
    headings = visitor.page.locator(".nhsuk-card__heading").all_inner_texts()
    for title in HOME_CARDS[role]:
        assert any(heading.startswith(title) for heading in headings), (role, headings)
    navigation = visitor.page.locator(".nhsuk-header__navigation-list a").all_inner_texts()
    expected = {
        "secretary": ["Home", "Boards"],
        "gp_rep": ["Home", "Positions", "Boards"],
        "reviewer": ["Home", "Positions", "Boards", "Review"],
    }.get(role, ["Home", "Positions"])
    assert [item.strip() for item in navigation] == expected
    if role == "chair":
        card = visitor.page.locator("#card-terms_due_for_review")
        assert "ICS A Primary Care Leadership Group: terms of reference version 1" in (
            card.inner_text()
        )
    visitor.check(f"home-{role}")


def test_a_site_administrator_has_admin_in_the_navigation(visitor, db):
    admin = UserFactory(full_name="Ada Admin", is_staff=True, is_superuser=True)
    visitor.sign_in_as(admin)
    visitor.goto("/")
    navigation = visitor.page.locator(".nhsuk-header__navigation-list a").all_inner_texts()
    assert [item.strip() for item in navigation] == ["Home", "Admin"]
    visitor.check("home-site-admin")


@pytest.mark.parametrize(
    ("path", "heading", "name"),
    [
        ("/accounts/signup/", "Sign-up is closed", "signup-closed"),
        ("/accessibility/", "Accessibility statement for icsvoice", "accessibility"),
        ("/privacy/", "Privacy", "privacy"),
        ("/accounts/password/reset/key/1-not-a-real-key/", "This link does not work", None),
    ],
)
def test_pages_anyone_can_see(visitor, db, path, heading, name):
    visitor.goto(path)
    assert _h1(visitor) == heading
    visitor.check(name or path.strip("/").replace("/", "-"))


@pytest.mark.parametrize(
    ("path", "heading", "name"),
    [
        ("/accounts/2fa/", "Two-factor authentication", "two-factor-settings"),
        ("/accounts/password/change/", "Change your password", "password-change"),
        ("/accounts/logout/", "Sign out", "sign-out-confirm"),
        ("/accounts/2fa/reauthenticate/", "Confirm it's you", "reauthenticate-code"),
        ("/settings/notifications/", "Email notifications", "notification-settings"),
    ],
)
def test_account_pages(visitor, cast, path, heading, name):
    visitor.sign_in_as(cast.gp_rep)
    RecoveryCodes.activate(cast.gp_rep)
    visitor.goto(path)
    assert _h1(visitor) == heading
    visitor.check(name)


@pytest.mark.parametrize(
    ("path", "heading", "name"),
    [
        ("/accounts/2fa/recovery-codes/", "Your recovery codes", "recovery-codes-view"),
        ("/accounts/2fa/recovery-codes/generate/", "Get new recovery codes", "recovery-codes-new"),
    ],
)
def test_recovery_code_pages_ask_for_the_password_first(visitor, cast, path, heading, name):
    visitor.sign_in_as(cast.gp_rep)
    RecoveryCodes.activate(cast.gp_rep)
    visitor.goto(path)
    assert _h1(visitor) == "Confirm it's you"
    visitor.page.locator("#id_password").fill(PASSWORD)
    follow(visitor.page.get_by_role("button", name="Continue"))
    visitor.wait_for_path(path)
    assert _h1(visitor) == heading
    visitor.check(name)


def test_page_not_found(visitor, cast):
    visitor.goto("/no-such-page/")
    assert _h1(visitor) == "Page not found"
    visitor.check("not-found")

    visitor.sign_in_as(cast.chair)
    visitor.goto("/no-such-page/")
    assert _h1(visitor) == "Page not found"
    assert visitor.page.locator(".nhsuk-header__account").is_visible()
    visitor.check("not-found-signed-in")


def test_permission_denied(visitor, db):
    """The admin refuses everyone, even a superuser, a way to add audit events."""
    admin = UserFactory(is_staff=True, is_superuser=True)
    visitor.sign_in_as(admin)
    response = visitor.page.goto(visitor.base_url + "/admin/icsvoice/auditevent/add/")
    assert response.status == 403
    assert _h1(visitor) == "You do not have permission to see this page"
    visitor.check("forbidden")


@pytest.mark.urls("tests.browser.urls_with_errors")
def test_server_error(visitor, db):
    response = visitor.page.goto(visitor.base_url + "/boom/")
    assert response.status == 500
    assert _h1(visitor) == "Sorry, there is a problem with the service"
    visitor.check("server-error")


def test_a_form_sent_without_its_csrf_token(visitor, db):
    page = visitor.page
    visitor.goto("/accounts/password/reset/")
    page.context.clear_cookies()
    page.locator("#id_email").fill("someone@example.nhs.uk")
    page.keyboard.press("Enter")
    page.wait_for_selector("h1")
    assert _h1(visitor) == "Sorry, we could not send that form"
    visitor.check("csrf-failure")


def test_choosing_a_daily_digest_with_the_keyboard(visitor, cast):
    visitor.sign_in_as(cast.gp_rep)
    RecoveryCodes.activate(cast.gp_rep)
    visitor.goto("/settings/notifications/")
    visitor.tab_to("id_how")  # the chosen radio of the group takes the focus
    visitor.page.keyboard.press("ArrowDown")
    assert visitor.focused_id() == "id_how-2"
    visitor.page.keyboard.press("Enter")
    visitor.page.wait_for_selector("text=We will send notices that are not urgent once a day")
    cast.gp_rep.refresh_from_db()
    assert cast.gp_rep.email_digest is True
    visitor.check("notification-settings-saved")
