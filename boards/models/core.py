"""Boards and their seats."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from groups.models import ICS, CurrentQuerySet, today


class Board(models.Model):
    """An Integrated Care Board (or one of its committees) that meets in public."""

    ics = models.ForeignKey(ICS, on_delete=models.PROTECT, related_name="boards")
    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=80, unique=True)
    quorum = models.PositiveIntegerField(
        default=6, help_text="Members who must be present for the board to be quorate."
    )
    quorum_rule = models.CharField(
        max_length=500,
        blank=True,
        help_text="The board's own quorum rule as its constitution words it, shown at meetings.",
    )
    papers_due_days = models.PositiveSmallIntegerField(
        default=7,
        help_text="Papers uploaded later than this many days before a meeting are marked late.",
    )
    pack_send_days = models.PositiveSmallIntegerField(
        "days before a meeting its pack is sent",
        default=7,
        help_text="The meeting pack is emailed to the board's members this many days before "
        "each meeting.",
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class BoardSeat(models.Model):
    class Role(models.TextChoices):
        CHAIR = "chair", "Chair"
        MEMBER = "member", "Board member"
        GP_REPRESENTATIVE = "gp_representative", "GP board representative"
        SECRETARY = "secretary", "Board secretary"

    board = models.ForeignKey(Board, on_delete=models.PROTECT, related_name="seats")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="board_seats"
    )
    role = models.CharField(max_length=20, choices=Role.choices)
    title = models.CharField(
        max_length=200,
        blank=True,
        help_text="As the board lists it, such as 'Chief Finance Officer'.",
    )
    starts_on = models.DateField(default=today)
    ends_on = models.DateField(null=True, blank=True)

    objects = CurrentQuerySet.as_manager()

    class Meta:
        ordering = ["board", "role", "user__full_name"]
        constraints = [
            # The primary medical services partner member: one at a time, enforced here and
            # not only in forms. A seat is open until it has an end date.
            models.UniqueConstraint(
                fields=["board"],
                condition=Q(role="gp_representative", ends_on__isnull=True),
                name="boards_boardseat_one_current_gp_representative",
            ),
            models.UniqueConstraint(
                fields=["board", "user", "role"],
                condition=Q(ends_on__isnull=True),
                name="boards_boardseat_one_open_seat_per_role",
            ),
            models.CheckConstraint(
                condition=Q(ends_on__isnull=True) | Q(ends_on__gte=models.F("starts_on")),
                name="boards_boardseat_ends_after_start",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} ({self.get_role_display()}, {self.board})"
