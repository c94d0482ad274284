"""Positions: what general practice asks of the board, drafted and versioned by GP leads."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from groups.models.core import LeadershipGroup


class Position(models.Model):
    class State(models.TextChoices):
        DRAFT = "draft", "Draft"
        VOTING = "voting", "Vote open"
        AGREED = "agreed", "Agreed"
        NOT_AGREED = "not_agreed", "Not agreed"
        INQUORATE = "inquorate", "Inquorate"
        WITHDRAWN = "withdrawn", "Withdrawn"

    class Theme(models.TextChoices):
        """The four themes of the RCGP roundtable, and everything else."""

        VISION_AND_VOICE = "vision_and_voice", "A unified vision and a strong voice"
        PATIENTS_AND_CLINICIANS = "patients_and_clinicians", "Patients and clinicians together"
        PROVIDERS_HELPING = "providers_helping", "Providers helping each other"
        LEADERSHIP_TEAM = "leadership_team", "Growing the primary care leadership team"
        OTHER = "other", "Other"

    group = models.ForeignKey(LeadershipGroup, on_delete=models.PROTECT, related_name="positions")
    state = models.CharField(max_length=12, choices=State.choices, default=State.DRAFT)
    theme = models.CharField(max_length=32, choices=Theme.choices, default=Theme.OTHER)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="positions_created"
    )
    coauthors = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="positions_coauthored"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    current_version = models.ForeignKey(
        "groups.PositionVersion", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-updated_at", "-id"]
        indexes = [models.Index(fields=["group", "state"], name="groups_position_group_state")]

    def __str__(self) -> str:
        return self.current_version.title if self.current_version else f"Position {self.pk}"

    @property
    def title(self) -> str:
        return str(self)


# The only moves a position makes; services check them with a compare-and-swap.
POSITION_MOVES: dict[str, frozenset[str]] = {
    Position.State.DRAFT: frozenset({Position.State.VOTING, Position.State.WITHDRAWN}),
    Position.State.VOTING: frozenset(
        {Position.State.AGREED, Position.State.NOT_AGREED, Position.State.INQUORATE}
    ),
    Position.State.NOT_AGREED: frozenset({Position.State.DRAFT, Position.State.WITHDRAWN}),
    Position.State.INQUORATE: frozenset({Position.State.DRAFT, Position.State.WITHDRAWN}),
    Position.State.AGREED: frozenset(),
    Position.State.WITHDRAWN: frozenset(),
}

# The text a version carries, in the order the page shows it: (field, label).
VERSION_FIELDS: tuple[tuple[str, str], ...] = (
    ("title", "Title"),
    ("summary", "Summary"),
    ("ask", "What we ask of the board"),
    ("body", "The case"),
    ("resource_implications", "Resource implications"),
    ("timeline", "Realistic timeline"),
    ("trade_offs", "Trade-offs against business as usual"),
    ("evidence_links", "Evidence links"),
)


class PositionVersion(models.Model):
    """One version of a position's text. Never edited: every edit makes a new one."""

    position = models.ForeignKey(Position, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField()
    title = models.CharField(max_length=200)
    summary = models.TextField(max_length=1000)
    ask = models.TextField("what we ask of the board", max_length=2000)
    body = models.TextField("the case (Markdown)", max_length=50000, blank=True)
    body_html = models.TextField(blank=True)
    resource_implications = models.TextField(max_length=5000, blank=True)
    timeline = models.TextField(max_length=2000, blank=True)
    trade_offs = models.TextField(max_length=5000, blank=True)
    evidence_links = models.TextField(max_length=5000, blank=True)
    change_note = models.CharField(max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["position", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["position", "number"], name="groups_positionversion_unique_number"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title} (version {self.number})"

    @property
    def links(self) -> list[str]:
        return [line.strip() for line in self.evidence_links.splitlines() if line.strip()]


class Comment(models.Model):
    position = models.ForeignKey(Position, on_delete=models.PROTECT, related_name="comments")
    version = models.ForeignKey(PositionVersion, on_delete=models.PROTECT, related_name="+")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    body = models.TextField(max_length=5000)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"Comment by {self.author_id} on {self.position_id}"


class Amendment(models.Model):
    """A member's proposed replacement for one part of a position's text."""

    class State(models.TextChoices):
        PROPOSED = "proposed", "Proposed"
        ACCEPTED = "accepted", "Accepted"
        DECLINED = "declined", "Declined"

    position = models.ForeignKey(Position, on_delete=models.PROTECT, related_name="amendments")
    base_version = models.ForeignKey(PositionVersion, on_delete=models.PROTECT, related_name="+")
    field = models.CharField("part of the position", max_length=32)
    proposed_text = models.TextField(max_length=50000)
    reason = models.TextField(max_length=2000)
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    proposed_at = models.DateTimeField(default=timezone.now)
    state = models.CharField(max_length=10, choices=State.choices, default=State.PROPOSED)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decline_reason = models.TextField(max_length=2000, blank=True)
    resulting_version = models.ForeignKey(
        PositionVersion, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["proposed_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(state="proposed")
                | models.Q(decided_by__isnull=False, decided_at__isnull=False),
                name="groups_amendment_decided_has_decider",
            ),
        ]

    def __str__(self) -> str:
        return f"Amendment {self.pk} to {self.position_id}"

    @property
    def field_label(self) -> str:
        return dict(VERSION_FIELDS).get(self.field, self.field)


class Attachment(models.Model):
    """A PDF of evidence, checked to be a readable PDF when uploaded."""

    position = models.ForeignKey(Position, on_delete=models.PROTECT, related_name="attachments")
    title = models.CharField(max_length=200)
    file = models.FileField(upload_to="evidence/%Y/%m/")
    sha256 = models.CharField(max_length=64)
    size = models.PositiveIntegerField()
    pages = models.PositiveIntegerField()
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["uploaded_at", "id"]

    def __str__(self) -> str:
        return self.title
