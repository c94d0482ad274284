"""Briefs: an agreed position in the GP representative's hands, the route they chose for it,
their account of how it was used, and the board's response."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from boards.models.core import Board
from boards.models.meetings import Meeting
from groups.models import Position, PositionVersion


class Brief(models.Model):
    """An agreed position the representative has acted on. Agreed positions of the board's
    ICS with no brief yet are the representative's queue."""

    class Route(models.TextChoices):
        TABLED = "tabled", "Tabled for a board meeting"
        WRITTEN_SUBMISSION = "written_submission", "Sent as a written submission"
        DEPUTY = "deputy", "Raised by a deputy"
        MEDICAL_DIRECTOR = "medical_director", "Passed to the medical director"
        NOT_TAKEN_FORWARD = "not_taken_forward", "Not taken forward"

    board = models.ForeignKey(Board, on_delete=models.PROTECT, related_name="briefs")
    position = models.ForeignKey(Position, on_delete=models.PROTECT, related_name="briefs")
    version = models.ForeignKey(
        PositionVersion,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="The version the group agreed.",
    )
    route = models.CharField(max_length=20, choices=Route.choices)
    route_reason = models.TextField(blank=True)
    requested_meeting = models.ForeignKey(
        Meeting,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="agenda_requests",
        help_text="The meeting the representative asked to table it at.",
    )
    routed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    routed_at = models.DateTimeField(default=timezone.now)
    response_due_on = models.DateField(null=True, blank=True)
    account = models.TextField(
        blank=True,
        help_text="The representative's own account of what they said and how it was used.",
    )
    account_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-routed_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["board", "position"], name="boards_brief_one_per_board_and_position"
            ),
            models.CheckConstraint(
                condition=Q(route="tabled") | ~Q(route_reason=""),
                name="boards_brief_other_route_has_reason",
            ),
        ]
        indexes = [
            models.Index(fields=["board", "response_due_on"], name="boards_brief_due"),
        ]

    def __str__(self) -> str:
        return f"Brief: {self.position.title}"

    @property
    def is_tabled(self) -> bool:
        return self.route == self.Route.TABLED


class BoardResponse(models.Model):
    """What the board did with a tabled position. Any response but "deferred" closes the
    position's journey; a deferral sets a new due date and another response follows."""

    class Kind(models.TextChoices):
        ADOPTED = "adopted", "Adopted"
        ADOPTED_WITH_CHANGES = "adopted_with_changes", "Adopted with changes"
        NOTED = "noted", "Noted"
        DEFERRED = "deferred", "Deferred"
        DECLINED = "declined", "Declined"

    brief = models.ForeignKey(Brief, on_delete=models.PROTECT, related_name="responses")
    meeting = models.ForeignKey(
        Meeting, on_delete=models.PROTECT, null=True, blank=True, related_name="responses"
    )
    kind = models.CharField(max_length=20, choices=Kind.choices)
    reasons = models.TextField()
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["brief", "recorded_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["brief"],
                condition=~Q(kind="deferred"),
                name="boards_response_one_final_per_brief",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.brief.position.title}"
