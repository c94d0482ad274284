"""The stakeholder register and the engagement log of one ICS, under engagement/<ics_id>/.

Who: the ICS's group chairs and members manage both; its staff reviewers read them; anyone
else in the ICS gets a 403 and anyone outside it a 404. Thin views: access, form, service,
message, redirect. Reads keep to a fixed number of queries however many rows.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import urlencode

from crispy_forms.layout import Layout
from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count, Q, QuerySet
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path, reverse
from django.views.decorators.http import require_GET, require_POST

from engagement.access import (
    ics_for_register_manager,
    ics_for_register_reader,
    is_register_manager,
)
from engagement.models.log import EngagementEvent, EventKind
from engagement.models.register import Contact, LawfulBasis, Organisation, OrganisationKind
from engagement.services import log as log_services
from engagement.services import register as services
from engagement.services.log import EventDetails
from engagement.services.register import ADDED_BY_HAND, ContactDetails
from groups.forms.common import NHSForm, text
from groups.models import ICS, Place, Position, today
from groups.views.common import GET_POST, act, attempt, posted
from icsvoice.forms_nhsuk import DateField, Field
from icsvoice.http import AuthedRequest
from icsvoice.models import User

PAGE_SIZE = 50
YEARS = (2000, 2099)


def _organisation(ics: ICS, organisation_id: int) -> Organisation:
    found = (
        Organisation.objects.select_related("place", "practice", "pcn")
        .filter(pk=organisation_id, ics=ics)
        .first()
    )
    if found is None:
        raise Http404("No such organisation.")
    return found


def _contact(ics: ICS, contact_id: int) -> Contact:
    found = (
        Contact.objects.select_related("organisation")
        .filter(pk=contact_id, organisation__ics=ics)
        .first()
    )
    if found is None:
        raise Http404("No such contact.")
    return found


def _event(ics: ICS, event_id: int) -> EngagementEvent:
    found = (
        EngagementEvent.objects.select_related("place", "created_by")
        .filter(pk=event_id, ics=ics)
        .first()
    )
    if found is None:
        raise Http404("No such event.")
    return found


# --- Forms -------------------------------------------------------------------------------------


def _in_years(label: str) -> Any:
    def check(value: dt.date) -> None:
        if not YEARS[0] <= value.year <= YEARS[1]:
            raise forms.ValidationError(
                f"{label} must have a year from {YEARS[0]} to {YEARS[1]}",
                params={"parts": ["year"]},
            )

    return check


def _not_future(label: str) -> Any:
    def check(value: dt.date) -> None:
        if value > today():
            raise forms.ValidationError(
                f"{label} must be today or in the past", params={"parts": ["day", "month", "year"]}
            )

    return check


def _place_field(ics: ICS, help_text: str) -> forms.ModelChoiceField:
    return forms.ModelChoiceField(
        label="Place (optional)",
        queryset=Place.objects.filter(ics=ics).order_by("name"),
        required=False,
        empty_label="Not in one place",
        help_text=help_text,
        error_messages={"invalid_choice": "Choose a place from the list"},
    )


class RegisterFilterForm(NHSForm):
    kind = forms.ChoiceField(
        label="Kind of organisation",
        required=False,
        choices=[("", "Every kind"), *OrganisationKind.choices],
        error_messages={"invalid_choice": "Choose a kind of organisation from the list"},
    )


class OrganisationForm(NHSForm):
    kind = forms.ChoiceField(
        label="What kind of organisation is it?",
        choices=[(kind.value, kind.label) for kind in ADDED_BY_HAND],
        widget=forms.RadioSelect,
        error_messages={
            "required": "Choose what kind of organisation it is",
            "invalid_choice": "Choose what kind of organisation it is",
        },
    )
    name = text("Name", max_length=200, missing="Enter the organisation's name")

    def __init__(self, *args: Any, ics: ICS, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["place"] = _place_field(
            ics, "The ICS place it serves, if it serves one. Consultations can go by place."
        )


CONSENT_HINTS = {
    LawfulBasis.PUBLIC_TASK: "The ICS's statutory duty to involve primary care. For NHS "
    "organisations' staff contacted in their work role.",
    LawfulBasis.LEGITIMATE_INTERESTS: "For partners' staff contacted in their work role, "
    "where engaging them is expected and does not override their interests.",
    LawfulBasis.CONSENT: "For anyone who asked to be involved in a personal capacity, such "
    "as a patient group member. They can withdraw consent at any time.",
}


class ContactForm(NHSForm):
    """Only what engaging a person needs, each field saying why it is kept."""

    name = text(
        "Full name",
        max_length=150,
        help_text="Kept so invitations are addressed to them by name.",
        missing="Enter the contact's full name",
    )
    role = text(
        "Job title or role (optional)",
        max_length=150,
        required=False,
        help_text="Kept so the group knows in what capacity they speak for the organisation.",
    )
    email = forms.EmailField(
        label="Email address",
        max_length=254,
        help_text="Kept to send them invitations to consultations. Nothing else is sent to it.",
        widget=forms.EmailInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
        error_messages={
            "required": "Enter the contact's email address",
            "invalid": "Enter an email address in the correct format, like name@example.nhs.uk",
        },
    )
    lawful_basis = forms.ChoiceField(
        label="Lawful basis for keeping their details",
        choices=LawfulBasis.choices,
        widget=forms.RadioSelect,
        help_text="Kept because UK GDPR requires a recorded reason for holding personal data.",
        error_messages={
            "required": "Choose the lawful basis for keeping their details",
            "invalid_choice": "Choose the lawful basis for keeping their details",
        },
    )
    consent_given_on = DateField(
        label="Date they gave consent",
        required=False,
        help_text="Only when consent is the basis. Kept as evidence of consent. "
        "For example, 15 3 2026",
        validators=[
            _in_years("The date they gave consent"),
            _not_future("The date they gave consent"),
        ],
    )
    consent_note = text(
        "How they gave consent",
        max_length=300,
        required=False,
        help_text="Only when consent is the basis. For example, a signed form at the patient "
        "group meeting. Kept as evidence of consent. Do not put their address here.",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Plain fields, not a conditional reveal: nhsuk-frontend marks a revealing radio
        # aria-expanded, which axe refuses on a radio.
        self.helper.layout = Layout(
            "name",
            "role",
            Field("email", width="two-thirds"),
            Field("lawful_basis", item_hints=CONSENT_HINTS),
            "consent_given_on",
            "consent_note",
        )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("lawful_basis") == LawfulBasis.CONSENT:
            if not data.get("consent_given_on") and "consent_given_on" not in self.errors:
                self.add_error(
                    "consent_given_on",
                    forms.ValidationError(
                        "Enter the date they gave consent",
                        params={"parts": ["day", "month", "year"]},
                    ),
                )
            if not (data.get("consent_note") or "").strip() and "consent_note" not in self.errors:
                self.add_error("consent_note", "Enter how they gave consent")
        return data

    def details(self) -> ContactDetails:
        data = self.cleaned_data
        return ContactDetails(
            name=data["name"],
            role=data["role"],
            email=data["email"],
            lawful_basis=data["lawful_basis"],
            consent_given_on=data.get("consent_given_on"),
            consent_note=data.get("consent_note") or "",
        )


class RemoveForm(NHSForm):
    reason = text(
        "Why are they being removed?",
        max_length=300,
        rows=3,
        help_text="For example, they asked by email on 3 March 2026. Do not include their name "
        "or address: this stays after their details are erased.",
        missing="Enter why the contact is being removed",
    )


class _PositionChoice(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.title} ({obj.group.name}, {obj.get_state_display().lower()})"


class _OrganisationChoice(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.name} ({obj.get_kind_display()})"


class EventForm(NHSForm):
    kind = forms.ChoiceField(
        label="What kind of event was it?",
        choices=EventKind.choices,
        widget=forms.RadioSelect,
        error_messages={
            "required": "Choose what kind of event it was",
            "invalid_choice": "Choose what kind of event it was",
        },
    )
    title = text("Title", max_length=200, help_text="For example, Practice managers' forum.")
    happened_on = DateField(
        label="Date",
        help_text="For example, 12 3 2026",
        error_messages={"required": "Enter the date of the event"},
        validators=[_in_years("The date"), _not_future("The date")],
    )
    people_count = forms.IntegerField(
        label="How many people took part?",
        min_value=1,
        max_value=log_services.MAX_PEOPLE,
        help_text="A count only: the log keeps no names.",
        widget=forms.TextInput(attrs={"inputmode": "numeric", "class": "nhsuk-input--width-5"}),
        error_messages={
            "required": "Enter how many people took part",
            "invalid": "Enter how many people took part as a whole number, like 12",
            "min_value": "Enter how many people took part: at least 1",
            "max_value": "Enter how many people took part: 100,000 or fewer",
        },
    )
    outcome = text(
        "What came of it",
        max_length=10000,
        rows=6,
        help_text="What people said, what was agreed, and what the group will do with it.",
        missing="Enter what came of it",
    )

    def __init__(self, *args: Any, ics: ICS, positions: QuerySet[Position], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["place"] = _place_field(ics, "The ICS place it was held in, if any.")
        self.fields["organisations"] = _OrganisationChoice(
            label="Organisations that took part (optional)",
            required=False,
            queryset=Organisation.objects.filter(ics=ics).order_by("kind", "name"),
            widget=forms.CheckboxSelectMultiple,
            help_text="From the stakeholder register.",
            error_messages={
                "invalid_choice": "Choose organisations from the register",
                "invalid_pk_value": "Choose organisations from the register",
            },
        )
        self.fields["positions"] = _PositionChoice(
            label="Positions it informed (optional)",
            required=False,
            queryset=positions,
            widget=forms.CheckboxSelectMultiple,
            help_text="Positions of your leadership groups. Each shows this event in its journey.",
            error_messages={
                "invalid_choice": "Choose positions from the list",
                "invalid_pk_value": "Choose positions from the list",
            },
        )
        self.helper.layout = Layout(
            "kind",
            "title",
            "happened_on",
            "place",
            "organisations",
            "people_count",
            "outcome",
            "positions",
        )

    def details(self) -> EventDetails:
        data = self.cleaned_data
        return EventDetails(
            kind=data["kind"],
            title=data["title"],
            happened_on=data["happened_on"],
            people_count=data["people_count"],
            outcome=data["outcome"],
            place=data.get("place"),
            organisations=list(data.get("organisations") or []),
            positions=list(data.get("positions") or []),
        )


class LogFilterForm(NHSForm):
    kind = forms.ChoiceField(
        label="Kind of event",
        required=False,
        choices=[("", "Every kind"), *EventKind.choices],
        error_messages={"invalid_choice": "Choose a kind of event from the list"},
    )
    date_from = DateField(
        label="From", required=False, help_text="For example, 1 4 2026", validators=[
            _in_years("From")
        ],
    )  # fmt: skip
    date_to = DateField(
        label="To", required=False, help_text="For example, 31 3 2027", validators=[
            _in_years("To")
        ],
    )  # fmt: skip

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and end < start:
            self.add_error(
                "date_to",
                forms.ValidationError(
                    "The 'to' date must be the same as or after the 'from' date",
                    params={"parts": ["day", "month", "year"]},
                ),
            )
        return data

    def valid(self, name: str) -> Any:
        """A filter's value, or None when it was left empty or is not valid."""
        self.is_valid()
        return self.cleaned_data.get(name) or None


