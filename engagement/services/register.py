"""Writes to the stakeholder register: organisations, the ICS's practices and PCNs in one go,
contacts, and removing a contact on request. Each in one transaction with its audit event.

Personal data never goes into an audit payload (the trail cannot be edited, so nothing in
it could be erased later): events about a contact name the contact's number and which
fields changed, never a name, an address or a note.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from engagement.models.consultations import ConsultationInvitation
from engagement.models.register import Contact, LawfulBasis, Organisation, OrganisationKind
from groups.models import ICS, PCN, Place, Practice, today
from icsvoice import audit
from icsvoice.errors import DomainError
from icsvoice.models import OutboxMessage, User
from icsvoice.registry import has_role
from icsvoice.text import check_plain

# Kinds a person adds by hand; practices and PCNs come from the ODS records.
ADDED_BY_HAND = [
    kind
    for kind in OrganisationKind
    if kind not in (OrganisationKind.PRACTICE, OrganisationKind.PCN)
]
WAITING = [OutboxMessage.State.PENDING, OutboxMessage.State.SENDING]
ERASED_NOTE = "The address was removed on request."


class RegisterError(DomainError):
    pass


def manager_role(user: User, ics_id: int) -> str:
    """The capacity a person manages the register in, for the audit trail."""
    return "group_chair" if has_role(user, "group_chair", ics_id=ics_id) else "group_member"


def _place_in(ics: ICS, place: Place | None) -> Place | None:
    if place is not None and place.ics_id != ics.pk:
        raise RegisterError("Choose a place in this ICS.")
    return place


# --- Organisations ---------------------------------------------------------------------------


@transaction.atomic
def organisation_add(
    *, ics: ICS, kind: str, name: str, place: Place | None = None, actor: User
) -> Organisation:
    """Adds a partner organisation (not a practice or PCN: those come from ODS)."""
    name = " ".join(name.split())
    if kind not in ADDED_BY_HAND:
        raise RegisterError(
            "Choose the kind of organisation. GP practices and PCNs are added from the ODS records."
        )
    if not name:
        raise RegisterError("Enter the organisation's name.")
    check_plain({"The name": name})
    place = _place_in(ics, place)
    same = Organisation.objects.filter(ics=ics, kind=kind, name__iexact=name).first()
    if same is not None:
        raise RegisterError(f"{same.name} is already in the register.")
    organisation = Organisation.objects.create(
        ics=ics, kind=kind, name=name, place=place, created_by=actor
    )
    audit.record(
        event="register.organisation_added",
        actor=actor,
        role=manager_role(actor, ics.pk),
        obj=organisation,
        ics_id=ics.pk,
        payload={"kind": kind, "name": name, "place": place.name if place else ""},
    )
    return organisation


@dataclass(frozen=True)
class Added:
    practices: int
    pcns: int

    @property
    def total(self) -> int:
        return self.practices + self.pcns


def missing_practices(
    ics: ICS, on: dt.date | None = None
) -> tuple[QuerySet[Practice], QuerySet[PCN]]:
    """The ICS's active GP practices and open PCNs not yet in the register."""
    on = on or today()
    practices = Practice.objects.filter(
        ics=ics, status=Practice.Status.ACTIVE, organisation__isnull=True
    ).filter(Q(closed_on__isnull=True) | Q(closed_on__gt=on))
    pcns = PCN.objects.filter(ics=ics, organisation__isnull=True).filter(
        Q(closed_on__isnull=True) | Q(closed_on__gt=on)
    )
    return practices.order_by("name", "pk"), pcns.order_by("name", "pk")


def missing_counts(ics: ICS) -> Added:
    """How many practices and PCNs practices_add would add now: two counts."""
    practices, pcns = missing_practices(ics)
    return Added(practices.count(), pcns.count())


