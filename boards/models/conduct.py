"""At the meeting and after: attendance, declarations of interest on items, minutes,
decisions and the action log."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from boards.models.meetings import Meeting


class Attendance(models.Model):
    class Status(models.TextChoices):
        PRESENT = "present", "Present"
        APOLOGIES = "apologies", "Apologies"
        ABSENT = "absent", "Absent"
        IN_ATTENDANCE = "in_attendance", "In attendance (not a member)"

    meeting = models.ForeignKey(Meeting, on_delete=models.PROTECT, related_name="attendance")
    person = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    role = models.CharField(
        max_length=200, blank=True, help_text="Their seat or title at the time of the meeting."
    )
    status = models.CharField(max_length=14, choices=Status.choices)
    counts_for_quorum = models.BooleanField(
        default=False, help_text="A voting member of the board, present."
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["meeting", "person__full_name"]
        constraints = [
            models.UniqueConstraint(
                fields=["meeting", "person"], name="boards_attendance_once_per_meeting"
            ),
            models.CheckConstraint(
                condition=Q(counts_for_quorum=False) | Q(status="present"),
                name="boards_attendance_quorum_only_if_present",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.person}: {self.get_status_display()}"


class MeetingDeclaration(models.Model):
    """An interest declared on an agenda item. Under NHS conflict of interest rules the
    declarer withdraws from discussion and decision on the item; the minutes record it."""

    class Category(models.TextChoices):
        FINANCIAL = "financial", "Financial interest"
        PROFESSIONAL = "professional", "Non-financial professional interest"
        PERSONAL = "personal", "Non-financial personal interest"
        INDIRECT = "indirect", "Indirect interest"

    meeting = models.ForeignKey(Meeting, on_delete=models.PROTECT, related_name="declarations")
    item_key = models.UUIDField()
    person = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    category = models.CharField(max_length=12, choices=Category.choices)
    interest = models.TextField()
    withdrew = models.BooleanField(
        default=True, help_text="Left the discussion and decision on the item."
    )
    chair_note = models.TextField(
        blank=True, help_text="If the chair allowed them to stay, why: this is minuted."
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["meeting", "recorded_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["meeting", "item_key", "person"], name="boards_declaration_once_per_item"
            ),
            models.CheckConstraint(
                condition=Q(withdrew=True) | ~Q(chair_note=""),
                name="boards_declaration_stayed_has_note",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.person}: {self.interest}"


class Minutes(models.Model):
    """Drafted by the secretary, approved at a later meeting, then never edited."""

    class State(models.TextChoices):
        DRAFT = "draft", "Draft"
        APPROVED = "approved", "Approved"

    meeting = models.OneToOneField(Meeting, on_delete=models.PROTECT, related_name="minutes")
    state = models.CharField(max_length=8, choices=State.choices, default=State.DRAFT)
    public_text = models.TextField(help_text="The minutes of the part held in public (Markdown).")
    public_html = models.TextField(editable=False)
    private_text = models.TextField(
        blank=True, help_text="The minutes of the private part. Never published."
    )
    private_html = models.TextField(editable=False, blank=True)
    drafted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    updated_at = models.DateTimeField(default=timezone.now)
    approved_at_meeting = models.ForeignKey(
        Meeting, on_delete=models.PROTECT, null=True, blank=True, related_name="minutes_approved"
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "minutes"
        constraints = [
            models.CheckConstraint(
                condition=Q(state="draft")
                | Q(approved_at_meeting__isnull=False, approved_at__isnull=False),
                name="boards_minutes_approved_at_a_meeting",
            ),
        ]

    def __str__(self) -> str:
        return f"Minutes of {self.meeting}"


class Decision(models.Model):
    meeting = models.ForeignKey(Meeting, on_delete=models.PROTECT, related_name="decisions")
    item_key = models.UUIDField(null=True, blank=True)
    text = models.TextField()
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["meeting", "recorded_at", "id"]

    def __str__(self) -> str:
        return self.text[:80]


class Action(models.Model):
    class State(models.TextChoices):
        OPEN = "open", "Open"
        DONE = "done", "Done"

    meeting = models.ForeignKey(Meeting, on_delete=models.PROTECT, related_name="actions")
    item_key = models.UUIDField(null=True, blank=True)
    description = models.TextField()
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    due_on = models.DateField()
    state = models.CharField(max_length=4, choices=State.choices, default=State.OPEN)
    done_note = models.TextField(blank=True)
    done_at = models.DateTimeField(null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["due_on", "id"]
        indexes = [models.Index(fields=["meeting", "state"], name="boards_action_state")]
        constraints = [
            models.CheckConstraint(
                condition=Q(state="open") | Q(done_at__isnull=False),
                name="boards_action_done_has_time",
            ),
        ]

    def __str__(self) -> str:
        return self.description[:80]
