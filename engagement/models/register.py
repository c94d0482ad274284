"""The stakeholder register: the organisations an ICS's primary care side engages with (GP
practices and PCNs among them), and their contacts, each with the lawful reason for holding
their details and any consent. A contact removed on request is erased in place: their name
and address go, the row stays, so counts of who was invited and who answered stay true."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from groups.models import ICS, PCN, Place, Practice


class OrganisationKind(models.TextChoices):
    PRACTICE = "practice", "GP practice"
    PCN = "pcn", "Primary care network"
    LMC = "lmc", "Local medical committee"
    PHARMACY = "pharmacy", "Community pharmacy"
    DENTAL = "dental", "Dental practice"
    OPTOMETRY = "optometry", "Optometry practice"
    PATIENT_GROUP = "patient_group", "Patient group"
    COMMUNITY = "community", "Community organisation"
    OTHER = "other", "Other organisation"


class Organisation(models.Model):
    """An organisation in one ICS. A GP practice or PCN points at its ODS record."""

    ics = models.ForeignKey(ICS, on_delete=models.PROTECT, related_name="organisations")
    kind = models.CharField(max_length=20, choices=OrganisationKind.choices)
    name = models.CharField(max_length=200)
    practice = models.OneToOneField(
        Practice, null=True, blank=True, on_delete=models.PROTECT, related_name="organisation"
    )
    pcn = models.OneToOneField(
        PCN, null=True, blank=True, on_delete=models.PROTECT, related_name="organisation"
    )
    place = models.ForeignKey(
        Place, null=True, blank=True, on_delete=models.SET_NULL, related_name="organisations"
    )
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(kind="practice") & Q(practice__isnull=False))
                | (~Q(kind="practice") & Q(practice__isnull=True)),
                name="engagement_organisation_practice_kind",
            ),
            models.CheckConstraint(
                condition=(Q(kind="pcn") & Q(pcn__isnull=False))
                | (~Q(kind="pcn") & Q(pcn__isnull=True)),
                name="engagement_organisation_pcn_kind",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class LawfulBasis(models.TextChoices):
    PUBLIC_TASK = "public_task", "Public task: UK GDPR article 6(1)(e)"
    LEGITIMATE_INTERESTS = "legitimate_interests", "Legitimate interests: article 6(1)(f)"
    CONSENT = "consent", "Consent: article 6(1)(a)"


class ContactQuerySet(models.QuerySet["Contact"]):
    def reachable(self) -> ContactQuerySet:
        """Contacts we may email: not removed, with an address."""
        return self.filter(removed_at__isnull=True).exclude(email="")


class Contact(models.Model):
    """A person at an organisation: only what engaging them needs (name, role, address),
    why we hold it, and their consent where that is the reason."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="contacts"
    )
    name = models.CharField(max_length=150, blank=True)
    role = models.CharField("job title or role", max_length=150, blank=True)
    email = models.EmailField(blank=True)
    lawful_basis = models.CharField(max_length=30, choices=LawfulBasis.choices)
    consent_given_on = models.DateField(null=True, blank=True)
    consent_note = models.CharField("how consent was given", max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # Removed on request (or consent withdrawn): name and address erased, the row kept.
    removed_at = models.DateTimeField(null=True, blank=True)
    removed_reason = models.CharField(max_length=300, blank=True)

    objects = ContactQuerySet.as_manager()

    class Meta:
        ordering = ["organisation__name", "name"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(lawful_basis="consent") | Q(consent_given_on__isnull=False),
                name="engagement_contact_consent_recorded",
            ),
            models.CheckConstraint(
                condition=Q(removed_at__isnull=True) | (Q(name="") & Q(email="")),
                name="engagement_contact_removed_is_erased",
            ),
            models.UniqueConstraint(
                fields=["organisation", "email"],
                condition=Q(removed_at__isnull=True) & ~Q(email=""),
                name="engagement_contact_one_address_per_organisation",
            ),
        ]

    def __str__(self) -> str:
        if self.removed_at:
            return f"A removed contact at {self.organisation}"
        return f"{self.name} ({self.organisation})"