# --- Pages -------------------------------------------------------------------------------------


def _crumbs(ics: ICS, *more: tuple[str, str]) -> list[tuple[str, str]]:
    return [
        (f"Stakeholder register: {ics.name}", reverse("engagement:register", args=[ics.pk])),
        *more,
    ]


def _log_crumbs(ics: ICS, *more: tuple[str, str]) -> list[tuple[str, str]]:
    return [(f"Engagement log: {ics.name}", reverse("engagement:log", args=[ics.pk])), *more]


def _form_page(
    request: AuthedRequest,
    form: forms.Form,
    *,
    ics: ICS,
    heading: str,
    button: str,
    crumbs: list[tuple[str, str]],
    template: str = "engagement/register/form_page.html",
    **extra: Any,
) -> HttpResponse:
    return render(
        request,
        template,
        {
            "ics": ics,
            "form": form,
            "heading": heading,
            "button": button,
            "crumbs": crumbs,
            "back_url": crumbs[-1][1],
            **extra,
        },
    )


def _organisations(ics: ICS, kind: str | None) -> list[Organisation]:
    live = Count("contacts", filter=Q(contacts__removed_at__isnull=True))
    found = Organisation.objects.filter(ics=ics).select_related("place", "practice", "pcn")
    if kind:
        found = found.filter(kind=kind)
    return list(found.annotate(contacts_count=live).order_by("name", "pk"))


