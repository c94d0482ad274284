"""The page layout every screen shares: header, navigation by role, messages, footer, the
error pages, and allauth's pages in the same NHS markup."""

from __future__ import annotations

import re

import pytest
from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import render
from django.template import Context, Template
from django.template.base import Origin
from django.test import Client
from django.urls import path, reverse

from icsvoice import context_processors
from icsvoice.context_processors import NavEntry
from icsvoice.urls import urlpatterns as site_urlpatterns
from tests.factories import UserFactory
from tests.helpers import sign_in


def denied(request):
    raise PermissionDenied


def missing(request):
    raise Http404("No such position")


def broken(request):
    raise RuntimeError("A deliberate failure")


def with_message(request):
    messages.success(request, "Your position was saved.")
    messages.info(request, "Voting closes on Friday.")
    return render(request, "pages/privacy.html")


urlpatterns = [
    *site_urlpatterns,
    path("test/denied/", denied),
    path("test/missing/", missing),
    path("test/broken/", broken),
    path("test/messages/", with_message),
]
ERROR_URLS = pytest.mark.urls(__name__)
DASH = "\N{EN DASH}"  # page titles read "Page - icsvoice - NHS" with en dashes


def _nav(response) -> list[str]:
    body = response.content.decode()
    nav = re.search(r'<nav class="nhsuk-header__navigation".*?</nav>', body, re.S)
    if not nav:
        return []
    return re.findall(
        r'class="nhsuk-header__navigation-link" href="[^"]*"[^>]*>(?:<strong[^>]*>)?([^<]+)',
        nav.group(0),
    )


# --- Header and navigation ------------------------------------------------------------------


def test_signed_in_header_names_the_person_and_signs_out_by_post(client, cast):
    sign_in(client, cast.chair)
    body = client.get(reverse("home")).content.decode()
    account = re.search(r'<nav class="nhsuk-header__account".*?</nav>', body, re.S).group(0)
    assert "Dr Chidi Chair" in account
    form = re.search(r"<form[^>]*>.*?</form>", account, re.S).group(0)
    assert 'action="/accounts/logout/"' in form
    assert 'method="post"' in form
    assert 'name="csrfmiddlewaretoken"' in form
    assert ">Sign out</button>" in form


def test_signed_out_pages_have_no_account_area_or_navigation(client, db):
    body = client.get(reverse("account_login")).content.decode()
    assert "nhsuk-header__account" not in body
    assert "nhsuk-header__navigation" not in body
    assert 'href="/" aria-label="NHS icsvoice homepage"' in body


def test_navigation_shows_what_each_role_may_use(client, cast):
    sign_in(client, cast.gp_lead)
    assert _nav(client.get(reverse("home"))) == ["Home", "Positions"]
    client.logout()
    sign_in(client, cast.secretary)
    assert _nav(client.get(reverse("home"))) == ["Home", "Boards"]
    client.logout()
    sign_in(client, cast.gp_rep)
    assert _nav(client.get(reverse("home"))) == ["Home", "Positions", "Boards"]

    admin = UserFactory(is_staff=True, is_superuser=True)
    client.logout()
    sign_in(client, admin)
    assert _nav(client.get(reverse("home"))) == ["Home", "Admin"]


def test_navigation_marks_the_current_page(client, cast):
    sign_in(client, cast.gp_lead)
    body = client.get(reverse("home")).content.decode()
    current = 'href="/" aria-current="page"><strong class="nhsuk-header__navigation-item-current-'
    assert current + 'fallback">Home</strong>' in body
    body = client.get(reverse("privacy")).content.decode()
    assert "aria-current" not in body


def test_navigation_entries_follow_role_codes_and_skip_views_not_built_yet(
    client, cast, monkeypatch
):
    monkeypatch.setattr(
        context_processors,
        "NAVIGATION",
        (
            NavEntry("Home", "home"),
            NavEntry("Terms of reference", "privacy", frozenset({"group_chair"})),
            NavEntry("Positions", "groups:position-list", frozenset({"group_member"})),
        ),
    )
    sign_in(client, cast.chair)
    assert _nav(client.get(reverse("home"))) == ["Home", "Terms of reference"]
    client.logout()
    sign_in(client, cast.gp_lead)
    assert _nav(client.get(reverse("home"))) == ["Home"]


def test_every_page_has_the_nhs_head_skip_link_phase_banner_and_footer(client, db):
    body = client.get(reverse("account_login")).content.decode()
    assert body.startswith('<!DOCTYPE html>\n<html lang="en">')
    assert (
        '<meta name="viewport" content="width=device-width, initial-scale=1, viewport-fit=cover">'
        in body
    )
    assert re.search(r'<link rel="stylesheet" href="/static/dist/css/main\.[0-9a-f]+\.css">', body)
    assert re.search(r'<script type="module" src="/static/dist/js/main\.[0-9a-f]+\.js">', body)
    assert '<a class="nhsuk-skip-link" data-module="nhsuk-skip-link" href="#maincontent">' in body
    assert 'id="maincontent"' in body
    assert f"This is a new service {DASH} your feedback will help us improve it." in body
    assert 'href="/accessibility/">Accessibility statement</a>' in body
    assert 'href="/privacy/">Privacy</a>' in body
    assert "style=" not in body
    assert "<script>" not in body