@transaction.atomic
def practices_add(*, ics: ICS, actor: User) -> Added:
    """Adds an organisation for each of the ICS's active practices and open PCNs not yet in
    the register. Safe to repeat: a second run adds nothing and records nothing."""
    # One run at a time per ICS (PostgreSQL; SQLite's write lock already serialises).
    ICS.objects.select_for_update(no_key=True).filter(pk=ics.pk).first()
    found = missing_practices(ics)
    practices, pcns = list(found[0]), list(found[1])
    if not practices and not pcns:
        return Added(0, 0)
    Organisation.objects.bulk_create(
        [
            Organisation(
                ics=ics,
                kind=OrganisationKind.PRACTICE,
                name=p.name,
                practice=p,
                place_id=p.place_id,
                created_by=actor,
            )
            for p in practices
        ]
        + [
            Organisation(
                ics=ics,
                kind=OrganisationKind.PCN,
                name=n.name,
                pcn=n,
                place_id=n.place_id,
                created_by=actor,
            )
            for n in pcns
        ]
    )
    added = Added(len(practices), len(pcns))
    audit.record(
        event="register.practices_added",
        actor=actor,
        role=manager_role(actor, ics.pk),
        ics_id=ics.pk,
        payload={"practices": added.practices, "pcns": added.pcns},
    )
    return added


# --- Contacts ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ContactDetails:
    """What the register keeps about a person, and nothing more."""

    name: str
    role: str
    email: str
    lawful_basis: str
    consent_given_on: dt.date | None = None
    consent_note: str = ""

    def cleaned(self) -> ContactDetails:
        name = " ".join(self.name.split())
        role = " ".join(self.role.split())
        email = self.email.strip().lower()
        note = self.consent_note.strip()
        if not name:
            raise RegisterError("Enter the contact's name.")
        if not email:
            raise RegisterError("Enter the contact's email address.")
        try:
            validate_email(email)
        except ValidationError:
            raise RegisterError(
                "Enter an email address in the correct format, like name@example.nhs.uk"
            ) from None
        check_plain({"The name": name, "The role": role, "How consent was given": note})
        if self.lawful_basis not in LawfulBasis.values:
            raise RegisterError("Choose the lawful basis for keeping their details.")
        given_on = self.consent_given_on
        if self.lawful_basis == LawfulBasis.CONSENT:
            if given_on is None:
                raise RegisterError("Enter the date they gave consent.")
            if given_on > today():
                raise RegisterError("The date they gave consent must be today or in the past.")
            if not note:
                raise RegisterError("Enter how they gave consent.")
        else:
            # Consent is not the reason: no consent details are kept.
            given_on, note = None, ""
        return ContactDetails(name, role, email, self.lawful_basis, given_on, note)


FIELDS = ("name", "role", "email", "lawful_basis", "consent_given_on", "consent_note")


def _same_address(organisation: Organisation, email: str, contact: Contact | None) -> bool:
    others = Contact.objects.reachable().filter(organisation=organisation, email=email)
    if contact is not None:
        others = others.exclude(pk=contact.pk)
    return others.exists()


DUPLICATE = "{organisation} already has a contact with that email address."


@transaction.atomic
def contact_add(*, organisation: Organisation, details: ContactDetails, actor: User) -> Contact:
    details = details.cleaned()
    if _same_address(organisation, details.email, None):
        raise RegisterError(DUPLICATE.format(organisation=organisation.name))
    try:
        with transaction.atomic():
            contact = Contact.objects.create(
                organisation=organisation,
                created_by=actor,
                **{name: getattr(details, name) for name in FIELDS},
            )
    except IntegrityError:  # the same address added at the same moment
        raise RegisterError(DUPLICATE.format(organisation=organisation.name)) from None
    audit.record(
        event="register.contact_added",
        actor=actor,
        role=manager_role(actor, organisation.ics_id),
        obj=contact,
        ics_id=organisation.ics_id,
        payload={"organisation": organisation.pk, "lawful_basis": details.lawful_basis},
    )
    return contact


