"""Personal links: tokens stored only hashed, addresses outside the service emailed with a
link minted at sending, guessing rate-limited."""

from __future__ import annotations

import pytest
from django.core import mail
from django.db import IntegrityError, transaction
from django.test import RequestFactory

from icsvoice import links, mailer
from icsvoice.models import OutboxMessage
from icsvoice.notifications import notify_addresses
from icsvoice.registry import register_link_minter

pytestmark = pytest.mark.django_db


def test_tokens_are_long_random_and_only_their_digest_is_kept():
    token, stored = links.new_token()
    other, _ = links.new_token()
    assert len(token) >= 43 and token != other
    assert stored == links.digest(token) and token not in stored
    assert links.looks_like_token(token)
    assert not links.looks_like_token("short") and not links.looks_like_token("x" * 43 + "!")


def test_an_address_is_emailed_with_a_link_minted_at_sending(cast, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    minted = []

    def mint(message: OutboxMessage) -> str:
        token, _ = links.new_token()
        minted.append(token)
        return f"/answer/{token}/"

    register_link_minter("test.invite", mint)
    queued = notify_addresses(
        kind="test.invite",
        objects_and_addresses=[(cast.group, "Practice.Manager@Example.NHS.uk", "Pat Manager")],
        subject="Your views, please",
        body="The group asks your practice's view.",
    )
    again = notify_addresses(
        kind="test.invite",
        objects_and_addresses=[(cast.group, "practice.manager@example.nhs.uk", "Pat Manager")],
        subject="Your views, please",
        body="The group asks your practice's view.",
    )
    assert (queued, again) == (1, 0)
    row = OutboxMessage.objects.get(kind="test.invite")
    assert row.recipient is None and row.to_email == "practice.manager@example.nhs.uk"
    assert row.url == ""  # the link is never stored with the email
    assert mailer.send_ids([row.pk]) == 1
    sent = mail.outbox[-1]
    assert sent.to == ["practice.manager@example.nhs.uk"]
    assert "Dear Pat Manager," in sent.body
    assert minted and minted[0] in sent.body
    assert "please do not forward it" in sent.body
    assert "Choose how often we email you" not in sent.body
    row.refresh_from_db()
    assert row.state == "sent" and minted[0] not in (row.body + row.url)


def test_the_delivered_hook_runs_once_the_server_takes_the_email_and_never_undoes_it(
    cast, settings
):
    """The hook is told only of an email the server took; if the hook itself fails, the email
    still counts as sent (it went), so it is not sent twice."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    told: list[int] = []

    def delivered(message: OutboxMessage) -> None:
        told.append(message.pk)
        raise RuntimeError("the hook broke")

    register_link_minter("test.hooked", lambda message: "/answer/x/", delivered=delivered)
    notify_addresses(
        kind="test.hooked",
        objects_and_addresses=[(cast.group, "pat@example.nhs.uk", "Pat")],
        subject="S",
        body="B",
    )
    row = OutboxMessage.objects.get(kind="test.hooked")
    assert mailer.send_ids([row.pk]) == 1
    row.refresh_from_db()
    assert told == [row.pk] and row.state == "sent"


def test_a_waiting_email_must_have_an_address(cast):
    notify_addresses(
        kind="test.plain",
        objects_and_addresses=[(cast.group, "gone@example.nhs.uk", "Gone")],
        subject="S",
        body="B",
    )
    row = OutboxMessage.objects.get(kind="test.plain")
    with pytest.raises(IntegrityError), transaction.atomic():
        OutboxMessage.objects.filter(pk=row.pk).update(to_email="")
    # Erasing an address (a contact removed on request) fails the email first.
    OutboxMessage.objects.filter(pk=row.pk).update(state="failed", to_email="", to_name="")
    assert OutboxMessage.objects.get(pk=row.pk).to_email == ""


def test_guessing_is_rate_limited_per_address(settings):
    settings.ICSVOICE_LINK_RATE = 3
    request = RequestFactory().get("/", REMOTE_ADDR="192.0.2.7")
    other = RequestFactory().get("/", REMOTE_ADDR="192.0.2.8")
    answers = []
    for _ in range(4):
        answers.append(links.throttled(request, "test"))
        links.missed(request, "test")
    assert answers == [False, False, False, True]
    assert links.throttled(other, "test") is False
    assert links.throttled(request, "another scope") is False
    assert links.too_many(request).status_code == 429
    page = links.link_not_working(request)
    assert page.status_code == 404 and b"This link does not work" in page.content


def test_behind_the_proxy_each_visitor_is_counted_on_their_own_address(settings):
    """In docker-compose every visitor reaches gunicorn from Caddy's address: the limit is
    on the address Caddy forwards, or one guesser would lock everyone out."""
    settings.ICSVOICE_LINK_RATE = 2
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1

    def visitor(address: str):
        return RequestFactory().get("/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR=address)

    for _ in range(2):
        links.missed(visitor("198.51.100.9"), "test")
    assert links.throttled(visitor("198.51.100.9"), "test") is True
    assert links.throttled(visitor("198.51.100.10"), "test") is False


def test_an_erased_address_is_not_sent_again(cast):
    from icsvoice.mailer import failed_resend

    notify_addresses(
        kind="test.plain",
        objects_and_addresses=[(cast.group, "gone@example.nhs.uk", "Gone")],
        subject="S",
        body="B",
    )
    row = OutboxMessage.objects.get(kind="test.plain")
    OutboxMessage.objects.filter(pk=row.pk).update(state="failed", to_email="", to_name="")
    assert failed_resend() == []
    assert OutboxMessage.objects.get(pk=row.pk).state == "failed"