@login_required
@require_GET
def register(request: AuthedRequest, ics_id: int) -> HttpResponse:
    ics = ics_for_register_reader(user=request.user, ics_id=ics_id)
    form = RegisterFilterForm(request.GET)
    form.is_valid()
    kind = form.cleaned_data.get("kind") or None
    organisations = _organisations(ics, kind)
    by_kind: dict[str, tuple[str, list[Organisation]]] = {
        value: (label, []) for value, label in OrganisationKind.choices
    }
    for organisation in organisations:
        by_kind[organisation.kind][1].append(organisation)
    manager = is_register_manager(request.user, ics_id)
    return render(
        request,
        "engagement/register/register.html",
        {
            "ics": ics,
            "form": form,
            "kind": kind,
            "sections": [(value, *by_kind[value]) for value in by_kind if by_kind[value][1]],
            "total": len(organisations),
            "can_manage": manager,
            "missing": services.missing_counts(ics) if manager else None,
            "crumbs": [],
        },
    )


@login_required
@GET_POST
def organisation_add(request: AuthedRequest, ics_id: int) -> HttpResponse:
    ics = ics_for_register_manager(user=request.user, ics_id=ics_id)
    form = OrganisationForm(posted(request), ics=ics)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        organisation = attempt(
            form,
            lambda: services.organisation_add(
                ics=ics,
                kind=data["kind"],
                name=data["name"],
                place=data.get("place"),
                actor=request.user,
            ),
        )
        if organisation is not None:
            messages.success(request, f"{organisation.name} is in the register.")
            return redirect("engagement:register-organisation", ics.pk, organisation.pk)
    return _form_page(
        request,
        form,
        ics=ics,
        heading="Add an organisation",
        button="Add organisation",
        crumbs=_crumbs(ics),
        lede="A partner the leadership group engages with: the LMC, community pharmacy, "
        "dental and optometry practices, patient groups and community organisations. GP "
        "practices and PCNs are added from the ODS records, from the register's page.",
    )