def _locked_live(contact: Contact) -> Contact:
    locked = Contact.objects.select_for_update().select_related("organisation").get(pk=contact.pk)
    if locked.removed_at is not None:
        raise RegisterError(
            "This contact was removed on request, so their details cannot be changed. "
            "Add them again as a new contact only if they ask to be included."
        )
    return locked


@transaction.atomic
def contact_change(*, contact: Contact, details: ContactDetails, actor: User) -> Contact:
    """Changes a contact's details; records which fields changed (never their values)."""
    locked = _locked_live(contact)
    details = details.cleaned()
    if details.email != locked.email and _same_address(locked.organisation, details.email, locked):
        raise RegisterError(DUPLICATE.format(organisation=locked.organisation.name))
    changed = [name for name in FIELDS if getattr(details, name) != getattr(locked, name)]
    if not changed:
        return locked
    for name in changed:
        setattr(locked, name, getattr(details, name))
    try:
        with transaction.atomic():
            locked.save(update_fields=changed)
    except IntegrityError:
        raise RegisterError(DUPLICATE.format(organisation=locked.organisation.name)) from None
    payload: dict[str, object] = {"organisation": locked.organisation_id, "fields": changed}
    if "lawful_basis" in changed:
        payload["lawful_basis"] = details.lawful_basis
    audit.record(
        event="register.contact_changed",
        actor=actor,
        role=manager_role(actor, locked.organisation.ics_id),
        obj=locked,
        ics_id=locked.organisation.ics_id,
        payload=payload,
    )
    return locked


@dataclass(frozen=True)
class Removal:
    contact: Contact
    emails_stopped: int  # waiting emails that will now never be sent
    emails_erased: int  # sent or failed emails whose address was blanked


@transaction.atomic
def contact_remove(*, contact: Contact, reason: str, actor: User) -> Removal:
    """Removes a contact at their request: their name, role, address and consent note are
    erased in place and the row is kept (so counts of who was invited and who answered stay
    true). Their emails still waiting are stopped, and the address is blanked on every one
    already sent or failed, whatever address it went to. The audit event carries counts
    only."""
    reason = reason.strip()
    if not reason:
        raise RegisterError("Enter why the contact is being removed.")
    check_plain({"The reason": reason})
    locked = _locked_live(contact)
    now = timezone.now()
    Contact.objects.filter(pk=locked.pk, removed_at__isnull=True).update(
        name="", email="", role="", consent_note="", removed_at=now, removed_reason=reason[:300]
    )
    # This contact's own emails, found by what they were about (their invitations), not by
    # address: another contact may share the address, and this one's may have changed since.
    invitations = ConsultationInvitation.objects.filter(contact_id=locked.pk)
    rows = OutboxMessage.objects.filter(
        recipient__isnull=True,
        object_type=ConsultationInvitation._meta.label_lower,
        object_id__in=[str(pk) for pk in invitations.values_list("pk", flat=True)],
    )
    done = rows.exclude(state__in=WAITING)
    # An email that failed may quote the address in its error.
    erased = done.filter(state=OutboxMessage.State.FAILED).update(
        to_email="", to_name="", last_error=ERASED_NOTE
    )
    erased += done.exclude(state=OutboxMessage.State.FAILED).update(to_email="", to_name="")
    stopped = rows.filter(state__in=WAITING).update(
        state=OutboxMessage.State.FAILED,
        to_email="",
        to_name="",
        claim=None,
        claimed_at=None,
        last_error=ERASED_NOTE,
    )
    locked.refresh_from_db()
    audit.record(
        event="register.contact_removed",
        actor=actor,
        role=manager_role(actor, locked.organisation.ics_id),
        obj=locked,
        ics_id=locked.organisation.ics_id,
        payload={
            "organisation": locked.organisation_id,
            "emails_stopped": stopped,
            "emails_erased": erased,
        },
    )
    return Removal(locked, stopped, erased)