@pytest.mark.parametrize("name", ["accessibility", "privacy"])
def test_footer_pages_need_no_sign_in(client, db, name):
    response = client.get(reverse(name))
    assert response.status_code == 200


@ERROR_URLS
def test_messages_are_announced_as_status_banners(client, db):
    body = client.get("/test/messages/").content.decode()
    success = re.search(r'nhsuk-notification-banner--success".*?</div>\s*</div>', body, re.S)
    assert 'role="status"' in success.group(0)
    assert "Your position was saved." in success.group(0)
    assert "Voting closes on Friday." in body
    assert body.count("nhsuk-notification-banner__title") == 2


# --- Titles ---------------------------------------------------------------------------------


def test_titles_are_sentence_case_and_say_when_there_is_an_error(client, db):
    body = client.get(reverse("account_login")).content.decode()
    assert f"<title>Sign in {DASH} icsvoice {DASH} NHS</title>" in body
    assert "<h1>Sign in</h1>" in body
    assert "Sign In" not in body
    body = client.post(reverse("account_login"), {"login": "", "password": ""}).content.decode()
    assert f"<title>Error: Sign in {DASH} icsvoice {DASH} NHS</title>" in body


def test_sign_in_errors_get_the_nhs_summary_and_inline_messages(client, db):
    body = client.post(reverse("account_login"), {"login": "", "password": ""}).content.decode()
    summary = re.search(r'<div class="nhsuk-error-summary".*?</ul>', body, re.S).group(0)
    assert summary.index("There is a problem") < summary.index('href="#id_login"')
    assert 'href="#id_password"' in summary
    assert body.index("nhsuk-error-summary") < body.index("<h1>")
    assert 'id="id_login-error"' in body
    assert "nhsuk-input--error" in body


def test_a_wrong_password_links_to_the_first_field(client, cast):
    body = client.post(
        reverse("account_login"), {"login": cast.chair.email, "password": "nope"}
    ).content.decode()
    assert re.search(
        r'<li><a href="#id_login">The email address or password is not right\. '
        r"Check them and try again\.</a></li>",
        body,
    )


# --- allauth elements -----------------------------------------------------------------------


class _ExampleForm(forms.Form):
    name = forms.CharField(label="Your name")


def _render(source: str, **context) -> str:
    origin = Origin(name="example.html", template_name="example.html")
    return Template("{% load allauth %}" + source, origin=origin).render(Context(context))


def test_allauth_buttons_are_nhs_buttons():
    primary = _render('{% element button type="submit" %}Save{% endelement %}')
    assert 'class="nhsuk-button"' in primary
    assert 'type="submit"' in primary
    secondary = _render('{% element button tags="secondary,panel" %}Download{% endelement %}')
    assert 'class="nhsuk-button nhsuk-button--secondary"' in secondary
    danger = _render('{% element button href="/x/" tags="danger,delete" %}Remove{% endelement %}')
    assert 'class="nhsuk-button nhsuk-button--warning"' in danger
    assert 'href="/x/" role="button"' in danger


def test_allauth_fields_render_through_the_crispy_pack():
    form = _ExampleForm(data={})
    html = _render("{% element fields form=form %}{% endelement %}", form=form)
    assert '<div class="nhsuk-error-summary" data-module="nhsuk-error-summary">' in html
    assert '<a href="#id_name">This field is required.</a>' in html
    assert '<label class="nhsuk-label" for="id_name">Your name</label>' in html
    assert 'aria-describedby="id_name-error"' in html
    html = _render("{% element fields form=form error_summary=False %}{% endelement %}", form=form)
    assert "nhsuk-error-summary" not in html


def test_allauth_panels_are_cards_and_alerts_are_inset_text():
    panel = _render(
        "{% element panel %}{% slot title %}Recovery codes{% endslot %}"
        "{% slot body %}<p>None yet.</p>{% endslot %}{% endelement %}"
    )
    assert '<div class="nhsuk-card">' in panel
    assert "Recovery codes</h2>" in panel
    alert = _render("{% element alert %}{% slot message %}Note{% endslot %}{% endelement %}")
    assert '<div class="nhsuk-inset-text">' in alert


@pytest.mark.parametrize(
    ("url", "heading"),
    [
        ("/accounts/login/", "Sign in"),
        ("/accounts/signup/", "Sign-up is closed"),
        ("/accounts/password/reset/", "Reset your password"),
        ("/accounts/password/reset/done/", "Check your email"),
        ("/accounts/password/reset/key/done/", "Your password has been changed"),
        ("/accounts/password/reset/key/1-nope/", "This link does not work"),
        ("/accounts/inactive/", "Your account is not active"),
    ],
)
def test_allauth_pages_signed_out(client, db, url, heading):
    response = client.get(url)
    assert response.status_code == 200
    body = response.content.decode()
    assert f"<h1>{heading}</h1>" in body
    assert "nhsuk-header" in body


