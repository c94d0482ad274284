"""Primary care: geography, organisations, leadership groups and who belongs to them."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone


def today() -> dt.date:
    return timezone.localdate()


class CurrentQuerySet(models.QuerySet):
    """For rows with starts_on and an optional ends_on: the day the role stopped, so a
    role ended today is no longer held today."""

    def current(self, on: dt.date | None = None) -> CurrentQuerySet:
        on = on or today()
        return self.filter(Q(ends_on__isnull=True) | Q(ends_on__gt=on), starts_on__lte=on)


class ICS(models.Model):
    """An Integrated Care System, identified by its Integrated Care Board's ODS code."""

    code = models.CharField("ICB ODS code", max_length=5, unique=True)
    name = models.CharField(max_length=200)

    class Meta:
        verbose_name = "ICS"
        verbose_name_plural = "ICSs"
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Place(models.Model):
    """A place within an ICS, as the ICS defines it; often a sub-ICB location."""

    ics = models.ForeignKey(ICS, on_delete=models.PROTECT, related_name="places")
    name = models.CharField(max_length=200)
    code = models.CharField("sub-ICB location code", max_length=5, blank=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["ics", "name"], name="groups_place_unique_name"),
        ]

    def __str__(self) -> str:
        return self.name


class PCN(models.Model):
    """A primary care network."""

    code = models.CharField("ODS code", max_length=6, unique=True)
    name = models.CharField(max_length=200)
    ics = models.ForeignKey(
        ICS, null=True, blank=True, on_delete=models.PROTECT, related_name="pcns"
    )
    place = models.ForeignKey(
        Place, null=True, blank=True, on_delete=models.SET_NULL, related_name="pcns"
    )
    postcode = models.CharField(max_length=8, blank=True)
    opened_on = models.DateField(null=True, blank=True)
    closed_on = models.DateField(null=True, blank=True)

    class Meta:
        verbose_name = "PCN"
        verbose_name_plural = "PCNs"
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Practice(models.Model):
    """A GP practice from NHS England's Organisation Data Service."""

    class Status(models.TextChoices):
        ACTIVE = "A", "Active"
        CLOSED = "C", "Closed"
        DORMANT = "D", "Dormant"
        PROPOSED = "P", "Proposed"

    code = models.CharField("ODS code", max_length=6, unique=True)
    name = models.CharField(max_length=200)
    postcode = models.CharField(max_length=8, blank=True)
    status = models.CharField(max_length=1, choices=Status.choices, default=Status.ACTIVE)
    opened_on = models.DateField(null=True, blank=True)
    closed_on = models.DateField(null=True, blank=True)
    ics = models.ForeignKey(ICS, on_delete=models.PROTECT, related_name="practices")
    sub_icb_code = models.CharField("sub-ICB location code", max_length=5, blank=True)
    place = models.ForeignKey(
        Place, null=True, blank=True, on_delete=models.SET_NULL, related_name="practices"
    )
    pcns = models.ManyToManyField(PCN, through="PracticePCNMembership", related_name="practices")

    class Meta:
        ordering = ["name"]
        indexes = [models.Index(fields=["ics", "status"], name="groups_practice_ics_status")]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"