@login_required
@require_POST
def practices_add(request: AuthedRequest, ics_id: int) -> HttpResponse:
    ics = ics_for_register_manager(user=request.user, ics_id=ics_id)
    added = act(request, lambda: services.practices_add(ics=ics, actor=request.user))
    if added is not None and added.total:
        messages.success(
            request,
            f"Added {added.practices} GP practice{'s' * (added.practices != 1)} and "
            f"{added.pcns} PCN{'s' * (added.pcns != 1)} to the register.",
        )
    elif added is not None:
        messages.info(request, "Every active GP practice and open PCN is already in the register.")
    return redirect("engagement:register", ics.pk)


@login_required
@require_GET
def organisation(request: AuthedRequest, ics_id: int, organisation_id: int) -> HttpResponse:
    ics = ics_for_register_reader(user=request.user, ics_id=ics_id)
    found = _organisation(ics, organisation_id)
    contacts = list(found.contacts.order_by("removed_at", "name", "pk"))
    events = list(found.engagement_events.order_by("-happened_on", "-id")[:20])
    return render(
        request,
        "engagement/register/organisation.html",
        {
            "ics": ics,
            "organisation": found,
            "contacts": contacts,
            "live": [c for c in contacts if c.removed_at is None],
            "removed": [c for c in contacts if c.removed_at is not None],
            "events": events,
            "can_manage": is_register_manager(request.user, ics_id),
            "crumbs": _crumbs(ics),
        },
    )


def _contact_page(
    request: AuthedRequest, form: ContactForm, ics: ICS, organisation: Organisation, heading: str
) -> HttpResponse:
    url = reverse("engagement:register-organisation", args=[ics.pk, organisation.pk])
    return _form_page(
        request,
        form,
        ics=ics,
        heading=heading,
        button="Save contact",
        crumbs=_crumbs(ics, (organisation.name, url)),
        caption=organisation.name,
        lede="The register keeps only what engaging them needs, and says why for each.",
    )


@login_required
@GET_POST
def contact_add(request: AuthedRequest, ics_id: int, organisation_id: int) -> HttpResponse:
    ics = ics_for_register_manager(user=request.user, ics_id=ics_id)
    found = _organisation(ics, organisation_id)
    form = ContactForm(posted(request))
    if request.method == "POST" and form.is_valid():
        contact = attempt(
            form,
            lambda: services.contact_add(
                organisation=found, details=form.details(), actor=request.user
            ),
        )
        if contact is not None:
            messages.success(request, f"{contact.name} is a contact at {found.name}.")
            return redirect("engagement:register-organisation", ics.pk, found.pk)
    return _contact_page(request, form, ics, found, "Add a contact")


