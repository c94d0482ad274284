"""Exit interviews: a GP leaving a role answers an ICS's questions through a personal link.

Each ICS keeps its own question set; an interview stores the questions as they were worded
when it was sent, so rewording or retiring a question never changes a past answer. Answers
are for the interview's named readers only. The leaver's name and address are erased 90
days after they answer or the interview lapses; the answers and theme tags stay, for the
themes report, which never names anyone."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone

from groups.models import ICS


class RoleKind(models.TextChoices):
    """The kind of role being left, for the themes report (optional)."""

    GP_PARTNER = "gp_partner", "GP partner"
    SALARIED_GP = "salaried_gp", "Salaried GP"
    LOCUM_GP = "locum_gp", "Locum GP"
    CLINICAL_DIRECTOR = "clinical_director", "PCN clinical director"
    SYSTEM_ROLE = "system_role", "ICS, place or LMC role"
    TRAINING_ROLE = "training_role", "GP trainer or educator"
    OTHER = "other", "Other role"


class InterviewQuestion(models.Model):
    """One question of an ICS's set. Reworded in place and retired, never deleted: the
    interviews it was sent in keep their own copy of its wording."""

    ics = models.ForeignKey(ICS, on_delete=models.PROTECT, related_name="interview_questions")
    text = models.CharField(max_length=500)
    order = models.PositiveIntegerField()
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    retired_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["ics", "order"]
        constraints = [
            models.UniqueConstraint(
                fields=["ics", "order"], name="engagement_interviewquestion_one_per_place"
            ),
        ]

    def __str__(self) -> str:
        return self.text


class InterviewTheme(models.Model):
    """A theme a named reader can tag an answered interview with; each ICS's own list."""

    ics = models.ForeignKey(ICS, on_delete=models.PROTECT, related_name="interview_themes")
    name = models.CharField(max_length=60)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["ics", "name"]
        constraints = [
            models.UniqueConstraint(
                "ics", Lower("name"), name="engagement_interviewtheme_unique_name"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class ExitInterview(models.Model):
    """One leaver's interview. Invited until the leaver sends their answers; lapsed (shown,
    not stored) when the closing day has passed unanswered."""

    class State(models.TextChoices):
        INVITED = "invited", "Invited"
        ANSWERED = "answered", "Answered"

    ics = models.ForeignKey(ICS, on_delete=models.PROTECT, related_name="exit_interviews")
    # Erased (blank) 90 days after answering or lapsing.
    leaver_name = models.CharField(max_length=150, blank=True)
    leaver_email = models.EmailField(blank=True)
    role_left = models.CharField("role they are leaving", max_length=200)
    role_kind = models.CharField(max_length=30, choices=RoleKind.choices, blank=True)
    leaving_on = models.DateField()
    closes_on = models.DateField()
    readers = models.ManyToManyField(
        settings.AUTH_USER_MODEL, related_name="exit_interviews_to_read"
    )
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    invited_at = models.DateTimeField(default=timezone.now)
    state = models.CharField(max_length=10, choices=State.choices, default=State.INVITED)
    # The SHA-256 of the newest personal link the mail server accepted, and of one minted for
    # an email on its way (it replaces the first once accepted, so an email that fails never
    # costs the leaver the link they have); both blank once answered or erased.
    token_hash = models.CharField(max_length=64, blank=True)
    pending_token_hash = models.CharField(max_length=64, blank=True)
    link_sent_at = models.DateTimeField(null=True, blank=True)
    saved_at = models.DateTimeField(null=True, blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    themes = models.ManyToManyField(InterviewTheme, blank=True, related_name="interviews")
    themes_tagged_at = models.DateTimeField(null=True, blank=True)
    erased_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-invited_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(state="invited") & Q(answered_at__isnull=True))
                | (Q(state="answered") & Q(answered_at__isnull=False)),
                name="engagement_exitinterview_answered_when",
            ),
            models.CheckConstraint(
                condition=Q(erased_at__isnull=True)
                | (
                    Q(leaver_name="")
                    & Q(leaver_email="")
                    & Q(token_hash="")
                    & Q(pending_token_hash="")
                ),
                name="engagement_exitinterview_erased_is_blank",
            ),
            models.UniqueConstraint(
                fields=["token_hash"],
                condition=~Q(token_hash=""),
                name="engagement_exitinterview_one_link",
            ),
            models.UniqueConstraint(
                fields=["pending_token_hash"],
                condition=~Q(pending_token_hash=""),
                name="engagement_exitinterview_one_pending_link",
            ),
        ]
        indexes = [
            models.Index(fields=["ics", "answered_at"], name="engagement_exitint_answered"),
        ]

    def __str__(self) -> str:
        return f"Exit interview {self.pk}"

    @property
    def leaver(self) -> str:
        return self.leaver_name or "A leaver"

    def is_open(self, on: dt.date | None = None) -> bool:
        """Answerable: invited, not erased, and the closing day (UK) not yet over."""
        day = on or timezone.localdate()
        return self.state == self.State.INVITED and self.erased_at is None and self.closes_on >= day

    @property
    def shown_state(self) -> str:
        """invited, answered or lapsed."""
        if self.state == self.State.ANSWERED:
            return "answered"
        return "invited" if self.closes_on >= timezone.localdate() else "lapsed"


class InterviewAnswer(models.Model):
    """One question as it was sent in an interview, and the leaver's answer to it."""

    interview = models.ForeignKey(ExitInterview, on_delete=models.CASCADE, related_name="answers")
    order = models.PositiveIntegerField()
    question = models.ForeignKey(
        InterviewQuestion, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    wording = models.CharField(max_length=500)
    text = models.TextField(blank=True)

    class Meta:
        ordering = ["interview", "order"]
        constraints = [
            models.UniqueConstraint(
                fields=["interview", "order"], name="engagement_interviewanswer_one_per_place"
            ),
        ]

    def __str__(self) -> str:
        return f"Answer {self.order} of exit interview {self.interview_id}"
