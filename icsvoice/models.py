"""The shared kernel's data: people, the audit trail and the email outbox."""

from __future__ import annotations

import hashlib
from typing import Any, ClassVar

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.utils import timezone


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def _create(self, email: str, password: str | None, **fields: Any) -> User:
        if not email:
            raise ValueError("Every account needs an email address.")
        user = self.model(email=self.normalize_email(email).lower(), **fields)
        if password is None:
            user.set_unusable_password()
        else:
            user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **fields: Any) -> User:
        fields.setdefault("is_staff", False)
        fields.setdefault("is_superuser", False)
        return self._create(email, password, **fields)

    def create_superuser(self, email: str, password: str | None = None, **fields: Any) -> User:
        fields["is_staff"] = True
        fields["is_superuser"] = True
        return self._create(email, password, **fields)


class User(AbstractBaseUser, PermissionsMixin):
    """A person who signs in. Roles live with what they are scoped to (groups, boards)."""

    email = models.EmailField("email address", unique=True)
    full_name = models.CharField(max_length=150)
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(
        default=False, help_text="Site administrators can use the admin site."
    )
    date_joined = models.DateTimeField(default=timezone.now)
    email_digest = models.BooleanField(
        "daily digest",
        default=False,
        help_text="Send notices that are not urgent as one email a day.",
    )

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = ["full_name"]

    class Meta:
        ordering = ["full_name", "email"]

    def __str__(self) -> str:
        return self.full_name or self.email

    def get_full_name(self) -> str:
        return self.full_name or self.email

    def get_short_name(self) -> str:
        return self.get_full_name()


