"""The engagement log: what an ICS's primary care side did to hear from the people behind it
(local events, work shadowing, coaching sessions, meetings with patient groups), who took
part (organisations from the register and a head count, never names), what came of it and
the positions it informed."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from engagement.models.register import Organisation
from groups.models import ICS, Place, Position


class EventKind(models.TextChoices):
    LOCAL_EVENT = "local_event", "Local event"
    WORK_SHADOWING = "work_shadowing", "Work shadowing"
    COACHING = "coaching", "Coaching session"
    PATIENT_GROUP = "patient_group", "Meeting with a patient group"
    OTHER = "other", "Other"


class EngagementEvent(models.Model):
    """One thing that happened, in one ICS, on one day."""

    ics = models.ForeignKey(ICS, on_delete=models.PROTECT, related_name="engagement_events")
    kind = models.CharField(max_length=20, choices=EventKind.choices)
    title = models.CharField(max_length=200)
    happened_on = models.DateField("date")
    place = models.ForeignKey(
        Place, null=True, blank=True, on_delete=models.SET_NULL, related_name="engagement_events"
    )
    organisations = models.ManyToManyField(
        Organisation, blank=True, related_name="engagement_events"
    )
    people_count = models.PositiveIntegerField("how many people took part")
    outcome = models.TextField("what came of it")
    positions = models.ManyToManyField(Position, blank=True, related_name="engagement_events")
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-happened_on", "-id"]
        indexes = [
            models.Index(fields=["ics", "happened_on"], name="engagement_event_ics_day"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(people_count__gte=1), name="engagement_engagementevent_people"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title}, {self.happened_on:%-d %B %Y}"