@pytest.mark.parametrize(
    ("url", "heading"),
    [
        ("/accounts/2fa/", "Two-factor authentication"),
        ("/accounts/password/change/", "Change your password"),
        ("/accounts/logout/", "Sign out"),
        ("/accounts/2fa/recovery-codes/generate/", "Confirm it's you"),
        ("/accounts/2fa/totp/deactivate/", "Confirm it's you"),
    ],
)
def test_allauth_pages_signed_in(client, cast, url, heading):
    sign_in(client, cast.gp_rep)
    response = client.get(url, follow=True)
    assert response.status_code == 200
    assert f"<h1>{heading}</h1>" in response.content.decode()


# --- Error pages ----------------------------------------------------------------------------


@ERROR_URLS
def test_page_not_found(client, cast, settings):
    settings.DEBUG = False
    for url in ("/test/missing/", "/no-such-page/"):
        response = client.get(url)
        assert response.status_code == 404
        body = response.content.decode()
        assert f"<title>Page not found {DASH} icsvoice {DASH} NHS</title>" in body
        assert "<h1>Page not found</h1>" in body
        assert "If you typed the web address, check it is correct." in body
        assert 'href="/">Go to your icsvoice home page</a>' in body
        assert "No such position" not in body


@ERROR_URLS
def test_permission_denied(client, cast, settings):
    settings.DEBUG = False
    sign_in(client, cast.gp_lead)
    response = client.get("/test/denied/")
    assert response.status_code == 403
    body = response.content.decode()
    assert "<h1>You do not have permission to see this page</h1>" in body
    assert "ask your ICS's administrator to check your roles" in body
    assert "Dr Asha Lead" in body  # the full layout, with the person's header


@ERROR_URLS
def test_server_error_page_stands_alone(client, cast, settings):
    settings.DEBUG = False
    sign_in(client, cast.gp_lead)
    client.raise_request_exception = False
    response = client.get("/test/broken/")
    assert response.status_code == 500
    body = response.content.decode()
    assert "<h1>Sorry, there is a problem with the service</h1>" in body
    assert (
        f"<title>Sorry, there is a problem with the service {DASH} icsvoice {DASH} NHS</title>"
        in body
    )
    assert re.search(r'<link rel="stylesheet" href="/static/dist/css/main\.[0-9a-f]+\.css">', body)
    assert "nhsuk-footer" in body
    # Rendered without the request: no account area, whoever was signed in.
    assert "Dr Asha Lead" not in body
    assert "nhsuk-header__account" not in body


def test_a_form_without_its_csrf_token_explains_what_to_do(db):
    client = Client(enforce_csrf_checks=True)
    response = client.post(reverse("account_login"), {"login": "a@example.com", "password": "x"})
    assert response.status_code == 403
    body = response.content.decode()
    assert "<h1>Sorry, we could not send that form</h1>" in body
    assert "Go back, reload the page, and try again." in body


def test_lockout_page_says_how_long(client, cast, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(reverse("account_login"), {"login": cast.chair.email, "password": "guess"})
    response = client.post(reverse("account_login"), {"login": cast.chair.email, "password": "x"})
    assert response.status_code == 429
    body = response.content.decode()
    assert "<h1>Too many failed sign-in attempts</h1>" in body
    assert "paused for 30 minutes" in body


def test_people_cannot_change_their_own_email_address(client, cast):
    from tests.helpers import sign_in

    sign_in(client, cast.gp_lead)
    assert client.get("/accounts/email/").status_code == 404
    response = client.post("/accounts/email/", {"email": "attacker@example.com", "action_add": ""})
    assert response.status_code == 404
    assert not cast.gp_lead.emailaddress_set.filter(email="attacker@example.com").exists()


def test_footer_pages_open_before_two_factor_is_set_up(client, db):
    from tests.factories import UserFactory

    client.force_login(UserFactory())
    assert client.get("/accessibility/").status_code == 200
    assert client.get("/privacy/").status_code == 200


def test_sign_in_fields_have_plain_labels_and_no_placeholders(client, db):
    body = client.get(reverse("account_login")).content.decode()
    assert re.search(
        r'<label class="nhsuk-label"[^>]*for="id_login"[^>]*>\s*Email address\s*</label>', body
    )
    assert "placeholder=" not in body


def test_admin_navigation_is_for_site_administrators_only(client, db):
    from tests.factories import UserFactory
    from tests.helpers import sign_in

    staff_only = UserFactory(is_staff=True, is_superuser=False)
    sign_in(client, staff_only)
    body = client.get(reverse("home")).content.decode()
    assert 'href="/admin/"' not in body
    assert "Site administrator" not in body

    client.logout()
    sign_in(client, UserFactory(is_staff=True, is_superuser=True))
    body = client.get(reverse("home")).content.decode()
    assert 'href="/admin/"' in body
    assert "Site administrator" in body
