"""Consultations: a leadership group asks the practices, PCNs and partner organisations of its
ICS what they think of a draft position, before it goes to a vote.

Opening one snapshots who is asked: one invitation per reachable contact at the organisations
in the chosen audiences, with the organisation's kind, place and PCN as they were that day, so
the summary's figures do not move when the register or the ODS data changes later. Each
invitation carries at most one answer (changed in place until the close). A contact removed on
request keeps their invitation and answer: the register erases their name and address, and
nothing here ever held either.

A consultation closes at the end of its closing day, UK time (`closes_at`); links stop
working then whatever the state says. The scan (engagement/reminders.py) records the close;
the chair may close it earlier or move the closing date later.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from engagement.models.register import Contact, Organisation, OrganisationKind
from groups.models import PCN, LeadershipGroup, Place, Position, PositionVersion

# The kinds of organisation other than practices and PCNs a group can choose to consult.
STAKEHOLDER_KINDS: tuple[str, ...] = (
    OrganisationKind.LMC,
    OrganisationKind.PHARMACY,
    OrganisationKind.DENTAL,
    OrganisationKind.OPTOMETRY,
    OrganisationKind.PATIENT_GROUP,
    OrganisationKind.COMMUNITY,
)


def end_of_day(day: dt.date) -> dt.datetime:
    """The first moment after `day`, UK time: when a consultation closing that day closes."""
    zone = timezone.get_current_timezone()
    return dt.datetime.combine(day + dt.timedelta(days=1), dt.time.min, tzinfo=zone)


class Consultation(models.Model):
    class State(models.TextChoices):
        OPEN = "open", "Open"
        CLOSED = "closed", "Closed"

    position = models.ForeignKey(Position, on_delete=models.PROTECT, related_name="consultations")
    group = models.ForeignKey(
        LeadershipGroup, on_delete=models.PROTECT, related_name="consultations"
    )
    version = models.ForeignKey(
        PositionVersion,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="The version of the position when the consultation opened.",
    )
    state = models.CharField(max_length=10, choices=State.choices, default=State.OPEN)
    closes_on = models.DateField("closing date")
    closes_at = models.DateTimeField(help_text="The end of the closing day, UK time.")
    # Who is asked, as chosen; the invitations are the snapshot of who that meant.
    all_practices = models.BooleanField(default=False)
    pcns = models.ManyToManyField(PCN, blank=True, related_name="+")
    places = models.ManyToManyField(Place, blank=True, related_name="+")
    stakeholder_kinds = models.JSONField(default=list, blank=True)
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    opened_at = models.DateTimeField(default=timezone.now)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-opened_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["position"],
                condition=Q(state="open"),
                name="engagement_consultation_one_open_per_position",
            ),
            models.CheckConstraint(
                condition=Q(state="open", closed_at__isnull=True)
                | Q(state="closed", closed_at__isnull=False),
                name="engagement_consultation_closed_has_time",
            ),
        ]

    def __str__(self) -> str:
        return f"Consultation {self.pk} on position {self.position_id}"

    def is_open(self, now: dt.datetime | None = None) -> bool:
        """Open, and its closing day not over: answers and links work."""
        return self.state == self.State.OPEN and (now or timezone.now()) < self.closes_at

    @property
    def ended_at(self) -> dt.datetime:
        """When it closed or will close."""
        return self.closed_at or self.closes_at

    @property
    def stakeholder_labels(self) -> list[str]:
        labels = dict(OrganisationKind.choices)
        return [labels.get(kind, kind) for kind in self.stakeholder_kinds]


class ConsultationInvitation(models.Model):
    """One contact asked in one consultation, with their organisation as it was that day.
    The personal link's token is never stored: only its SHA-256. Each email's link is minted
    as pending and replaces the last one once the mail server accepts the email, so an email
    that fails never costs the contact the link they already have."""

    consultation = models.ForeignKey(
        Consultation, on_delete=models.PROTECT, related_name="invitations"
    )
    contact = models.ForeignKey(Contact, on_delete=models.PROTECT, related_name="+")
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=20, choices=OrganisationKind.choices)
    place = models.ForeignKey(
        Place, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    pcn = models.ForeignKey(
        PCN,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="The PCN itself, or the practice's PCN when the consultation opened.",
    )
    token_hash = models.CharField(max_length=64, blank=True)
    pending_token_hash = models.CharField(max_length=64, blank=True)
    token_sent_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["consultation", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["consultation", "contact"],
                name="engagement_consultationinvitation_one_per_contact",
            ),
            models.UniqueConstraint(
                fields=["token_hash"],
                condition=~Q(token_hash=""),
                name="engagement_consultationinvitation_unique_token",
            ),
            models.UniqueConstraint(
                fields=["pending_token_hash"],
                condition=~Q(pending_token_hash=""),
                name="engagement_consultationinvitation_unique_pending_token",
            ),
        ]

    def __str__(self) -> str:
        return f"Invitation {self.pk} to consultation {self.consultation_id}"


class Stance(models.TextChoices):
    SUPPORT = "support", "Support"
    SUPPORT_WITH_CHANGES = "changes", "Support with changes"
    CONCERNS = "concerns", "Concerns"


class ConsultationAnswer(models.Model):
    """An invited contact's answer, on behalf of their organisation. Changed in place until
    the consultation closes (each change is audited)."""

    invitation = models.OneToOneField(
        ConsultationInvitation, on_delete=models.PROTECT, related_name="answer"
    )
    consultation = models.ForeignKey(Consultation, on_delete=models.PROTECT, related_name="answers")
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    stance = models.CharField(max_length=10, choices=Stance.choices)
    text = models.TextField(max_length=5000, blank=True)
    answered_at = models.DateTimeField(default=timezone.now)
    changed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["answered_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(stance="support") | ~Q(text=""),
                name="engagement_consultationanswer_text_unless_support",
            ),
        ]

    def __str__(self) -> str:
        return f"Answer to invitation {self.invitation_id}"