def _refuse_removed(request: AuthedRequest, contact: Contact) -> HttpResponse | None:
    if contact.removed_at is None:
        return None
    messages.error(request, "This contact was removed on request: their details are erased.")
    return redirect(
        "engagement:register-organisation", contact.organisation.ics_id, contact.organisation_id
    )


@login_required
@GET_POST
def contact_edit(request: AuthedRequest, ics_id: int, contact_id: int) -> HttpResponse:
    ics = ics_for_register_manager(user=request.user, ics_id=ics_id)
    contact = _contact(ics, contact_id)
    refused = _refuse_removed(request, contact)
    if refused is not None:
        return refused
    initial = {name: getattr(contact, name) for name in services.FIELDS}
    form = ContactForm(posted(request), initial=initial)
    if request.method == "POST" and form.is_valid():
        changed = attempt(
            form,
            lambda: services.contact_change(
                contact=contact, details=form.details(), actor=request.user
            ),
        )
        if changed is not None:
            messages.success(request, f"{changed.name}'s details are saved.")
            return redirect("engagement:register-organisation", ics.pk, contact.organisation_id)
    return _contact_page(
        request, form, ics, contact.organisation, f"Change {contact.name}'s details"
    )


@login_required
@GET_POST
def contact_remove(request: AuthedRequest, ics_id: int, contact_id: int) -> HttpResponse:
    ics = ics_for_register_manager(user=request.user, ics_id=ics_id)
    contact = _contact(ics, contact_id)
    refused = _refuse_removed(request, contact)
    if refused is not None:
        return refused
    form = RemoveForm(posted(request))
    if request.method == "POST" and form.is_valid():
        removal = attempt(
            form,
            lambda: services.contact_remove(
                contact=contact, reason=form.cleaned_data["reason"], actor=request.user
            ),
        )
        if removal is not None:
            stopped = removal.emails_stopped
            said = "Their name and email address are erased."
            if stopped:
                emails = f"{stopped} email{'s' * (stopped != 1)}"
                said += f" {emails} waiting to go to them will not be sent."
            messages.success(request, said)
            return redirect("engagement:register-organisation", ics.pk, contact.organisation_id)
    organisation_url = reverse(
        "engagement:register-organisation", args=[ics.pk, contact.organisation_id]
    )
    return _form_page(
        request,
        form,
        ics=ics,
        heading=f"Remove {contact.name} on their request",
        button="Remove and erase their details",
        crumbs=_crumbs(ics, (contact.organisation.name, organisation_url)),
        caption=contact.organisation.name,
        template="engagement/register/contact_remove.html",
        contact=contact,
        warning=True,
    )


# --- The engagement log ---------------------------------------------------------------------------


def _events(ics: ICS, form: LogFilterForm) -> QuerySet[EngagementEvent]:
    found = EngagementEvent.objects.filter(ics=ics)
    kind = form.valid("kind")
    start, end = form.valid("date_from"), form.valid("date_to")
    if kind:
        found = found.filter(kind=kind)
    if "date_to" not in form.errors:  # a range the wrong way round is not applied
        if start:
            found = found.filter(happened_on__gte=start)
        if end:
            found = found.filter(happened_on__lte=end)
    return (
        found.select_related("place")
        .prefetch_related("organisations")
        .order_by("-happened_on", "-id")
    )


@login_required
@require_GET
def log(request: AuthedRequest, ics_id: int) -> HttpResponse:
    ics = ics_for_register_reader(user=request.user, ics_id=ics_id)
    form = LogFilterForm(request.GET)
    page = Paginator(_events(ics, form), PAGE_SIZE).get_page(request.GET.get("page"))
    kept = {k: v for k, v in request.GET.items() if k != "page" and v}
    return render(
        request,
        "engagement/log/list.html",
        {
            "ics": ics,
            "form": form,
            "page": page,
            "filtered": any(
                key.split("[")[0] in form.fields and value for key, value in kept.items()
            ),
            "query": urlencode(kept),
            "can_manage": is_register_manager(request.user, ics_id),
            "crumbs": [],
        },
    )


def _positions_for(user: User, ics: ICS) -> QuerySet[Position]:
    readable = log_services.readable_group_ids(user, ics)
    return (
        Position.objects.filter(group_id__in=readable)
        .select_related("current_version", "group")
        .order_by("group__name", "-updated_at", "-id")
    )


