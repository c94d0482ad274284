"""Sending the outbox over a real SMTP server on loopback: claimed once, sent with a stable
Message-ID, retried on a transient answer, failed on a permanent one, digests once a day."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from icsvoice import mailer
from icsvoice.models import AuditEvent, OutboxMessage
from icsvoice.notifications import notify
from tests.factories import LeadershipGroupFactory, UserFactory
from tests.helpers import sign_in
from tests.support.smtp import free_port, smtp_sink

State = OutboxMessage.State
UK = ZoneInfo("Europe/London")


@pytest.fixture
def smtp(settings):
    with smtp_sink() as (sink, port):
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST = "127.0.0.1"
        settings.EMAIL_PORT = port
        settings.EMAIL_USE_TLS = False
        settings.EMAIL_TIMEOUT = 5
        settings.SITE_URL = "https://icsvoice.example.nhs.uk"
        yield sink


@pytest.fixture
def group(db):
    return LeadershipGroupFactory(name="North Primary Care Leadership Group")


def _notify(group, recipients, *, kind="position.revised", urgent=False, version=""):
    return notify(
        kind=kind,
        obj=group,
        recipients=recipients,
        subject="Version 2 of the access position",
        body="Dr Okafor saved version 2.\nRead it before the vote opens.",
        url="/positions/1/",
        urgent=urgent,
        version=version,
    )


def _rows():
    return list(OutboxMessage.objects.order_by("id"))


def test_a_committed_change_is_sent_once_with_both_parts_and_the_settings_link(
    group, smtp, eager, django_capture_on_commit_callbacks
):
    person = UserFactory(full_name="Dr Amara Okafor", email="amara@example.nhs.uk")
    with django_capture_on_commit_callbacks(execute=True):
        _notify(group, [person])
    [row] = _rows()
    assert row.state == State.SENT and row.attempts == 1 and row.sent_at is not None
    [email] = smtp.messages()
    assert email["To"] == "amara@example.nhs.uk"
    assert email["Subject"] == "Version 2 of the access position"
    assert email["Message-ID"] == row.message_id
    assert row.message_id.endswith("@icsvoice.localhost>")
    text = email.get_body(("plain",)).get_content()
    html = email.get_body(("html",)).get_content()
    for part in (text, html):
        assert "Dear Dr Amara Okafor" in part
        assert "https://icsvoice.example.nhs.uk/positions/1/" in part
        assert "https://icsvoice.example.nhs.uk/settings/notifications/" in part
    assert "Read it before the vote opens." in text
    assert "<p style" in html and "#005eb8" in html


def test_a_rolled_back_change_sends_nothing(group, smtp, eager, django_capture_on_commit_callbacks):
    person = UserFactory()
    with django_capture_on_commit_callbacks(execute=True):
        try:
            with transaction.atomic():
                _notify(group, [person])
                raise RuntimeError("the change failed")
        except RuntimeError:
            pass
    assert _rows() == []
    assert smtp.messages() == []


def test_a_broker_that_is_down_leaves_the_rows_for_the_scan(
    group, smtp, broker_down, django_capture_on_commit_callbacks, caplog, settings
):
    settings.ICSVOICE_EMAIL_DISPATCH_GRACE_SECONDS = 0
    with django_capture_on_commit_callbacks(execute=True):
        assert _notify(group, [UserFactory(), UserFactory()]) == 2
    assert "Could not queue icsvoice.send_emails" in caplog.text
    rows = _rows()
    assert {row.state for row in rows} == {State.PENDING} and smtp.messages() == []
    assert mailer.due_ids() == [row.pk for row in rows]


def test_sending_the_same_rows_twice_sends_each_once(group, smtp):
    people = [UserFactory() for _ in range(3)]
    _notify(group, people)
    ids = [row.pk for row in _rows()]
    assert mailer.send_ids(ids) == 3
    assert mailer.send_ids(ids) == 0
    assert len(smtp.messages()) == 3
    assert sorted(smtp.message_ids()) == sorted(row.message_id for row in _rows())


def test_the_message_id_is_the_same_on_every_attempt_and_differs_between_rows(group, db):
    a, b = UserFactory(), UserFactory()
    _notify(group, [a, b])
    first, second = _rows()
    again = OutboxMessage.objects.get(pk=first.pk)
    assert first.message_id == again.message_id
    assert first.message_id != second.message_id


def test_a_permanent_refusal_fails_the_row_and_tells_administrators(group, smtp, client):
    good = UserFactory(email="good@example.nhs.uk")
    gone = UserFactory(email="gone@example.nhs.uk")
    smtp.refuse["gone@example.nhs.uk"] = "550 No such mailbox"
    _notify(group, [good, gone])
    mailer.send_ids([row.pk for row in _rows()])
    states = {row.recipient_id: row for row in _rows()}
    assert states[good.pk].state == State.SENT
    failed = states[gone.pk]
    assert failed.state == State.FAILED
    assert "No such mailbox" in failed.last_error
    assert [str(m["To"]) for m in smtp.messages()] == ["good@example.nhs.uk"]

    admin = UserFactory(is_superuser=True, is_staff=True)
    sign_in(client, admin)
    page = client.get(reverse("home")).content.decode()
    assert "1 email could not be sent" in page
    sign_in(client, good)
    assert "could not be sent" not in client.get(reverse("home")).content.decode()


def test_a_transient_refusal_is_retried_after_a_backoff_then_sent(group, smtp):
    person = UserFactory(email="busy@example.nhs.uk")
    smtp.refuse["busy@example.nhs.uk"] = "451 Mailbox busy, try later"
    _notify(group, [person])
    [row] = _rows()
    before = timezone.now()
    assert mailer.send_ids([row.pk]) == 0
    row.refresh_from_db()
    assert row.state == State.PENDING and row.attempts == 1
    assert "Mailbox busy" in row.last_error
    assert row.next_attempt_at >= before + dt.timedelta(seconds=59)
    # Not due yet: neither a task nor the scan takes it.
    assert mailer.send_ids([row.pk]) == 0
    assert row.pk not in mailer.due_ids()
    del smtp.refuse["busy@example.nhs.uk"]
    OutboxMessage.objects.filter(pk=row.pk).update(
        next_attempt_at=timezone.now() - dt.timedelta(minutes=2)
    )
    assert mailer.due_ids() == [row.pk]
    assert mailer.send_ids([row.pk]) == 1
    row.refresh_from_db()
    assert (row.state, row.attempts, row.last_error) == (State.SENT, 2, "")


def test_an_unreachable_server_is_transient_and_the_backoff_grows(group, settings, db):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_USE_TLS = (
        "127.0.0.1",
        free_port(),
        False,
    )
    _notify(group, [UserFactory()])
    [row] = _rows()
    for attempt in (1, 2, 3):
        OutboxMessage.objects.filter(pk=row.pk).update(next_attempt_at=timezone.now())
        before = timezone.now()
        mailer.send_ids([row.pk])
        row.refresh_from_db()
        assert row.state == State.PENDING and row.attempts == attempt
        assert "ConnectionRefusedError" in row.last_error
        wait = row.next_attempt_at - before
        assert dt.timedelta(minutes=2 ** (attempt - 1)) - dt.timedelta(seconds=1) <= wait
        assert wait <= dt.timedelta(minutes=2 ** (attempt - 1), seconds=1)


def test_too_many_attempts_fail_the_row(group, settings, db):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_USE_TLS = (
        "127.0.0.1",
        free_port(),
        False,
    )
    settings.ICSVOICE_EMAIL_MAX_ATTEMPTS = 2
    _notify(group, [UserFactory()])
    [row] = _rows()
    mailer.send_ids([row.pk])
    OutboxMessage.objects.filter(pk=row.pk).update(next_attempt_at=timezone.now())
    mailer.send_ids([row.pk])
    row.refresh_from_db()
    assert (row.state, row.attempts) == (State.FAILED, 2)


def test_an_inactive_person_is_not_queued_and_one_deactivated_later_is_not_emailed(group, smtp):
    assert _notify(group, [UserFactory(is_active=False), UserFactory(email="")]) == 0
    assert _rows() == []
    person = UserFactory()
    _notify(group, [person])
    person.is_active = False
    person.save()
    mailer.send_ids([row.pk for row in _rows()])
    [row] = _rows()
    assert row.state == State.FAILED and "no active account" in row.last_error
    assert smtp.messages() == []


@pytest.mark.parametrize("reply", ["553 Relaying denied", "554 Sender rejected"])
def test_a_server_that_refuses_our_sender_is_a_fault_to_mend_not_a_failed_email(group, smtp, reply):
    smtp.refuse_sender = reply
    _notify(group, [UserFactory(), UserFactory()])
    mailer.send_ids([row.pk for row in _rows()])
    for row in _rows():
        assert (row.state, row.attempts) == (State.PENDING, 1)
        assert reply.split(" ", 1)[1] in row.last_error
    smtp.refuse_sender = ""
    OutboxMessage.objects.update(next_attempt_at=timezone.now())
    assert mailer.send_ids([row.pk for row in _rows()]) == 2


def test_permanence_is_decided_by_what_was_refused():
    import smtplib

    assert mailer.is_permanent(smtplib.SMTPRecipientsRefused({"a@b": (550, b"No such user")}))
    assert not mailer.is_permanent(smtplib.SMTPRecipientsRefused({"a@b": (452, b"Full")}))
    assert mailer.is_permanent(smtplib.SMTPDataError(554, b"Message refused"))
    assert not mailer.is_permanent(smtplib.SMTPDataError(451, b"Try later"))
    assert not mailer.is_permanent(smtplib.SMTPAuthenticationError(535, b"Bad login"))
    assert not mailer.is_permanent(smtplib.SMTPSenderRefused(553, b"Denied", "x@y"))
    assert not mailer.is_permanent(smtplib.SMTPConnectError(554, b"Go away"))
    assert mailer.is_permanent(mailer.PermanentFailure("no address"))


def test_a_live_claim_is_left_alone_and_an_expired_one_is_taken_again(group, smtp, settings):
    settings.ICSVOICE_EMAIL_LEASE_SECONDS = 60
    _notify(group, [UserFactory()])
    [row] = _rows()
    [claimed] = mailer.claim([row.pk])
    assert claimed.state == State.SENDING
    assert mailer.claim([row.pk]) == []  # another worker
    assert row.pk not in mailer.due_ids()
    OutboxMessage.objects.filter(pk=row.pk).update(
        claimed_at=timezone.now() - dt.timedelta(seconds=61)
    )
    assert mailer.due_ids() == [row.pk]
    [retaken] = mailer.claim([row.pk])
    assert retaken.attempts == 2
    # The first worker wakes up and finishes: its mark does not touch the new claim.
    mailer.send_one(claimed, mailer.get_connection())
    row.refresh_from_db()
    assert row.state == State.SENDING and row.claim == retaken.claim != claimed.claim
    mailer.send_one(retaken, mailer.get_connection())
    row.refresh_from_db()
    assert row.state == State.SENT
    # Both sends reached the server with the same Message-ID: the documented window.
    assert smtp.message_ids() == [row.message_id, row.message_id]


def test_two_claims_at_the_same_instant_get_only_the_rows_each_took(group, db):
    _notify(group, [UserFactory() for _ in range(4)])
    ids = [row.pk for row in _rows()]
    now = timezone.now()
    first = mailer.claim(ids[:3], now=now)
    second = mailer.claim(ids[1:], now=now)
    assert [row.pk for row in first] == ids[:3]
    assert [row.pk for row in second] == ids[3:]


def test_the_scan_leaves_new_rows_to_their_own_task_for_the_grace_period(group, db, settings):
    settings.ICSVOICE_EMAIL_DISPATCH_GRACE_SECONDS = 30
    _notify(group, [UserFactory()])
    [row] = _rows()
    assert mailer.due_ids() == []
    assert mailer.due_ids(now=timezone.now() + dt.timedelta(seconds=31)) == [row.pk]


def test_digest_people_get_non_urgent_notices_once_a_day_and_urgent_ones_straight_away(
    group, smtp, eager, settings, django_capture_on_commit_callbacks
):
    settings.ICSVOICE_DIGEST_HOUR = 7
    daily = UserFactory(email="daily@example.nhs.uk", email_digest=True)
    with django_capture_on_commit_callbacks(execute=True):
        _notify(group, [daily], kind="position.revised")
        _notify(group, [daily], kind="position.commented")
        _notify(group, [daily], kind="vote.closing", urgent=True)
    by_kind = {row.kind: row for row in _rows()}
    assert by_kind["vote.closing"].state == State.SENT
    assert by_kind["position.revised"].state == State.PENDING and by_kind["position.revised"].digest
    assert len(smtp.messages()) == 1
    assert mailer.due_ids(now=timezone.now() + dt.timedelta(hours=1)) == []

    today = timezone.now().astimezone(UK).date()
    early = dt.datetime.combine(today, dt.time(6, 59), tzinfo=UK)
    assert mailer.digests_make(now=early) == []
    at_seven = dt.datetime.combine(today, dt.time(7, 0), tzinfo=UK)
    if at_seven < timezone.now():  # the notices must have been written before the digest
        at_seven = timezone.now() + dt.timedelta(seconds=1)
    [digest_id] = mailer.digests_make(now=at_seven)
    assert mailer.digests_make(now=at_seven + dt.timedelta(minutes=1)) == []
    held = OutboxMessage.objects.filter(kind__in=["position.revised", "position.commented"])
    assert {row.state for row in held} == {State.DIGESTED}
    assert {row.digested_in_id for row in held} == {digest_id}
    assert {row.sent_at for row in held} == {None}  # the digest row says when it went
    assert mailer.send_ids([digest_id]) == 1
    digest = smtp.to("daily@example.nhs.uk")[-1]
    assert digest["Subject"] == "Your icsvoice digest: 2 notices"
    text = digest.get_body(("plain",)).get_content()
    assert text.count("Version 2 of the access position") == 2


def test_a_notice_after_todays_digest_waits_for_tomorrows(group, db, settings):
    settings.ICSVOICE_DIGEST_HOUR = 0
    daily = UserFactory(email_digest=True)
    _notify(group, [daily], kind="position.revised")
    [first] = mailer.digests_make()
    _notify(group, [daily], kind="position.commented")
    assert mailer.digests_make() == []
    later = OutboxMessage.objects.get(kind="position.commented")
    assert later.state == State.PENDING
    tomorrow = timezone.now() + dt.timedelta(days=1)
    [second] = mailer.digests_make(now=tomorrow)
    assert second != first
    later.refresh_from_db()
    assert later.digested_in_id == second


def test_resend_failed_emails_requeues_only_failed_ones_and_audits(group, smtp):
    person = UserFactory(email="gone@example.nhs.uk")
    other = UserFactory()
    smtp.refuse["gone@example.nhs.uk"] = "550 No such mailbox"
    _notify(group, [person, other])
    mailer.send_ids([row.pk for row in _rows()])
    failed = OutboxMessage.objects.get(state=State.FAILED)
    sent = OutboxMessage.objects.get(state=State.SENT)
    del smtp.refuse["gone@example.nhs.uk"]

    call_command("resend_failed_emails", str(sent.pk))  # not failed: left alone
    sent.refresh_from_db()
    assert sent.state == State.SENT
    call_command("resend_failed_emails")
    failed.refresh_from_db()
    assert (failed.state, failed.attempts) == (State.PENDING, 0)
    assert AuditEvent.objects.filter(event="outbox.resent").count() == 1
    assert mailer.send_ids([failed.pk]) == 1
    assert len(smtp.to("gone@example.nhs.uk")) == 1


def test_the_admin_action_sends_failed_emails_again(group, smtp, client):
    person = UserFactory(email="gone@example.nhs.uk")
    smtp.refuse["gone@example.nhs.uk"] = "550 No such mailbox"
    _notify(group, [person])
    [row] = _rows()
    mailer.send_ids([row.pk])
    admin = UserFactory(is_superuser=True, is_staff=True)
    sign_in(client, admin)
    listing = client.get(
        reverse("admin:icsvoice_outboxmessage_changelist") + "?state__exact=failed"
    )
    assert listing.status_code == 200 and "No such mailbox" not in listing.content.decode()
    response = client.post(
        reverse("admin:icsvoice_outboxmessage_changelist"),
        {"action": "send_again", "_selected_action": [row.pk]},
        follow=True,
    )
    assert "1 email queued to send again." in response.content.decode()
    row.refresh_from_db()
    assert row.state == State.PENDING
    event = AuditEvent.objects.get(event="outbox.resent")
    assert event.actor_id == admin.pk and event.payload == {"messages": [row.pk]}


def test_a_batch_that_outlives_half_its_lease_gives_the_rest_back(group, smtp, settings):
    settings.ICSVOICE_EMAIL_LEASE_SECONDS = 2
    smtp.delay = 0.4
    _notify(group, [UserFactory() for _ in range(8)])
    sent = mailer.send_ids([row.pk for row in _rows()])
    assert 1 <= sent < 8
    rows = _rows()
    assert [row.state for row in rows] == [State.SENT] * sent + [State.PENDING] * (8 - sent)
    assert all(row.attempts == 0 and row.claimed_at is None for row in rows[sent:])
    assert len(smtp.messages()) == sent
