"""The register of interests, and declarations on positions (which recuse the declarer)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from groups.models.core import LeadershipGroup, today


class InterestCategory(models.TextChoices):
    """The categories of NHS England's guidance on managing conflicts of interest."""

    FINANCIAL = "financial", "Financial"
    NON_FINANCIAL_PROFESSIONAL = "non_financial_professional", "Non-financial professional"
    NON_FINANCIAL_PERSONAL = "non_financial_personal", "Non-financial personal"
    INDIRECT = "indirect", "Indirect"


class Interest(models.Model):
    """One entry in a member's register of interests for a group."""

    group = models.ForeignKey(LeadershipGroup, on_delete=models.PROTECT, related_name="interests")
    member = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="interests"
    )
    category = models.CharField(max_length=32, choices=InterestCategory.choices)
    description = models.TextField()
    starts_on = models.DateField(default=today)
    ends_on = models.DateField(null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["member__full_name", "-starts_on", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__isnull=True) | Q(ends_on__gte=models.F("starts_on")),
                name="groups_interest_ends_after_start",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.member}: {self.get_category_display()}"


class PositionDeclaration(models.Model):
    """A member's declared interest in one position. The member is recused from every
    vote on the position opened after it (and from an open one they have not voted in)."""

    position = models.ForeignKey(
        "groups.Position", on_delete=models.PROTECT, related_name="declarations"
    )
    member = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="position_declarations"
    )
    category = models.CharField(max_length=32, choices=InterestCategory.choices)
    description = models.TextField()
    interest = models.ForeignKey(
        Interest, null=True, blank=True, on_delete=models.PROTECT, related_name="declarations"
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    declared_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["declared_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["position", "member"], name="groups_positiondeclaration_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.member} declared on {self.position_id}"