def _event_page(
    request: AuthedRequest, form: EventForm, ics: ICS, heading: str, crumbs: list[tuple[str, str]]
) -> HttpResponse:
    return _form_page(
        request,
        form,
        ics=ics,
        heading=heading,
        button="Save event",
        crumbs=crumbs,
        template="engagement/log/form.html",
        wide=True,
    )


@login_required
@GET_POST
def log_add(request: AuthedRequest, ics_id: int) -> HttpResponse:
    ics = ics_for_register_manager(user=request.user, ics_id=ics_id)
    form = EventForm(posted(request), ics=ics, positions=_positions_for(request.user, ics))
    if request.method == "POST" and form.is_valid():
        event = attempt(
            form,
            lambda: log_services.event_record(ics=ics, details=form.details(), actor=request.user),
        )
        if event is not None:
            messages.success(request, f"“{event.title}” is in the engagement log.")
            return redirect("engagement:log-event", ics.pk, event.pk)
    return _event_page(request, form, ics, "Record an engagement event", _log_crumbs(ics))


@login_required
@require_GET
def log_event(request: AuthedRequest, ics_id: int, event_id: int) -> HttpResponse:
    ics = ics_for_register_reader(user=request.user, ics_id=ics_id)
    event = _event(ics, event_id)
    readable = log_services.readable_group_ids(request.user, ics)
    positions = list(event.positions.select_related("current_version", "group").order_by("pk"))
    shown = [p for p in positions if p.group_id in readable]
    return render(
        request,
        "engagement/log/event.html",
        {
            "ics": ics,
            "event": event,
            "organisations": list(event.organisations.order_by("name")),
            "positions": shown,
            "hidden": len(positions) - len(shown),
            "can_manage": is_register_manager(request.user, ics_id),
            "crumbs": _log_crumbs(ics),
        },
    )


@login_required
@GET_POST
def log_edit(request: AuthedRequest, ics_id: int, event_id: int) -> HttpResponse:
    ics = ics_for_register_manager(user=request.user, ics_id=ics_id)
    event = _event(ics, event_id)
    initial = {
        "kind": event.kind,
        "title": event.title,
        "happened_on": event.happened_on,
        "place": event.place_id,
        "people_count": event.people_count,
        "outcome": event.outcome,
        "organisations": list(event.organisations.values_list("pk", flat=True)),
        "positions": list(event.positions.values_list("pk", flat=True)),
    }
    form = EventForm(
        posted(request), ics=ics, positions=_positions_for(request.user, ics), initial=initial
    )
    if request.method == "POST" and form.is_valid():
        changed = attempt(
            form,
            lambda: log_services.event_change(
                event=event, details=form.details(), actor=request.user
            ),
        )
        if changed is not None:
            messages.success(request, "The event is saved." if changed else "Nothing changed.")
            return redirect("engagement:log-event", ics.pk, event.pk)
    url = reverse("engagement:log-event", args=[ics.pk, event.pk])
    return _event_page(request, form, ics, "Change the event", _log_crumbs(ics, (event.title, url)))


urlpatterns: list[URLPattern] = [
    path("engagement/<int:ics_id>/register/", register, name="register"),
    path(
        "engagement/<int:ics_id>/register/add/", organisation_add, name="register-organisation-add"
    ),
    path(
        "engagement/<int:ics_id>/register/practices/", practices_add, name="register-practices-add"
    ),
    path(
        "engagement/<int:ics_id>/register/<int:organisation_id>/",
        organisation,
        name="register-organisation",
    ),
    path(
        "engagement/<int:ics_id>/register/<int:organisation_id>/contacts/add/",
        contact_add,
        name="register-contact-add",
    ),
    path(
        "engagement/<int:ics_id>/register/contacts/<int:contact_id>/",
        contact_edit,
        name="register-contact-edit",
    ),
    path(
        "engagement/<int:ics_id>/register/contacts/<int:contact_id>/remove/",
        contact_remove,
        name="register-contact-remove",
    ),
    path("engagement/<int:ics_id>/log/", log, name="log"),
    path("engagement/<int:ics_id>/log/add/", log_add, name="log-add"),
    path("engagement/<int:ics_id>/log/<int:event_id>/", log_event, name="log-event"),
    path("engagement/<int:ics_id>/log/<int:event_id>/edit/", log_edit, name="log-edit"),
]
