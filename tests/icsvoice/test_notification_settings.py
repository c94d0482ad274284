"""Each person's own choice of immediate emails or a daily digest, and the health view."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from icsvoice.models import AuditEvent, OutboxMessage, User
from tests.factories import UserFactory
from tests.helpers import sign_in

URL = "/settings/notifications/"


@pytest.fixture
def person(client, db):
    user = UserFactory(full_name="Dr Amara Okafor")
    sign_in(client, user)
    return user


def test_signed_out_people_are_sent_to_sign_in(client, db):
    response = client.get(URL)
    assert response.status_code == 302 and "/accounts/login/" in response.url
    assert client.post(URL, {"how": "digest"}).status_code == 302


def test_the_page_shows_the_current_choice_and_saves_a_new_one(client, person):
    page = client.get(URL).content.decode()
    assert 'value="immediate" checked' in page.replace("\n", " ").replace("  ", " ") or (
        "checked" in page.split('value="immediate"')[1][:80]
    )
    response = client.post(URL, {"how": "digest"}, follow=True)
    assert "once a day, in a digest" in response.content.decode()
    person.refresh_from_db()
    assert person.email_digest is True
    event = AuditEvent.objects.get(event="user.notifications_set")
    assert (event.actor_id, event.payload) == (person.pk, {"digest": True})
    # Saving the same choice again records nothing new.
    client.post(URL, {"how": "digest"})
    assert AuditEvent.objects.filter(event="user.notifications_set").count() == 1
    client.post(URL, {"how": "immediate"})
    person.refresh_from_db()
    assert person.email_digest is False


@pytest.mark.parametrize("data", [{}, {"how": "weekly"}])
def test_a_bad_answer_shows_the_error_summary_and_changes_nothing(client, person, data):
    response = client.post(URL, data)
    page = response.content.decode()
    assert response.status_code == 200
    assert "nhsuk-error-summary" in page
    assert "Choose how often we should email you" in page or "Select a valid choice" in page
    assert User.objects.get(pk=person.pk).email_digest is False
    assert not AuditEvent.objects.filter(event="user.notifications_set").exists()


def test_the_header_links_to_the_settings(client, person):
    assert f'href="{URL}"' in client.get(reverse("home")).content.decode()


def test_health_reports_database_broker_and_the_oldest_unsent_email(client, db):
    person = UserFactory()
    response = client.get("/health")
    body = response.json()
    assert response.status_code == 200
    assert body["status"] == "ok" and body["database"] == "ok" and body["broker"] == "ok"
    assert body["oldest_unsent_email_seconds"] is None and body["failed_emails"] == 0
    OutboxMessage.objects.create(
        kind="test.kind",
        object_type="icsvoice.user",
        object_id=str(person.pk),
        recipient=person,
        subject="s",
        body="b",
        created_at=timezone.now() - dt.timedelta(minutes=10),
    )
    body = client.get("/health").json()
    assert 599 <= body["oldest_unsent_email_seconds"] <= 620


def test_health_answers_503_when_the_broker_is_down(client, db, broker_down):
    response = client.get("/health")
    assert response.status_code == 503
    assert response.json()["broker"].startswith("error:")
    assert response.json()["database"] == "ok"