class PracticePCNMembership(models.Model):
    practice = models.ForeignKey(Practice, on_delete=models.CASCADE, related_name="pcn_memberships")
    pcn = models.ForeignKey(PCN, on_delete=models.CASCADE, related_name="memberships")
    starts_on = models.DateField()
    ends_on = models.DateField(null=True, blank=True)

    objects = CurrentQuerySet.as_manager()

    class Meta:
        ordering = ["starts_on"]
        constraints = [
            models.UniqueConstraint(
                fields=["practice", "pcn", "starts_on"],
                name="groups_practicepcnmembership_unique_start",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.practice_id} in {self.pcn_id} from {self.starts_on}"


class LeadershipGroup(models.Model):
    """An ICS's primary care leadership group, working under its terms of reference."""

    ics = models.ForeignKey(ICS, on_delete=models.PROTECT, related_name="leadership_groups")
    name = models.CharField(max_length=200)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["ics", "name"], name="groups_leadershipgroup_unique_name"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class TermsOfReference(models.Model):
    """One version of a group's terms of reference. A vote follows the version in force
    when it opened; versions are never edited once adopted."""

    class State(models.TextChoices):
        PROPOSED = "proposed", "Proposed"
        IN_FORCE = "in_force", "In force"
        SUPERSEDED = "superseded", "Superseded"
        REJECTED = "rejected", "Not adopted"

    class QuorumKind(models.TextChoices):
        COUNT = "count", "A number of eligible members"
        PERCENT = "percent", "A percentage of eligible members"

    class DecisionRule(models.TextChoices):
        SIMPLE_MAJORITY = "simple_majority", "Simple majority"
        TWO_THIRDS = "two_thirds", "Two-thirds majority"
        CONSENSUS = "consensus", "Consensus (no objection)"

    class Abstentions(models.TextChoices):
        COUNT_FOR_QUORUM_ONLY = "quorum_only", "Count towards quorum, not towards the result"
        COUNT_AS_CAST = "as_cast", "Count as votes cast (so they weigh against)"

    class Ballot(models.TextChoices):
        NAMED = "named", "Named"
        SECRET = "secret", "Secret"

    group = models.ForeignKey(LeadershipGroup, on_delete=models.PROTECT, related_name="terms")
    version = models.PositiveIntegerField()
    state = models.CharField(max_length=20, choices=State.choices, default=State.PROPOSED)
    purpose = models.TextField()
    membership_composition = models.TextField(blank=True)
    quorum_kind = models.CharField(
        max_length=10, choices=QuorumKind.choices, default=QuorumKind.PERCENT
    )
    quorum_value = models.PositiveIntegerField(default=50)
    decision_rule = models.CharField(
        max_length=20, choices=DecisionRule.choices, default=DecisionRule.SIMPLE_MAJORITY
    )
    abstentions = models.CharField(
        max_length=20, choices=Abstentions.choices, default=Abstentions.COUNT_FOR_QUORUM_ONLY
    )
    voting_window_hours = models.PositiveIntegerField(default=7 * 24)
    ballot = models.CharField(max_length=10, choices=Ballot.choices, default=Ballot.NAMED)
    results_hidden_until_close = models.BooleanField(default=True)
    review_date = models.DateField()
    board_route = models.TextField(
        "how positions reach the board",
        blank=True,
        default=(
            "Agreed positions go to the ICB board's primary medical services partner member "
            "as a brief."
        ),
    )
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    proposed_at = models.DateTimeField(default=timezone.now)
    adopted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "terms of reference"
        verbose_name_plural = "terms of reference"
        ordering = ["group", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["group", "version"], name="groups_termsofreference_unique_version"
            ),
            models.UniqueConstraint(
                fields=["group"],
                condition=Q(state="in_force"),
                name="groups_termsofreference_one_in_force",
            ),
            models.UniqueConstraint(
                fields=["group"],
                condition=Q(state="proposed"),
                name="groups_termsofreference_one_proposed",
            ),
            models.CheckConstraint(
                condition=Q(quorum_value__gte=1)
                & (Q(quorum_kind="count") | Q(quorum_value__lte=100)),
                name="groups_termsofreference_quorum_valid",
            ),
            models.CheckConstraint(
                condition=Q(voting_window_hours__gte=1),
                name="groups_termsofreference_window_positive",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.group} terms of reference v{self.version}"

    @property
    def quorum_text(self) -> str:
        """The quorum as people read it: "50% of eligible members", "4 eligible members"."""
        if self.quorum_kind == self.QuorumKind.PERCENT:
            return f"{self.quorum_value}% of eligible members"
        return f"{self.quorum_value} eligible member{'' if self.quorum_value == 1 else 's'}"

    @property
    def voting_window_text(self) -> str:
        """ "168 hours (7 days)"."""
        hours = self.voting_window_hours
        said = f"{hours} hour{'' if hours == 1 else 's'}"
        if hours % 24 == 0:
            days = hours // 24
            said += f" ({days} day{'' if days == 1 else 's'})"
        return said


# What a version of the terms of reference says, in the order the page shows it.
TERMS_FIELDS: tuple[str, ...] = (
    "purpose",
    "membership_composition",
    "quorum_kind",
    "quorum_value",
    "decision_rule",
    "abstentions",
    "voting_window_hours",
    "ballot",
    "results_hidden_until_close",
    "review_date",
    "board_route",
)


class GroupMembership(models.Model):
    """A GP lead's membership of a leadership group, as a member or its chair."""

    class Role(models.TextChoices):
        MEMBER = "member", "GP lead"
        CHAIR = "chair", "Chair"

    group = models.ForeignKey(LeadershipGroup, on_delete=models.PROTECT, related_name="memberships")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="group_memberships"
    )
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.MEMBER)
    practice = models.ForeignKey(
        Practice, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    starts_on = models.DateField(default=today)
    ends_on = models.DateField(null=True, blank=True)

    objects = CurrentQuerySet.as_manager()

    class Meta:
        ordering = ["group", "user__full_name"]
        constraints = [
            models.UniqueConstraint(
                fields=["group", "user"],
                condition=Q(ends_on__isnull=True),
                name="groups_groupmembership_one_open_per_person",
            ),
            models.CheckConstraint(
                condition=Q(ends_on__isnull=True) | Q(ends_on__gte=models.F("starts_on")),
                name="groups_groupmembership_ends_after_start",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} ({self.get_role_display()}, {self.group})"


class IcsReviewer(models.Model):
    """ICS staff who review the audit trail and influence reports of one ICS; read-only."""

    ics = models.ForeignKey(ICS, on_delete=models.PROTECT, related_name="reviewers")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="ics_reviews"
    )
    starts_on = models.DateField(default=today)
    ends_on = models.DateField(null=True, blank=True)

    objects = CurrentQuerySet.as_manager()

    class Meta:
        verbose_name = "ICS staff reviewer"
        constraints = [
            models.UniqueConstraint(
                fields=["ics", "user"],
                condition=Q(ends_on__isnull=True),
                name="groups_icsreviewer_one_open_per_person",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} reviews {self.ics}"
