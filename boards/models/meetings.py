"""Meetings, their agendas (draft, then published versions that are never edited), agenda
items in a public and a private part, and the papers attached to items."""

from __future__ import annotations

import datetime as dt
import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from boards.models.core import Board


class Part(models.TextChoices):
    PUBLIC = "public", "Part 1 (in public)"
    PRIVATE = "private", "Part 2 (in private)"


class Purpose(models.TextChoices):
    DECISION = "decision", "For decision"
    DISCUSSION = "discussion", "For discussion"
    INFORMATION = "information", "For information"
    ASSURANCE = "assurance", "For assurance"


class Meeting(models.Model):
    class State(models.TextChoices):
        SCHEDULED = "scheduled", "Scheduled"
        CANCELLED = "cancelled", "Cancelled"

    board = models.ForeignKey(Board, on_delete=models.PROTECT, related_name="meetings")
    title = models.CharField(max_length=200, help_text="Such as 'Board meeting in public'.")
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField(null=True, blank=True)
    location = models.CharField(max_length=300, blank=True)
    online_url = models.URLField("online joining link", max_length=500, blank=True)
    state = models.CharField(max_length=10, choices=State.choices, default=State.SCHEDULED)
    cancel_reason = models.TextField(blank=True, help_text="Why the meeting was cancelled.")
    cancelled_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["starts_at", "id"]
        indexes = [models.Index(fields=["board", "starts_at"], name="boards_meeting_board_start")]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__isnull=True) | Q(ends_at__gt=models.F("starts_at")),
                name="boards_meeting_ends_after_start",
            ),
            models.CheckConstraint(
                condition=Q(state="scheduled")
                | (~Q(cancel_reason="") & Q(cancelled_at__isnull=False)),
                name="boards_meeting_cancelled_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title}, {timezone.localtime(self.starts_at):%-d %B %Y}"

    @property
    def is_cancelled(self) -> bool:
        return self.state == self.State.CANCELLED

    @property
    def has_started(self) -> bool:
        return self.starts_at <= timezone.now()

    @property
    def day(self) -> dt.date:
        """The meeting's date in the UK."""
        return timezone.localdate(self.starts_at)

    @property
    def is_upcoming(self) -> bool:
        """Scheduled and not started yet."""
        return not self.is_cancelled and not self.has_started


class AgendaVersion(models.Model):
    """An agenda as drafted or published. A published version is never edited: changing a
    published agenda drafts a new version from it, and publishing that supersedes the old."""

    class State(models.TextChoices):
        DRAFT = "draft", "Draft"
        PUBLISHED = "published", "Published"
        SUPERSEDED = "superseded", "Superseded"

    meeting = models.ForeignKey(Meeting, on_delete=models.PROTECT, related_name="agendas")
    number = models.PositiveIntegerField()
    state = models.CharField(max_length=10, choices=State.choices, default=State.DRAFT)
    change_note = models.TextField(
        blank=True, help_text="What changed since the last published version, in a sentence."
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    published_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["meeting", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["meeting", "number"], name="boards_agenda_one_number_per_meeting"
            ),
            models.UniqueConstraint(
                fields=["meeting"],
                condition=Q(state="draft"),
                name="boards_agenda_one_draft_per_meeting",
            ),
            models.UniqueConstraint(
                fields=["meeting"],
                condition=Q(state="published"),
                name="boards_agenda_one_published_per_meeting",
            ),
            models.CheckConstraint(
                condition=Q(state="draft") | Q(published_at__isnull=False),
                name="boards_agenda_published_has_time",
            ),
        ]

    def __str__(self) -> str:
        return f"Agenda version {self.number} for {self.meeting}"


class AgendaItem(models.Model):
    """One item of one agenda version. `key` stays the same for the same item across
    versions, so papers, declarations and changes follow the item, not the version."""

    version = models.ForeignKey(AgendaVersion, on_delete=models.CASCADE, related_name="items")
    key = models.UUIDField(default=uuid.uuid4)
    order = models.PositiveSmallIntegerField()
    title = models.CharField(max_length=300)
    duration_minutes = models.PositiveSmallIntegerField(default=15)
    presenter = models.CharField(max_length=200, blank=True)
    purpose = models.CharField(max_length=12, choices=Purpose.choices)
    part = models.CharField(max_length=8, choices=Part.choices, default=Part.PUBLIC)
    confidential_reason = models.TextField(
        blank=True, help_text="Why this is taken in private. Shown publicly in place of the item."
    )
    review_on = models.DateField(
        null=True, blank=True, help_text="When the reason for confidentiality is reviewed."
    )
    brief = models.ForeignKey(
        "boards.Brief", on_delete=models.PROTECT, null=True, blank=True, related_name="items"
    )

    class Meta:
        ordering = ["version", "order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["version", "key"], name="boards_item_key_per_version"),
            models.CheckConstraint(
                condition=Q(part="public")
                | (~Q(confidential_reason="") & Q(review_on__isnull=False)),
                name="boards_item_private_has_reason_and_review",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_confidential(self) -> bool:
        return self.part == Part.PRIVATE

    @property
    def is_primary_care(self) -> bool:
        return self.brief_id is not None


class Paper(models.Model):
    """A PDF attached to an agenda item (by the item's key). It is public only while its item
    is in the public part of the meeting's published agenda."""

    meeting = models.ForeignKey(Meeting, on_delete=models.PROTECT, related_name="papers")
    item_key = models.UUIDField()
    title = models.CharField(max_length=300)
    file = models.FileField(upload_to="papers/%Y/%m/")
    sha256 = models.CharField(max_length=64)
    size = models.PositiveIntegerField()
    pages = models.PositiveIntegerField()
    is_late = models.BooleanField(
        default=False, help_text="Uploaded after the board's deadline for papers."
    )
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["meeting", "uploaded_at", "id"]
        indexes = [models.Index(fields=["meeting", "item_key"], name="boards_paper_item")]

    def __str__(self) -> str:
        return self.title
