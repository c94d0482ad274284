"""The stakeholder register: who may read and change it, each form's bad input, the consent
rule, adding the ICS's practices and PCNs (idempotent, counted), removing a contact on
request (erased in place, from the outbox and never in the audit trail), and query counts
that stay flat as the register grows."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.urls import reverse
from django.utils import timezone

from engagement.models.consultations import Consultation, ConsultationInvitation
from engagement.models.register import Contact, LawfulBasis, Organisation
from engagement.services import register as services
from engagement.services.register import ContactDetails, RegisterError
from groups import services as group_services
from groups.models import Practice, today
from icsvoice.models import AuditEvent, OutboxMessage
from tests import factories as f
from tests.helpers import page, sign_in

pytestmark = pytest.mark.django_db

ADDRESS = "jane.pharmacist@example.org"
NAME = "Jane Quill"


def add_org(cast, name: str = "Cleveland LMC", kind: str = "lmc", ics=None, actor=None):
    return services.organisation_add(
        ics=ics or cast.ics, kind=kind, name=name, actor=actor or cast.chair
    )


def details(**changes) -> ContactDetails:
    values = {
        "name": NAME,
        "role": "Lead pharmacist",
        "email": ADDRESS,
        "lawful_basis": LawfulBasis.PUBLIC_TASK,
    }
    return ContactDetails(**{**values, **changes})


def add_contact(cast, organisation, **changes) -> Contact:
    return services.contact_add(
        organisation=organisation, details=details(**changes), actor=cast.gp_lead
    )


@pytest.fixture
def org(cast) -> Organisation:
    return add_org(cast)


@pytest.fixture
def contact(cast, org) -> Contact:
    return add_contact(cast, org)


def contact_form(**changes) -> dict[str, str]:
    data = {
        "name": NAME,
        "role": "Lead pharmacist",
        "email": ADDRESS,
        "lawful_basis": "public_task",
        "consent_given_on[day]": "",
        "consent_given_on[month]": "",
        "consent_given_on[year]": "",
        "consent_note": "",
    }
    return {**data, **changes}


def errors(response) -> str:
    body = response.content.decode()
    assert response.status_code == 200
    assert "There is a problem" in body
    return body.split('nhsuk-error-summary__list">', 1)[1].split("</ul>", 1)[0]


# --- Who may do what ------------------------------------------------------------------------


def _pages(cast, org, contact) -> list[tuple[str, bool]]:
    """(url, manager-only) for every register page that answers GET."""
    ics = cast.ics.pk
    return [
        (reverse("engagement:register", args=[ics]), False),
        (reverse("engagement:register-organisation", args=[ics, org.pk]), False),
        (reverse("engagement:register-organisation-add", args=[ics]), True),
        (reverse("engagement:register-contact-add", args=[ics, org.pk]), True),
        (reverse("engagement:register-contact-edit", args=[ics, contact.pk]), True),
        (reverse("engagement:register-contact-remove", args=[ics, contact.pk]), True),
    ]


def test_members_and_chairs_manage_reviewers_read_others_are_refused(client, cast, org, contact):
    for url, manager_only in _pages(cast, org, contact):
        for person in (cast.gp_lead, cast.chair):
            sign_in(client, person)
            assert client.get(url).status_code == 200, (url, person)
        sign_in(client, cast.reviewer)
        assert client.get(url).status_code == (403 if manager_only else 200), url
        if manager_only:
            assert client.post(url, {}).status_code == 403, url
        for person in (cast.secretary, cast.board_member):
            sign_in(client, person)
            assert client.get(url).status_code == 403, (url, person)
        sign_in(client, cast.outsider)
        assert client.get(url).status_code == 404, url
        client.logout()
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"], url


def test_adding_the_practices_is_a_post_for_managers(client, cast):
    url = reverse("engagement:register-practices-add", args=[cast.ics.pk])
    sign_in(client, cast.chair)
    assert client.get(url).status_code == 405
    sign_in(client, cast.reviewer)
    assert client.post(url).status_code == 403
    sign_in(client, cast.secretary)
    assert client.post(url).status_code == 403
    sign_in(client, cast.outsider)
    assert client.post(url).status_code == 404
    client.logout()
    assert client.post(url).status_code == 302
    assert not AuditEvent.objects.filter(event="register.practices_added").exists()


def test_another_icss_organisation_or_contact_is_not_found(client, cast):
    theirs = add_org(cast, "Tees LMC", ics=cast.other_ics, actor=cast.outsider)
    their_contact = add_contact(cast, theirs)
    sign_in(client, cast.gp_lead)
    ics = cast.ics.pk
    for url in (
        reverse("engagement:register-organisation", args=[ics, theirs.pk]),
        reverse("engagement:register-contact-add", args=[ics, theirs.pk]),
        reverse("engagement:register-contact-edit", args=[ics, their_contact.pk]),
        reverse("engagement:register-contact-remove", args=[ics, their_contact.pk]),
        reverse("engagement:register", args=[cast.other_ics.pk]),
        reverse("engagement:register", args=[999999]),
    ):
        assert client.get(url).status_code == 404, url


# --- Organisations ----------------------------------------------------------------------------


def test_the_register_lists_organisations_by_kind_with_their_contacts(client, cast, org, contact):
    pharmacy = add_org(cast, "Boots, High Street", kind="pharmacy")
    add_contact(cast, pharmacy, email="a@example.org")
    add_contact(cast, pharmacy, email="b@example.org")
    gone = add_contact(cast, pharmacy, email="c@example.org")
    services.contact_remove(contact=gone, reason="Asked by phone", actor=cast.chair)
    sign_in(client, cast.reviewer)
    response = client.get(reverse("engagement:register", args=[cast.ics.pk]))
    body = page(response)
    assert "2 organisations" in body
    assert "Local medical committee (1)" in body and "Community pharmacy (1)" in body
    sections = {value: orgs for value, _label, orgs in response.context["sections"]}
    assert [o.contacts_count for o in sections["pharmacy"]] == [2]  # the removed one is not
    assert "Add an organisation" not in body  # a reader
    filtered = client.get(reverse("engagement:register", args=[cast.ics.pk]), {"kind": "lmc"})
    assert "Boots" not in filtered.content.decode() and "Cleveland LMC" in filtered.content.decode()
    wrong = client.get(reverse("engagement:register", args=[cast.ics.pk]), {"kind": "spaceship"})
    assert "Choose a kind of organisation from the list" in errors(wrong)


def test_a_manager_adds_an_organisation_and_it_is_audited(client, cast):
    place = f.PlaceFactory(ics=cast.ics, name="Hartlepool")
    sign_in(client, cast.chair)
    url = reverse("engagement:register-organisation-add", args=[cast.ics.pk])
    response = client.post(
        url, {"kind": "patient_group", "name": "  Hartlepool PPG ", "place": place.pk}
    )
    organisation = Organisation.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse(
        "engagement:register-organisation", args=[cast.ics.pk, organisation.pk]
    )
    assert (organisation.name, organisation.kind, organisation.place) == (
        "Hartlepool PPG",
        "patient_group",
        place,
    )
    event = AuditEvent.objects.get(event="register.organisation_added")
    assert (event.role, event.ics_id, event.object_id) == (
        "group_chair",
        cast.ics.pk,
        str(organisation.pk),
    )
    assert event.payload == {
        "kind": "patient_group",
        "name": "Hartlepool PPG",
        "place": "Hartlepool",
    }


@pytest.mark.parametrize(
    "data, message",
    [
        ({"kind": "", "name": ""}, "Choose what kind of organisation it is"),
        ({"kind": "practice", "name": "The Surgery"}, "Choose what kind of organisation it is"),
        ({"kind": "lmc", "name": ""}, "Enter the organisation&#x27;s name"),
        ({"kind": "lmc", "name": "<b>LMC</b>"}, "HTML"),
        ({"kind": "lmc", "name": "X", "place": "99999"}, "Choose a place from the list"),
        ({"kind": "lmc", "name": "cleveland lmc"}, "Cleveland LMC is already in the register"),
    ],
)
def test_a_bad_organisation_is_refused_and_nothing_saved(client, cast, org, data, message):
    other_place = f.PlaceFactory(ics=cast.other_ics)
    if data.get("place") == "99999":
        data = {**data, "place": other_place.pk}
    sign_in(client, cast.gp_lead)
    before = AuditEvent.objects.count()
    response = client.post(
        reverse("engagement:register-organisation-add", args=[cast.ics.pk]), data
    )
    assert message in errors(response)
    assert Organisation.objects.count() == 1
    assert AuditEvent.objects.count() == before


# --- The ICS's practices and PCNs -------------------------------------------------------------


def test_adding_the_practices_and_pcns_is_idempotent_and_counted(client, cast):
    place = f.PlaceFactory(ics=cast.ics, name="Stockton")
    active = [f.PracticeFactory(ics=cast.ics, place=place) for _ in range(3)]
    f.PracticeFactory(ics=cast.ics, status=Practice.Status.CLOSED)
    f.PracticeFactory(ics=cast.ics, status=Practice.Status.PROPOSED)
    f.PracticeFactory(ics=cast.ics, closed_on=today() - dt.timedelta(days=1))
    f.PracticeFactory(ics=cast.other_ics)
    open_pcn = f.PCNFactory(ics=cast.ics)
    f.PCNFactory(ics=cast.ics, closed_on=today() - dt.timedelta(days=30))
    f.PCNFactory(ics=cast.other_ics)
    url = reverse("engagement:register-practices-add", args=[cast.ics.pk])
    register = reverse("engagement:register", args=[cast.ics.pk])
    sign_in(client, cast.gp_lead)
    assert "3 active GP practices and 1 open PCN of ICS A" in client.get(register).content.decode()

    response = client.post(url, follow=True)
    assert "Added 3 GP practices and 1 PCN to the register." in response.content.decode()
    orgs = Organisation.objects.filter(ics=cast.ics)
    assert {o.practice_id for o in orgs.filter(kind="practice")} == {p.pk for p in active}
    assert [o.pcn_id for o in orgs.filter(kind="pcn")] == [open_pcn.pk]
    assert {o.place_id for o in orgs.filter(kind="practice")} == {place.pk}
    event = AuditEvent.objects.get(event="register.practices_added")
    assert event.payload == {"practices": 3, "pcns": 1}
    assert (event.ics_id, event.role, event.actor) == (cast.ics.pk, "group_member", cast.gp_lead)

    again = client.post(url, follow=True)
    assert "already in the register" in again.content.decode()
    assert services.practices_add(ics=cast.ics, actor=cast.chair) == services.Added(0, 0)
    assert Organisation.objects.filter(ics=cast.ics).count() == 4
    assert AuditEvent.objects.filter(event="register.practices_added").count() == 1
    assert "Every active GP practice and open PCN" in client.get(register).content.decode()

    f.PracticeFactory(ics=cast.ics)  # a new practice opens
    assert services.practices_add(ics=cast.ics, actor=cast.chair) == services.Added(1, 0)


# --- Contacts ---------------------------------------------------------------------------------


def test_the_contact_form_says_why_each_detail_is_kept(client, cast, org):
    sign_in(client, cast.gp_lead)
    body = page(client.get(reverse("engagement:register-contact-add", args=[cast.ics.pk, org.pk])))
    for why in (
        "Kept so invitations are addressed to them by name.",
        "Kept so the group knows in what capacity they speak for the organisation.",
        "Kept to send them invitations to consultations. Nothing else is sent to it.",
        "Kept because UK GDPR requires a recorded reason for holding personal data.",
        "Kept as evidence of consent.",
    ):
        assert why in body, why


def test_a_manager_adds_and_changes_a_contact_with_no_personal_data_in_the_trail(client, cast, org):
    sign_in(client, cast.gp_lead)
    add = reverse("engagement:register-contact-add", args=[cast.ics.pk, org.pk])
    response = client.post(add, contact_form(email="Jane.Pharmacist@Example.org"))
    assert response.status_code == 302
    contact = Contact.objects.get()
    assert (contact.name, contact.email, contact.created_by) == (NAME, ADDRESS, cast.gp_lead)
    edit = reverse("engagement:register-contact-edit", args=[cast.ics.pk, contact.pk])
    assert NAME in client.get(edit).content.decode()
    response = client.post(
        edit,
        contact_form(
            lawful_basis="consent",
            **{
                "consent_given_on[day]": "3",
                "consent_given_on[month]": "3",
                "consent_given_on[year]": "2026",
                "consent_note": "Signed form at the PPG meeting",
            },
        ),
    )
    assert response.status_code == 302
    contact.refresh_from_db()
    assert contact.consent_given_on == dt.date(2026, 3, 3)
    changed = AuditEvent.objects.get(event="register.contact_changed")
    assert changed.payload == {
        "organisation": org.pk,
        "fields": ["lawful_basis", "consent_given_on", "consent_note"],
        "lawful_basis": "consent",
    }
    added = AuditEvent.objects.get(event="register.contact_added")
    assert added.payload == {"organisation": org.pk, "lawful_basis": "public_task"}
    # Back to another basis: the consent details go.
    client.post(edit, contact_form(lawful_basis="legitimate_interests"))
    contact.refresh_from_db()
    assert (contact.consent_given_on, contact.consent_note) == (None, "")
    # Saving with nothing changed records nothing.
    before = AuditEvent.objects.count()
    client.post(edit, contact_form(lawful_basis="legitimate_interests"))
    assert AuditEvent.objects.count() == before
    trail = json.dumps(list(AuditEvent.objects.values_list("payload", flat=True)))
    assert "Jane" not in trail and "example.org" not in trail and "Signed form" not in trail


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"name": ""}, "Enter the contact&#x27;s full name"),
        ({"email": ""}, "Enter the contact&#x27;s email address"),
        ({"email": "jane@"}, "Enter an email address in the correct format"),
        ({"lawful_basis": ""}, "Choose the lawful basis for keeping their details"),
        ({"lawful_basis": "vibes"}, "Choose the lawful basis for keeping their details"),
        ({"lawful_basis": "consent"}, "Enter the date they gave consent"),
        ({"lawful_basis": "consent"}, "Enter how they gave consent"),
        (
            {
                "lawful_basis": "consent",
                "consent_note": "By email",
                "consent_given_on[day]": "31",
                "consent_given_on[month]": "2",
                "consent_given_on[year]": "2026",
            },
            "Date they gave consent must be a real date",
        ),
        (
            {
                "lawful_basis": "consent",
                "consent_note": "By email",
                "consent_given_on[day]": "1",
                "consent_given_on[month]": "1",
                "consent_given_on[year]": str(today().year + 1),
            },
            "The date they gave consent must be today or in the past",
        ),
        ({"role": "<script>x</script>"}, "HTML"),
        ({"email": "taken@example.org"}, "Cleveland LMC already has a contact with that email"),
    ],
)
def test_a_bad_contact_is_refused_and_nothing_saved(client, cast, org, changes, message):
    add_contact(cast, org, email="taken@example.org", name="Someone Else")
    sign_in(client, cast.chair)
    before = AuditEvent.objects.count()
    url = reverse("engagement:register-contact-add", args=[cast.ics.pk, org.pk])
    assert message in errors(client.post(url, contact_form(**changes)))
    assert Contact.objects.count() == 1
    assert AuditEvent.objects.count() == before


def test_the_service_keeps_the_consent_rule_too(cast, org):
    with pytest.raises(RegisterError, match="date they gave consent"):
        add_contact(cast, org, lawful_basis=LawfulBasis.CONSENT)
    with pytest.raises(RegisterError, match="how they gave consent"):
        add_contact(cast, org, lawful_basis=LawfulBasis.CONSENT, consent_given_on=today())
    kept = add_contact(
        cast, org, lawful_basis=LawfulBasis.LEGITIMATE_INTERESTS, consent_given_on=today(),
        consent_note="Not needed",
    )  # fmt: skip
    assert (kept.consent_given_on, kept.consent_note) == (None, "")
    assert Contact.objects.count() == 1


# --- Removing a contact on request ------------------------------------------------------------


def _invitation(cast, contact: Contact) -> ConsultationInvitation:
    """The contact asked in a consultation: what their emails are about."""
    position = group_services.position_draft(
        group=cast.group, actor=cast.gp_lead, title="Same-day access", summary="S", ask="A"
    )
    consultation = Consultation.objects.create(
        position=position,
        group=cast.group,
        version=position.current_version,
        closes_on=today(),
        closes_at=timezone.now(),
        opened_by=cast.gp_lead,
    )
    return ConsultationInvitation.objects.create(
        consultation=consultation,
        contact=contact,
        organisation=contact.organisation,
        kind=contact.organisation.kind,
    )


def _outbox(address: str, state: str, about: ConsultationInvitation, **extra) -> OutboxMessage:
    return OutboxMessage.objects.create(
        kind=extra.pop("kind", "consultation.invited"),
        object_type="engagement.consultationinvitation",
        object_id=str(about.pk),
        version=str(OutboxMessage.objects.count()),
        to_email=address,
        to_name=NAME,
        subject="Your views on same-day access",
        body="Please answer by 1 April.",
        state=state,
        **extra,
    )


def test_removing_a_contact_erases_them_everywhere_and_keeps_the_counts(client, cast, org, contact):
    other = add_contact(cast, org, name="Omar Other", email="omar@example.org")
    # The same person, listed at another organisation too (an LMC officer who is also a
    # pharmacy's contact). Removed at the LMC, they are still asked as the pharmacy's.
    twin = add_contact(cast, add_org(cast, "High Street Pharmacy", kind="pharmacy"), email=ADDRESS)
    theirs = _invitation(cast, contact)
    pending = _outbox(ADDRESS, "pending", theirs)
    sending = _outbox(ADDRESS.upper(), "sending", theirs, claimed_at=timezone.now())
    sent = _outbox(ADDRESS, "sent", theirs, sent_at=timezone.now())
    failed = _outbox(ADDRESS, "failed", theirs, last_error=f"550 {ADDRESS}: no such user")
    # Queued before their address was corrected: stopped and erased as well.
    earlier = _outbox("jane.old@example.org", "pending", theirs)
    someone_else = _outbox("omar@example.org", "pending", _invitation(cast, other))
    twins = _outbox(ADDRESS, "pending", _invitation(cast, twin))
    with_account = OutboxMessage.objects.create(
        kind="position.drafted", object_type="groups.position", object_id="1",
        recipient=cast.gp_lead, to_email=ADDRESS, subject="S", body="B",
    )  # fmt: skip
    rows_before = OutboxMessage.objects.count()
    contacts_before = Contact.objects.filter(organisation=org).count()

    sign_in(client, cast.chair)
    url = reverse("engagement:register-contact-remove", args=[cast.ics.pk, contact.pk])
    assert "This cannot be undone" in page(client.get(url))
    refused = client.post(url, {"reason": ""})
    assert "Enter why the contact is being removed" in errors(refused)
    contact.refresh_from_db()
    assert contact.removed_at is None and contact.name == NAME

    response = client.post(url, {"reason": "Asked by email on 2 March"}, follow=True)
    body = response.content.decode()
    assert "3 emails waiting to go to them will not be sent" in body
    assert "A removed contact" in body and NAME not in body and ADDRESS not in body

    contact.refresh_from_db()
    assert (contact.name, contact.email, contact.role, contact.consent_note) == ("", "", "", "")
    assert contact.removed_at is not None and contact.removed_reason == "Asked by email on 2 March"
    assert str(contact) == "A removed contact at Cleveland LMC"
    for row in (pending, sending, earlier):
        row.refresh_from_db()
        assert (row.state, row.to_email, row.to_name) == ("failed", "", "")
    sent.refresh_from_db()
    assert (sent.state, sent.to_email, sent.to_name) == ("sent", "", "")
    failed.refresh_from_db()
    assert (failed.to_email, failed.to_name) == ("", "")
    assert ADDRESS not in failed.last_error
    for untouched in (someone_else, twins, with_account):
        untouched.refresh_from_db()
        assert untouched.to_email in ("omar@example.org", ADDRESS) and untouched.state == "pending"
    assert OutboxMessage.objects.count() == rows_before
    assert Contact.objects.filter(organisation=org).count() == contacts_before
    assert set(Contact.objects.reachable()) == {other, twin}

    event = AuditEvent.objects.get(event="register.contact_removed")
    assert event.payload == {"organisation": org.pk, "emails_stopped": 3, "emails_erased": 2}
    trail = json.dumps(list(AuditEvent.objects.values_list("payload", "actor_label")))
    assert "Jane" not in trail and "jane" not in trail and "Quill" not in trail

    # Gone for good: it cannot be changed or removed again.
    edit = reverse("engagement:register-contact-edit", args=[cast.ics.pk, contact.pk])
    assert client.get(edit).status_code == 302
    assert client.post(url, {"reason": "Again"}).status_code == 302
    assert AuditEvent.objects.filter(event="register.contact_removed").count() == 1
    with pytest.raises(RegisterError, match="removed on request"):
        services.contact_change(contact=contact, details=details(), actor=cast.chair)


# --- Query counts -----------------------------------------------------------------------------


def _grow(cast, n: int) -> Organisation:
    first = None
    for i in range(n):
        organisation = add_org(cast, f"Pharmacy {i}", kind="pharmacy")
        first = first or organisation
        add_contact(cast, organisation, email=f"p{i}@example.org")
        add_contact(cast, first, email=f"first{i}@example.org")
    f.PracticeFactory(ics=cast.ics)
    return first


@pytest.mark.parametrize("n", [2, 6])
def test_register_pages_keep_to_a_fixed_number_of_queries(
    client, cast, n, django_assert_max_num_queries
):
    first = _grow(cast, n)
    services.contact_remove(contact=first.contacts.first(), reason="Asked", actor=cast.chair)
    sign_in(client, cast.chair)
    client.get(reverse("home"))  # warm the session
    # Measured: 7 for the session, the person, their authenticator and their roles; the ICS;
    # the organisations with their contacts counted; the practices and PCNs not yet in
    # (two counts); 3 for the session's save.
    with django_assert_max_num_queries(13):
        assert client.get(reverse("engagement:register", args=[cast.ics.pk])).status_code == 200
    # The ICS, the organisation, its contacts and its events.
    with django_assert_max_num_queries(13):
        url = reverse("engagement:register-organisation", args=[cast.ics.pk, first.pk])
        assert client.get(url).status_code == 200
