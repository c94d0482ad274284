"""How the GP representative is appointed, as ICB constitutions describe it: the eligible
primary medical services providers (the ICS's GP practices) each nominate, the nominations
are listed, and the board's chair approves one. Seats keep the history of who held it."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from boards.models.core import Board, BoardSeat
from groups.models import Practice


class Appointment(models.Model):
    """One round of appointing a GP representative."""

    class State(models.TextChoices):
        OPEN = "open", "Taking nominations"
        APPROVED = "approved", "Approved"
        CANCELLED = "cancelled", "Cancelled"

    board = models.ForeignKey(Board, on_delete=models.PROTECT, related_name="appointments")
    state = models.CharField(max_length=10, choices=State.choices, default=State.OPEN)
    nominations_close_on = models.DateField()
    starts_on = models.DateField(help_text="The day the appointed representative takes the seat.")
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    opened_at = models.DateTimeField(default=timezone.now)
    approved = models.OneToOneField(
        "Nomination", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    seat = models.OneToOneField(
        BoardSeat, on_delete=models.PROTECT, null=True, blank=True, related_name="appointment"
    )
    cancel_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["-opened_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["board"],
                condition=Q(state="open"),
                name="boards_appointment_one_open_per_board",
            ),
            models.CheckConstraint(
                condition=~Q(state="approved") | Q(approved__isnull=False, seat__isnull=False),
                name="boards_appointment_approved_has_nominee_and_seat",
            ),
        ]

    def __str__(self) -> str:
        return f"GP representative appointment for {self.board} ({self.get_state_display()})"


class Nomination(models.Model):
    """A practice's nomination. Each eligible practice nominates at most once per round."""

    appointment = models.ForeignKey(
        Appointment, on_delete=models.PROTECT, related_name="nominations"
    )
    practice = models.ForeignKey(Practice, on_delete=models.PROTECT, related_name="+")
    nominee = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    statement = models.TextField(
        blank=True, help_text="Why the practice nominates this person, as the practice gave it."
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["nominee__full_name", "practice__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["appointment", "practice"], name="boards_nomination_one_per_practice"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.nominee} nominated by {self.practice}"
