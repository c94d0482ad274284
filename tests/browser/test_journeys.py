"""Journeys a person makes, with the keyboard only."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.test import Client

from tests.factories import PASSWORD
from tests.helpers import give_totp, totp_code

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ERROR_SUMMARY = ".nhsuk-error-summary"


def _sign_in_with_password(visitor, email: str, password: str = PASSWORD) -> None:
    visitor.goto("/accounts/login/")
    visitor.tab_to("id_login")
    visitor.page.keyboard.type(email)
    visitor.tab_to("id_password")
    visitor.page.keyboard.type(password)
    visitor.page.keyboard.press("Enter")


def _error_summary_has_focus(page) -> bool:
    page.wait_for_selector(ERROR_SUMMARY)
    return page.evaluate(
        "document.activeElement && document.activeElement.classList.contains('nhsuk-error-summary')"
    )


def test_sign_in_with_two_factor_by_keyboard_reaches_home(visitor, cast):
    secret = give_totp(cast.chair)
    page = visitor.page

    visitor.goto("/accounts/login/")
    visitor.check("sign-in")
    visitor.tab_to("id_login")
    page.keyboard.type(cast.chair.email)
    visitor.tab_to("id_password")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")

    page.wait_for_url("**/accounts/2fa/authenticate/")
    visitor.check("two-factor")
    visitor.tab_to("id_code")
    page.keyboard.type(totp_code(secret))
    page.keyboard.press("Enter")

    page.wait_for_url(visitor.base_url + "/")
    assert page.locator("h1").inner_text() == f"Hello, {cast.chair.full_name}"
    assert "Chair" in page.content()
    assert (
        page.locator(".nhsuk-header__account").inner_text().strip().startswith(cast.chair.full_name)
    )
    visitor.check("home")


def test_a_wrong_password_takes_focus_to_the_error_summary(visitor, cast):
    page = visitor.page
    _sign_in_with_password(visitor, cast.gp_lead.email, password="not-my-password")

    assert _error_summary_has_focus(page)
    summary = page.locator(ERROR_SUMMARY)
    assert "There is a problem" in summary.inner_text()
    assert "The email address or password is not right" in summary.inner_text()
    assert page.title().startswith("Error: Sign in")
    visitor.check("sign-in-error")

    # The summary's link takes the person back to the first field to start again.
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    assert visitor.focused_id() == "id_login"


def test_each_error_in_the_summary_jumps_to_its_field(visitor, db):
    page = visitor.page
    visitor.goto("/accounts/login/")
    visitor.tab_to("id_login")
    page.keyboard.press("Enter")  # nothing entered

    assert _error_summary_has_focus(page)
    links = page.locator(f"{ERROR_SUMMARY} a")
    assert [links.nth(i).get_attribute("href") for i in range(links.count())] == [
        "#id_login",
        "#id_password",
    ]
    # Each field shows its own message too, tied to it for screen readers.
    assert page.locator("#id_password").get_attribute("aria-describedby") == "id_password-error"
    assert page.locator("#id_password-error").is_visible()
    visitor.check("sign-in-empty")

    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    assert visitor.focused_id() == "id_password"


def test_a_wrong_authenticator_code_is_reported_and_linked_to_the_box(visitor, cast):
    give_totp(cast.chair)
    page = visitor.page
    _sign_in_with_password(visitor, cast.chair.email)
    page.wait_for_url("**/accounts/2fa/authenticate/")
    visitor.tab_to("id_code")
    page.keyboard.type("000000")
    page.keyboard.press("Enter")

    assert _error_summary_has_focus(page)
    assert "The code is not right" in page.locator(ERROR_SUMMARY).inner_text()
    assert "The code is not right" in page.locator("#id_code-error").inner_text()
    visitor.check("two-factor-error")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    assert visitor.focused_id() == "id_code"


def test_setting_up_an_authenticator_app_by_keyboard(visitor, cast):
    """A person without an authenticator app signs in, confirms their password, scans (here:
    reads) the setup key, enters a code, is shown recovery codes and reaches home."""
    person = cast.gp_lead
    page = visitor.page
    _sign_in_with_password(visitor, person.email)

    visitor.wait_for_path("/accounts/reauthenticate/")
    assert page.locator("h1").inner_text() == "Confirm it's you"
    visitor.check("reauthenticate")
    visitor.tab_to("id_password")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")

    visitor.wait_for_path("/accounts/2fa/totp/activate/")
    assert page.locator("h1").inner_text() == "Set up your authenticator app"
    qr_code = page.locator("main img")
    assert qr_code.get_attribute("src").startswith("data:image/svg+xml;base64,")
    assert page.evaluate("img => img.naturalWidth > 0", qr_code.element_handle())
    visitor.check("authenticator-setup")

    secret = page.locator("#authenticator-secret").inner_text().replace(" ", "")
    visitor.tab_to("id_code")
    page.keyboard.type("000000")
    page.keyboard.press("Enter")
    assert _error_summary_has_focus(page)
    visitor.check("authenticator-setup-error")

    visitor.tab_to("id_code")
    page.keyboard.press("Control+A")
    page.keyboard.type(totp_code(secret))
    page.keyboard.press("Enter")

    visitor.wait_for_path("/accounts/2fa/recovery-codes/")
    assert page.locator("h1").inner_text() == "Your recovery codes"
    codes = page.locator("#recovery-codes").inner_text().split()
    assert len(codes) == 10
    assert all(re.fullmatch(r"\d{8}", code) for code in codes)
    visitor.check("recovery-codes")

    visitor.tab_to("continue")
    page.keyboard.press("Enter")
    page.wait_for_url(visitor.base_url + "/")
    assert page.locator("h1").inner_text() == f"Hello, {person.full_name}"


def test_resetting_a_forgotten_password_by_keyboard(visitor, cast):
    page = visitor.page
    visitor.goto("/accounts/login/")
    link = page.get_by_role("link", name="Forgotten your password?")
    link.focus()
    page.keyboard.press("Enter")

    visitor.wait_for_path("/accounts/password/reset/")
    visitor.check("password-reset")
    visitor.tab_to("id_email")
    page.keyboard.type(cast.gp_lead.email)
    page.keyboard.press("Enter")

    visitor.wait_for_path("/accounts/password/reset/done/")
    assert page.locator("h1").inner_text() == "Check your email"
    visitor.check("password-reset-done")

    (message,) = mail.outbox
    reset_path = re.search(r"https?://[^/\s]+(/accounts/password/reset/key/\S+)", message.body)
    visitor.goto(reset_path.group(1))
    assert page.locator("h1").inner_text() == "Choose a new password"
    visitor.check("password-reset-new-password")
    visitor.tab_to("id_password1")
    page.keyboard.type("a-brand-new-passphrase")
    visitor.tab_to("id_password2")
    page.keyboard.type("a-brand-new-passphrase")
    page.keyboard.press("Enter")

    visitor.wait_for_path("/accounts/password/reset/key/done/")
    assert page.locator("h1").inner_text() == "Your password has been changed"
    visitor.check("password-reset-complete")
    cast.gp_lead.refresh_from_db()
    assert cast.gp_lead.check_password("a-brand-new-passphrase")


def test_signing_out_from_the_header_by_keyboard(visitor, cast):
    page = visitor.page
    visitor.sign_in_as(cast.secretary)
    visitor.goto("/")
    visitor.tab_to("sign-out")
    page.keyboard.press("Enter")

    visitor.wait_for_path("/accounts/login/")
    assert "You have signed out." in page.locator("[role=status]").inner_text()
    assert page.locator(".nhsuk-header__account").count() == 0
    visitor.check("signed-out")


def test_too_many_failed_sign_ins_show_the_lockout_page(visitor, cast, settings):
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post("/accounts/login/", {"login": cast.gp_lead.email, "password": "guess"})
    _sign_in_with_password(visitor, cast.gp_lead.email)

    visitor.page.wait_for_selector("h1")
    assert visitor.page.locator("h1").inner_text() == "Too many failed sign-in attempts"
    assert "paused for 30 minutes" in visitor.page.locator("main").inner_text()
    visitor.check("lockout")