class AuditEvent(models.Model):
    """One state change of primary care input. Append-only and hash-chained.

    The primary key is the event's place in the chain: record() assigns it as the previous
    event's id plus one while holding the chain lock, so a gap means a deleted event.
    """

    id = models.BigIntegerField(primary_key=True)
    occurred_at = models.DateTimeField()
    actor = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    actor_label = models.CharField(max_length=254, blank=True)
    role = models.CharField(max_length=64, blank=True)
    event = models.CharField(max_length=100)
    object_type = models.CharField(max_length=100, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    ics_id = models.BigIntegerField(null=True, blank=True)
    # The leadership group and the board the object belongs to, where it belongs to one
    # (a brief to both), so the review can filter by them; filled by record().
    group_id = models.BigIntegerField(null=True, blank=True)
    board_id = models.BigIntegerField(null=True, blank=True)
    payload = models.JSONField(default=dict, blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    class Meta:
        ordering = ["id"]
        indexes = [
            models.Index(fields=["event", "id"], name="icsvoice_audit_event_idx"),
            models.Index(
                fields=["object_type", "object_id", "id"], name="icsvoice_audit_object_idx"
            ),
            models.Index(fields=["ics_id", "id"], name="icsvoice_audit_ics_idx"),
            models.Index(fields=["actor", "id"], name="icsvoice_audit_actor_idx"),
            # The review's filters, newest first within an ICS (engagement.auditlog); a
            # group or a board lies in one ICS, so they need no ICS column of their own.
            models.Index(fields=["ics_id", "event", "id"], name="icsvoice_audit_ics_event_idx"),
            models.Index(fields=["ics_id", "role", "id"], name="icsvoice_audit_ics_role_idx"),
            models.Index(fields=["group_id", "id"], name="icsvoice_audit_group_idx"),
            models.Index(fields=["board_id", "id"], name="icsvoice_audit_board_idx"),
            # Dates become a range of ids (events are numbered in time order).
            models.Index(fields=["occurred_at", "id"], name="icsvoice_audit_when_idx"),
        ]

    def __str__(self) -> str:
        return f"#{self.id} {self.event} {self.object_type}:{self.object_id}"


class AuditCheckpoint(models.Model):
    """A verification of the chain: up to which event, with which hash, and when.

    Later verifications check that the checkpointed event is still there unchanged, which
    catches removal of the newest events, the one edit a chain cannot see by itself.
    """

    verified_at = models.DateTimeField(default=timezone.now)
    last_event_id = models.BigIntegerField()
    last_hash = models.CharField(max_length=64)
    event_count = models.BigIntegerField()

    class Meta:
        ordering = ["-verified_at"]
        get_latest_by = "verified_at"

    def __str__(self) -> str:
        return f"verified to #{self.last_event_id} at {self.verified_at:%Y-%m-%d %H:%M}"


class AuditVerification(models.Model):
    """One run of the chain's verification: asked for on the review page (or by the nightly
    scan), run by a worker. Failures are kept as well as successes, so a broken chain stays
    on the page until a later run finds it whole again."""

    class State(models.TextChoices):
        QUEUED = "queued", "Waiting for a worker"
        RUNNING = "running", "Checking"
        INTACT = "intact", "Intact"
        BROKEN = "broken", "Broken"
        ERROR = "error", "Could not finish"

    requested_at = models.DateTimeField(default=timezone.now)
    requested_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    state = models.CharField(max_length=10, choices=State.choices, default=State.QUEUED)
    checked = models.BigIntegerField(default=0)
    last_event_id = models.BigIntegerField(null=True, blank=True)
    broken_event_id = models.BigIntegerField(null=True, blank=True)
    problem = models.TextField(blank=True)

    class Meta:
        ordering = ["-requested_at", "-id"]

    def __str__(self) -> str:
        return f"verification {self.pk} ({self.state})"


class OutboxMessage(models.Model):
    """One notification email to one person, written in the same transaction as the change
    that causes it. Unique on (kind, object, recipient, version), so a retried or repeated
    change never queues the same email twice. Sending it is the Celery jobs' part."""

    class State(models.TextChoices):
        PENDING = "pending", "Waiting to send"
        SENDING = "sending", "Being sent"
        SENT = "sent", "Sent"
        DIGESTED = "digested", "Sent in a daily digest"
        FAILED = "failed", "Could not be sent"

    kind = models.CharField(max_length=64)
    object_type = models.CharField(max_length=100)
    object_id = models.CharField(max_length=64)
    # A person with an account, or (recipient empty) an address outside the service: a
    # practice or partner contact invited to a consultation, a GP leaving a role.
    recipient = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.CASCADE, related_name="outbox"
    )
    to_email = models.EmailField(blank=True)
    to_name = models.CharField(max_length=200, blank=True)
    version = models.CharField(max_length=64, blank=True)
    subject = models.CharField(max_length=200)
    body = models.TextField()
    url = models.CharField(max_length=500, blank=True)
    urgent = models.BooleanField(default=False)
    # Held for the recipient's daily digest (chosen when the row is written: they asked for a
    # digest and the notice is not urgent).
    digest = models.BooleanField(default=False)
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    created_at = models.DateTimeField(default=timezone.now)
    # Not before: now for a new row, later after a transient failure (the backoff).
    next_attempt_at = models.DateTimeField(default=timezone.now)
    # When a worker claimed it; a claim older than the lease is a dead worker's, taken again.
    claimed_at = models.DateTimeField(null=True, blank=True)
    # The claiming worker's token: its marks (sent, failed, given back) touch only its claim.
    claim = models.UUIDField(null=True, blank=True, editable=False)
    attempts = models.PositiveIntegerField(default=0)
    sent_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    # The digest email that carried this notice.
    digested_in = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "object_type", "object_id", "recipient", "version"],
                name="icsvoice_outboxmessage_once",
            ),
            models.UniqueConstraint(
                fields=["kind", "object_type", "object_id", "to_email", "version"],
                condition=models.Q(recipient__isnull=True),
                name="icsvoice_outboxmessage_once_by_address",
            ),
            # An address is kept until the email is sent or fails; then it may be erased
            # (a contact removed on request), so only a waiting row must have somewhere to go.
            models.CheckConstraint(
                condition=models.Q(recipient__isnull=False)
                | ~models.Q(to_email="")
                | models.Q(state__in=["sent", "failed", "digested"]),
                name="icsvoice_outboxmessage_has_address",
            ),
        ]
        indexes = [
            models.Index(fields=["state", "id"], name="icsvoice_outbox_state_idx"),
            models.Index(fields=["state", "next_attempt_at"], name="icsvoice_outbox_due_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} to {self.recipient_id or 'an address'} ({self.state})"

    @property
    def message_id(self) -> str:
        """The same Message-ID on every attempt, so a mail system that sees an email twice
        (the window between the server accepting it and the row being marked sent) can tell."""
        key = f"{self.kind}|{self.object_type}|{self.object_id}|{self.recipient_id}|{self.version}"
        digest = hashlib.sha256(key.encode()).hexdigest()[:24]
        return f"<{self.pk}.{digest}@{settings.ICSVOICE_MAIL_DOMAIN}>"
