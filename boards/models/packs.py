"""Meeting packs: one PDF per meeting and part (public, confidential), versioned. A new
version is made only when what goes into the pack changed (its `fingerprint`), and every
version is kept, so a pack someone was sent can always be read again."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone

from boards.models.meetings import AgendaVersion, Meeting


class MeetingPack(models.Model):
    class Part(models.TextChoices):
        PUBLIC = "public", "Public"
        CONFIDENTIAL = "confidential", "Confidential"

    meeting = models.ForeignKey(Meeting, on_delete=models.PROTECT, related_name="packs")
    part = models.CharField(max_length=12, choices=Part.choices)
    version = models.PositiveIntegerField()
    agenda = models.ForeignKey(
        AgendaVersion,
        on_delete=models.PROTECT,
        related_name="packs",
        help_text="The published agenda the pack was built from.",
    )
    fingerprint = models.CharField(
        max_length=64,
        help_text="SHA-256 of everything that went in (meeting, agenda, items, papers), so an "
        "unchanged input never makes a new version.",
    )
    # Stored under MEDIA_ROOT/packs/ and served only by views that check who asks.
    file = models.FileField(upload_to="packs/", max_length=200)
    sha256 = models.CharField(max_length=64)
    pages = models.PositiveIntegerField()
    size = models.PositiveBigIntegerField()
    built_at = models.DateTimeField(default=timezone.now)
    problems = models.JSONField(
        default=list,
        blank=True,
        help_text="Papers that could not be included: [{paper, title, item, reason}].",
    )
    sent_at = models.DateTimeField(
        null=True, blank=True, help_text="When the board's members were emailed this version."
    )

    class Meta:
        ordering = ["meeting", "part", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["meeting", "part", "version"], name="boards_meetingpack_one_version"
            ),
            models.CheckConstraint(
                condition=Q(version__gte=1), name="boards_meetingpack_version_from_one"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_part_display()} pack, version {self.version}, for {self.meeting}"

    @property
    def is_confidential(self) -> bool:
        return self.part == self.Part.CONFIDENTIAL
