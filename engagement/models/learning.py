"""Learning reviews: an agreed position, or a board action, flagged to be looked at again
after a while, and what that look found: did it work, what happened, what was learned, what
to do next.

One row is one review, due on one date. "Too early to tell" records that review and opens a
new one that follows it, due later: so each review keeps its own due date and findings, and
the report counts each review once, when it fell due and when it was recorded.

A review belongs to its subject's leadership group (a position: recorded by the group's
chair) or board (an action: by the board's secretary); `group` and `board` are copied from
the subject when it is flagged, for the home page, the lists and the audit trail's scope.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from boards.models import Action, Board
from groups.models import ICS, LeadershipGroup, Position


class LearningReview(models.Model):
    class State(models.TextChoices):
        OPEN = "open", "Due"
        DONE = "done", "Recorded"
        CANCELLED = "cancelled", "Cancelled"

    class Outcome(models.TextChoices):
        WORKED = "worked", "Worked"
        PARTLY_WORKED = "partly_worked", "Partly worked"
        DID_NOT_WORK = "did_not_work", "Did not work"
        TOO_EARLY = "too_early", "Too early to tell"

    ics = models.ForeignKey(ICS, on_delete=models.PROTECT, related_name="learning_reviews")
    group = models.ForeignKey(
        LeadershipGroup,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="learning_reviews",
    )
    board = models.ForeignKey(
        Board, null=True, blank=True, on_delete=models.PROTECT, related_name="learning_reviews"
    )
    position = models.ForeignKey(
        Position, null=True, blank=True, on_delete=models.PROTECT, related_name="learning_reviews"
    )
    action = models.ForeignKey(
        Action, null=True, blank=True, on_delete=models.PROTECT, related_name="learning_reviews"
    )
    # The review this one follows, when that one found it too early to tell.
    follows = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="followed_by"
    )
    due_on = models.DateField()
    look_at = models.TextField()
    state = models.CharField(max_length=10, choices=State.choices, default=State.OPEN)
    flagged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    flagged_at = models.DateTimeField(default=timezone.now)
    outcome = models.CharField(max_length=16, choices=Outcome.choices, blank=True)
    what_happened = models.TextField(blank=True)
    learned = models.TextField(blank=True)
    next_steps = models.TextField(blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(null=True, blank=True)
    cancel_reason = models.TextField(blank=True)
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    cancelled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["due_on", "id"]
        indexes = [
            models.Index(fields=["ics", "state", "due_on"], name="engagement_learning_ics_due"),
            models.Index(fields=["ics", "recorded_at"], name="engagement_learning_ics_done"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(
                    position__isnull=False,
                    group__isnull=False,
                    action__isnull=True,
                    board__isnull=True,
                )
                | Q(
                    position__isnull=True,
                    group__isnull=True,
                    action__isnull=False,
                    board__isnull=False,
                ),
                name="engagement_learningreview_one_subject",
            ),
            models.CheckConstraint(
                condition=~Q(state="done")
                | (Q(recorded_at__isnull=False) & ~Q(outcome="") & ~Q(learned="")),
                name="engagement_learningreview_recorded_complete",
            ),
            models.CheckConstraint(
                condition=~Q(state="cancelled")
                | (Q(cancelled_at__isnull=False) & ~Q(cancel_reason="")),
                name="engagement_learningreview_cancelled_has_reason",
            ),
            models.UniqueConstraint(
                fields=["position"],
                condition=Q(state="open"),
                name="engagement_learningreview_one_open_per_position",
            ),
            models.UniqueConstraint(
                fields=["action"],
                condition=Q(state="open"),
                name="engagement_learningreview_one_open_per_action",
            ),
        ]

    def __str__(self) -> str:
        return f"Learning review {self.pk}"

    @property
    def is_open(self) -> bool:
        return self.state == self.State.OPEN

    @property
    def subject_title(self) -> str:
        """The position's title or the action's description (select_related them)."""
        if self.position_id is not None:
            assert self.position is not None
            return self.position.title
        assert self.action is not None
        return self.action.description

    @property
    def where(self) -> str:
        """The group or board it belongs to (select_related them)."""
        owner = self.group if self.group_id is not None else self.board
        return owner.name if owner is not None else ""
