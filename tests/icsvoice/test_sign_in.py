"""Sign-in: email and password, then the authenticator app; lockout; session limits."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from icsvoice.middleware import SESSION_STARTED_KEY
from icsvoice.models import AuditEvent
from tests.factories import PASSWORD, UserFactory
from tests.helpers import give_totp, sign_in, totp_code

LOGIN = "/accounts/login/"


@pytest.fixture
def person(db):
    return UserFactory(email="asha@example.nhs.uk", full_name="Dr Asha Lead")


def _password_step(client, email, password=PASSWORD):
    return client.post(LOGIN, {"login": email, "password": password})


def test_sign_in_needs_password_then_authenticator_code(client, person):
    secret = give_totp(person)
    response = _password_step(client, "Asha@Example.nhs.uk")
    assert response.status_code == 302
    assert response.url == reverse("mfa_authenticate")
    assert client.get(reverse("home")).status_code == 302  # not signed in yet

    response = client.post(reverse("mfa_authenticate"), {"code": totp_code(secret)})
    assert response.status_code == 302
    home = client.get(reverse("home"))
    assert home.status_code == 200
    assert "Dr Asha Lead" in home.content.decode()
    signed_in = AuditEvent.objects.get(event="auth.signed_in")
    assert signed_in.actor == person


def test_a_wrong_authenticator_code_does_not_sign_in(client, person):
    give_totp(person)
    _password_step(client, person.email)
    response = client.post(reverse("mfa_authenticate"), {"code": "000000"})
    assert response.status_code == 200
    assert "The code is not right" in response.content.decode()
    assert client.get(reverse("home")).status_code == 302
    assert not AuditEvent.objects.filter(event="auth.signed_in").exists()


def test_a_recovery_code_works_once_instead_of_the_app(client, person):
    give_totp(person)
    code = RecoveryCodes.activate(person).get_unused_codes()[0]
    _password_step(client, person.email)
    client.post(reverse("mfa_authenticate"), {"code": code})
    assert client.get(reverse("home")).status_code == 200

    client.logout()
    _password_step(client, person.email)
    response = client.post(reverse("mfa_authenticate"), {"code": code})
    assert response.status_code == 200
    assert client.get(reverse("home")).status_code == 302


def test_failed_sign_in_is_recorded_without_the_password(client, person):
    response = _password_step(client, person.email, password="not-my-password")
    assert response.status_code == 200
    assert "The email address or password is not right" in response.content.decode()
    failed = AuditEvent.objects.get(event="auth.sign_in_failed")
    assert failed.actor is None
    assert failed.payload["login"] == person.email
    assert "not-my-password" not in str(failed.payload)


def test_repeated_failures_lock_the_account_even_for_the_right_password(client, person, settings):
    give_totp(person)
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _password_step(client, person.email, password="guess")
    response = _password_step(client, person.email)
    assert response.status_code == 429
    assert "Too many failed sign-in attempts" in response.content.decode()
    assert client.get(reverse("home")).status_code == 302


def test_an_account_without_an_authenticator_must_set_one_up(client, person):
    _password_step(client, person.email)
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response.url == reverse("mfa_activate_totp")
    # Setting up an authenticator asks for the password again first.
    response = client.get(reverse("mfa_activate_totp"))
    assert response.url.startswith(reverse("account_reauthenticate"))
    client.post(response.url, {"password": PASSWORD})
    assert client.get(reverse("mfa_activate_totp")).status_code == 200
    secret = client.session["mfa.totp.secret"]
    client.post(reverse("mfa_activate_totp"), {"code": totp_code(secret)})
    assert client.get(reverse("home")).status_code == 200


def test_the_demo_setting_relaxes_two_factor(client, person, settings):
    settings.ICSVOICE_REQUIRE_MFA = False
    client.force_login(person)
    assert client.get(reverse("home")).status_code == 200


def test_sessions_end_after_30_minutes_idle(client, person, settings):
    sign_in(client, person)
    client.get(reverse("home"))
    assert settings.SESSION_COOKIE_AGE == 30 * 60
    assert settings.SESSION_SAVE_EVERY_REQUEST
    session = client.session
    assert session.get_expiry_age() == 30 * 60
    # Idle past the limit: the stored session has expired, so the person is signed out.
    from django.contrib.sessions.models import Session

    Session.objects.filter(session_key=session.session_key).update(
        expire_date=timezone.now() - dt.timedelta(seconds=1)
    )
    assert client.get(reverse("home")).status_code == 302


def test_sessions_end_12_hours_after_sign_in_however_active(client, person):
    sign_in(client, person)
    assert client.get(reverse("home")).status_code == 200
    session = client.session
    session[SESSION_STARTED_KEY] = (timezone.now() - dt.timedelta(hours=12, minutes=1)).isoformat()
    session.save()
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response.url == reverse("account_login")
    assert client.get(reverse("home")).status_code == 302


def test_nobody_can_sign_themselves_up(client, db):
    response = client.post(
        "/accounts/signup/",
        {
            "email": "new@example.com",
            "password1": "a-long-password-1",
            "password2": "a-long-password-1",
        },
    )
    assert response.status_code == 200
    assert (
        "Sign Up Closed" in response.content.decode()
        or "closed" in response.content.decode().lower()
    )
    from icsvoice.models import User

    assert not User.objects.filter(email="new@example.com").exists()


def test_password_reset_by_email(client, person):
    response = client.post(reverse("account_reset_password"), {"email": person.email})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    link = re.search(r"https?://[^/\s]+(/accounts/password/reset/key/\S+)", mail.outbox[0].body)
    assert link, mail.outbox[0].body
    response = client.get(link.group(1), follow=True)
    form_url = response.redirect_chain[-1][0] if response.redirect_chain else link.group(1)
    response = client.post(
        form_url, {"password1": "a-brand-new-passphrase", "password2": "a-brand-new-passphrase"}
    )
    assert response.status_code == 302
    person.refresh_from_db()
    assert person.check_password("a-brand-new-passphrase")


def test_behind_a_proxy_lockouts_key_on_the_forwarded_client_address(client, person, settings):
    from axes.models import AccessAttempt

    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1
    for _ in range(2):
        client.post(
            LOGIN,
            {"login": person.email, "password": "guess"},
            HTTP_X_FORWARDED_FOR="203.0.113.9",
            REMOTE_ADDR="10.0.0.2",
        )
    attempt = AccessAttempt.objects.get()
    assert attempt.ip_address == "203.0.113.9"
    assert attempt.failures_since_start == 2


def test_a_session_without_a_sign_in_time_is_ended_not_renewed(client, person):
    sign_in(client, person)
    session = client.session
    del session[SESSION_STARTED_KEY]
    session.save()
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response.url == reverse("account_login")
    assert client.get(reverse("home")).status_code == 302
