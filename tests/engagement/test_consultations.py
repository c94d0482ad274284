"""Consultations through the services: who is invited across the audiences (and never
another ICS's contacts), the emails and their links, answering and changing an answer, the
chair's close and extension, the close at the end of the closing day, reminders only to
those who have not answered and only once, a contact erased on request, the summary's
figures (worked out by hand below), the position's journey step and the report's seam.

The scene (ICS A unless said):

    place North: Abbey (Riverside PCN), Brook (Riverside), Elm (Coastal PCN),
                 Glen (left Riverside last year: in no PCN now), Riverside PCN, a pharmacy
    place South: Castle (Hillside PCN), Dale (Hillside, closed), Hillside PCN, a patient group
    no place:    Fell (no PCN), the LMC
    ICS B:       Other Surgery and ICS B's LMC, each with a contact

Contacts: one a place, two at Brook (Bob, Bea); Abbey also has one removed on request and
one with no address (neither can be emailed). Coastal PCN has no entry in the register.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from engagement import reports
from engagement.models.consultations import (
    Consultation,
    ConsultationAnswer,
    ConsultationInvitation,
    Stance,
)
from engagement.models.register import Contact, LawfulBasis, Organisation, OrganisationKind
from engagement.reminders import remind_consultations_closing, send_reminders
from engagement.services import consultations as services
from engagement.services.consultations import Audiences, ConsultationError
from engagement.services.register import contact_remove
from groups import services as group_services
from groups.models import PCN, Place, Position, PracticePCNMembership, Vote
from icsvoice import mailer
from icsvoice.errors import DomainError
from icsvoice.models import AuditEvent, OutboxMessage
from icsvoice.registry import position_journey
from tests import factories as f
from tests.support.smtp import free_port

pytestmark = pytest.mark.django_db

LINK = re.compile(r"/respond/consultation/([A-Za-z0-9_-]{40,64})/")


@dataclass
class Scene:
    cast: object
    position: Position
    north: Place
    south: Place
    riverside: PCN
    hillside: PCN
    coastal: PCN
    orgs: dict[str, Organisation]
    contacts: dict[str, Contact]


def _org(ics, kind, name, *, practice=None, pcn=None, place=None) -> Organisation:
    return Organisation.objects.create(
        ics=ics, kind=kind, name=name, practice=practice, pcn=pcn, place=place
    )


def _contact(org, name, email) -> Contact:
    return Contact.objects.create(
        organisation=org, name=name, email=email, lawful_basis=LawfulBasis.PUBLIC_TASK
    )


def draft(cast, title="Same-day access hubs in every place", author=None) -> Position:
    return group_services.position_draft(
        group=cast.group,
        actor=author or cast.gp_lead,
        title=title,
        summary="Pool same-day demand across PCNs.",
        ask="Fund one same-day access hub per place from July 2027.",
    )


def build_scene(cast) -> Scene:
    ics, other = cast.ics, cast.other_ics
    north = f.PlaceFactory(ics=ics, name="North")
    south = f.PlaceFactory(ics=ics, name="South")
    riverside = f.PCNFactory(ics=ics, name="Riverside PCN", place=north)
    hillside = f.PCNFactory(ics=ics, name="Hillside PCN", place=south)
    coastal = f.PCNFactory(ics=ics, name="Coastal PCN", place=north)
    long_ago, last_year = dt.date(2020, 4, 1), timezone.localdate() - dt.timedelta(days=365)

    orgs: dict[str, Organisation] = {}
    contacts: dict[str, Contact] = {}
    for name, place, pcn, status in (
        ("Abbey", north, riverside, "A"),
        ("Brook", north, riverside, "A"),
        ("Castle", south, hillside, "A"),
        ("Dale", south, hillside, "C"),
        ("Elm", north, coastal, "A"),
        ("Fell", None, None, "A"),
        ("Glen", north, None, "A"),
    ):
        practice = f.PracticeFactory(ics=ics, name=f"{name} Surgery", place=place, status=status)
        if pcn is not None:
            PracticePCNMembership.objects.create(practice=practice, pcn=pcn, starts_on=long_ago)
        orgs[name] = _org(ics, OrganisationKind.PRACTICE, f"{name} Surgery", practice=practice)
    PracticePCNMembership.objects.create(
        practice=orgs["Glen"].practice, pcn=riverside, starts_on=long_ago, ends_on=last_year
    )
    orgs["Riverside"] = _org(ics, OrganisationKind.PCN, "Riverside PCN", pcn=riverside)
    orgs["Hillside"] = _org(ics, OrganisationKind.PCN, "Hillside PCN", pcn=hillside)
    orgs["LMC"] = _org(ics, OrganisationKind.LMC, "ICS A LMC")
    orgs["Pharmacy"] = _org(ics, OrganisationKind.PHARMACY, "High Street Pharmacy", place=north)
    orgs["Patients"] = _org(ics, OrganisationKind.PATIENT_GROUP, "South Patients", place=south)
    other_practice = f.PracticeFactory(ics=other, name="Other Surgery")
    orgs["Other"] = _org(other, OrganisationKind.PRACTICE, "Other Surgery", practice=other_practice)
    orgs["Other LMC"] = _org(other, OrganisationKind.LMC, "ICS B LMC")

    for key, org, name in (
        ("Ann", "Abbey", "Ann Abbey"),
        ("Bob", "Brook", "Bob Brook"),
        ("Bea", "Brook", "Bea Brook"),
        ("Cat", "Castle", "Cat Castle"),
        ("Dan", "Dale", "Dan Dale"),
        ("Eve", "Elm", "Eve Elm"),
        ("Fay", "Fell", "Fay Fell"),
        ("Gus", "Glen", "Gus Glen"),
        ("Pat", "Riverside", "Pat Riverside"),
        ("Hal", "Hillside", "Hal Hillside"),
        ("Lou", "LMC", "Lou Lmc"),
        ("Phil", "Pharmacy", "Phil Pharmacy"),
        ("Peg", "Patients", "Peg Patients"),
        ("Otto", "Other", "Otto Other"),
        ("Lee", "Other LMC", "Lee Lmc"),
    ):
        contacts[key] = _contact(
            orgs[org], name, f"{key.lower()}@{org.lower().replace(' ', '')}.example"
        )
    gone = _contact(orgs["Abbey"], "Gone Person", "gone@abbey.example")
    Contact.objects.filter(pk=gone.pk).update(name="", email="", removed_at=timezone.now())
    _contact(orgs["Abbey"], "No Address", "")
    return Scene(
        cast=cast,
        position=draft(cast),
        north=north,
        south=south,
        riverside=riverside,
        hillside=hillside,
        coastal=coastal,
        orgs=orgs,
        contacts=contacts,
    )


@pytest.fixture
def scene(cast) -> Scene:
    return build_scene(cast)


def in_days(days: int) -> dt.date:
    return timezone.localdate() + dt.timedelta(days=days)


def open_main(scene: Scene, *, actor=None, closes_in: int = 10) -> Consultation:
    """Riverside PCN, the South place and the LMC: the consultation the summary is about."""
    return services.consultation_open(
        position=scene.position,
        actor=actor or scene.cast.gp_lead,
        closes_on=in_days(closes_in),
        audiences=Audiences(pcns=[scene.riverside], places=[scene.south], kinds=["lmc"]),
    )


def invited_names(consultation: Consultation) -> set[str]:
    return set(consultation.invitations.values_list("contact__name", flat=True))


def send_all(settings, kind: str = services.INVITATION_KIND) -> dict[str, str]:
    """Sends the waiting emails of a kind; returns each address's token from its link."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    ids = list(
        OutboxMessage.objects.filter(kind=kind, state="pending").values_list("pk", flat=True)
    )
    before = len(mail.outbox)
    mailer.send_ids(ids)
    tokens = {}
    for email in mail.outbox[before:]:
        match = LINK.search(email.body)
        assert match, email.body
        tokens[email.to[0]] = match.group(1)
    return tokens


def token_of(tokens: dict[str, str], scene: Scene, key: str) -> str:
    return tokens[scene.contacts[key].email]


def invitation(token: str) -> ConsultationInvitation:
    found = services.invitation_for_token(token)
    assert found is not None
    return found


def answer(tokens, scene, key, stance, text=""):
    return services.answer_record(
        invitation=invitation(token_of(tokens, scene, key)), stance=stance, text=text
    )


def answered_scene(scene: Scene, settings) -> tuple[Consultation, dict[str, str]]:
    """The main consultation with five answers: Ann supports; Bob has concerns; Bea would
    change it (and changes her words); Hillside PCN has concerns; the LMC would change it.
    Pat (Riverside PCN) and Cat (Castle) do not answer."""
    consultation = open_main(scene)
    tokens = send_all(settings)
    answer(tokens, scene, "Ann", Stance.SUPPORT)
    answer(tokens, scene, "Bob", Stance.CONCERNS, "The hub is too far for our patients.")
    answer(tokens, scene, "Bea", Stance.SUPPORT_WITH_CHANGES, "Start in winter.")
    answer(tokens, scene, "Bea", Stance.SUPPORT_WITH_CHANGES, "Start before winter.")
    answer(tokens, scene, "Hal", Stance.CONCERNS, "It is not funded.")
    answer(tokens, scene, "Lou", Stance.SUPPORT_WITH_CHANGES, "Give the LMC a seat.")
    return consultation, tokens


# --- Who is invited ----------------------------------------------------------------------------


def test_the_invitations_are_exactly_the_audiences_reachable_contacts(scene):
    consultation = open_main(scene)
    # Riverside: its current practices Abbey and Brook (not Glen, who left) and the PCN;
    # South: Castle (not Dale, closed) and Hillside PCN; the LMC of ICS A, not B's.
    # Abbey's removed contact and the one with no address are not asked.
    assert invited_names(consultation) == {
        "Ann Abbey",
        "Bob Brook",
        "Bea Brook",
        "Pat Riverside",
        "Cat Castle",
        "Hal Hillside",
        "Lou Lmc",
    }
    # What each invitation says about where it was, as it was that day.
    rows = {
        i.contact.name: (i.kind, i.place and i.place.name, i.pcn and i.pcn.name)
        for i in consultation.invitations.select_related("contact", "place", "pcn")
    }
    assert rows["Ann Abbey"] == ("practice", "North", "Riverside PCN")
    assert rows["Pat Riverside"] == ("pcn", "North", "Riverside PCN")
    assert rows["Cat Castle"] == ("practice", "South", "Hillside PCN")
    assert rows["Lou Lmc"] == ("lmc", None, None)
    event = AuditEvent.objects.get(event="consultation.opened")
    assert event.group_id == scene.cast.group.pk and event.ics_id == scene.cast.ics.pk
    assert event.payload["invited"] == 7 and event.payload["organisations"] == 6
    assert event.payload["pcns"] == [scene.riverside.code]
    assert "Ann" not in str(event.payload) and "@" not in str(event.payload)


def test_every_practice_and_the_partner_kinds(scene):
    consultation = services.consultation_open(
        position=scene.position,
        actor=scene.cast.chair,
        closes_on=in_days(5),
        audiences=Audiences(all_practices=True, kinds=["pharmacy", "patient_group"]),
    )
    assert invited_names(consultation) == {
        "Ann Abbey",
        "Bob Brook",
        "Bea Brook",
        "Cat Castle",
        "Eve Elm",
        "Fay Fell",
        "Gus Glen",
        "Phil Pharmacy",
        "Peg Patients",
    }


def test_a_place_brings_its_practices_and_pcns(scene):
    consultation = services.consultation_open(
        position=scene.position,
        actor=scene.cast.gp_lead,
        closes_on=in_days(5),
        audiences=Audiences(places=[scene.north]),
    )
    # Elm is in Coastal PCN, which has no entry in the register: its practice is asked.
    assert invited_names(consultation) == {
        "Ann Abbey",
        "Bob Brook",
        "Bea Brook",
        "Eve Elm",
        "Gus Glen",
        "Pat Riverside",
    }


def test_another_ics_s_contacts_are_never_invited(scene, cast):
    other_pcn = f.PCNFactory(ics=cast.other_ics, name="ICS B PCN")
    PracticePCNMembership.objects.create(
        practice=scene.orgs["Other"].practice, pcn=other_pcn, starts_on=dt.date(2020, 4, 1)
    )
    with pytest.raises(ConsultationError, match="Choose PCNs of this group's ICS"):
        services.consultation_open(
            position=scene.position,
            actor=cast.gp_lead,
            closes_on=in_days(5),
            audiences=Audiences(pcns=[other_pcn]),
        )
    consultation = services.consultation_open(
        position=scene.position,
        actor=cast.gp_lead,
        closes_on=in_days(5),
        audiences=Audiences(all_practices=True, kinds=["lmc"]),
    )
    emails = set(consultation.invitations.values_list("contact__email", flat=True))
    assert "otto@other.example" not in emails and "lee@otherlmc.example" not in emails
    assert not OutboxMessage.objects.filter(
        to_email__in=["otto@other.example", "lee@otherlmc.example"]
    )


@pytest.mark.parametrize(
    ("closes_in", "audiences", "message"),
    [
        (0, Audiences(all_practices=True), "The closing date must be in the future"),
        (-3, Audiences(all_practices=True), "The closing date must be in the future"),
        (400, Audiences(all_practices=True), "within a year"),
        (5, Audiences(), "Choose who to consult"),
        (5, Audiences(kinds=["practice"]), "Choose kinds of organisation from the list"),
        (5, Audiences(kinds=["optometry"]), "Nobody in those audiences has a contact"),
    ],
)
def test_opening_refuses_bad_input_and_saves_nothing(scene, closes_in, audiences, message):
    with pytest.raises(ConsultationError, match=message):
        services.consultation_open(
            position=scene.position,
            actor=scene.cast.gp_lead,
            closes_on=in_days(closes_in),
            audiences=audiences,
        )
    assert not Consultation.objects.exists() and not OutboxMessage.objects.exists()
    assert not AuditEvent.objects.filter(event__startswith="consultation.").exists()


def test_only_a_draft_not_voted_on_and_only_by_its_authors_or_the_chair(scene, cast):
    with pytest.raises(DomainError, match="authors or the chair"):
        open_main(scene, actor=cast.gp_rep)
    open_main(scene, actor=cast.chair)
    with pytest.raises(ConsultationError, match="already open"):
        open_main(scene)
    voted = draft(cast, "Voted on once")
    vote = group_services.vote_open(position=voted, actor=cast.chair)
    # Nobody votes, the deadline passes: inquorate; revised, a draft again.
    Vote.objects.filter(pk=vote.pk).update(closes_at=timezone.now() - dt.timedelta(minutes=1))
    group_services.vote_close(vote=vote)
    voted.refresh_from_db()
    with pytest.raises(ConsultationError, match="This position is inquorate"):
        services.consultation_open(
            position=voted,
            actor=cast.gp_lead,
            closes_on=in_days(5),
            audiences=Audiences(all_practices=True),
        )
    group_services.position_revise(
        position=voted,
        actor=cast.gp_lead,
        title="Voted on once, revised",
        summary="Pool same-day demand.",
        ask="Fund hubs.",
    )
    voted.refresh_from_db()
    assert voted.state == Position.State.DRAFT
    with pytest.raises(ConsultationError, match="already been voted on"):
        services.consultation_open(
            position=voted,
            actor=cast.gp_lead,
            closes_on=in_days(5),
            audiences=Audiences(all_practices=True),
        )


# --- Emails and links --------------------------------------------------------------------------


def test_each_contact_is_emailed_a_working_link_that_the_outbox_never_holds(scene, settings):
    consultation = open_main(scene)
    rows = OutboxMessage.objects.filter(kind=services.INVITATION_KIND)
    assert rows.count() == 7 and all(row.url == "" for row in rows)
    tokens = send_all(settings)
    assert set(tokens) == {
        scene.contacts[k].email for k in ("Ann", "Bob", "Bea", "Pat", "Cat", "Hal", "Lou")
    }
    email = next(m for m in mail.outbox if m.to == ["ann@abbey.example"])
    assert "Dear Ann Abbey," in email.body
    assert "Same-day access hubs in every place" in email.subject
    assert "please do not forward it" in email.body
    token = token_of(tokens, scene, "Ann")
    for row in OutboxMessage.objects.filter(kind=services.INVITATION_KIND):
        assert row.state == "sent" and token not in row.body + row.url + row.subject
    found = invitation(token)
    assert found.consultation == consultation and found.contact == scene.contacts["Ann"]
    assert found.token_hash != token and len(found.token_hash) == 64


def test_once_the_draft_goes_to_a_vote_the_links_take_no_more_answers(scene, cast, settings):
    """A consultation is on a draft: when the group moves on (to a vote, agreed or
    withdrawn) a link that worked stops working, an answer on its way is refused, and no
    reminder goes out."""
    consultation = open_main(scene)
    tokens = send_all(settings)
    # Another draft, consulted on with the same audiences and closing day, stays a draft.
    still_draft = services.consultation_open(
        position=draft(cast, "Still a draft"),
        actor=cast.gp_lead,
        closes_on=consultation.closes_on,
        audiences=Audiences(pcns=[scene.riverside], places=[scene.south], kinds=["lmc"]),
    )
    ready = invitation(token_of(tokens, scene, "Ann"))
    group_services.vote_open(position=scene.position, actor=cast.chair)
    assert services.invitation_for_token(token_of(tokens, scene, "Bob")) is None
    with pytest.raises(ConsultationError, match="moved on from this draft"):
        services.answer_record(invitation=ready, stance=Stance.SUPPORT, text="")
    assert not ConsultationAnswer.objects.exists()
    # Two days before the close only the draft's seven contacts are reminded.
    assert remind_consultations_closing(consultation.closes_at - dt.timedelta(days=2)) == 7
    reminded = OutboxMessage.objects.filter(kind=services.REMINDER_KIND)
    invitations = set(still_draft.invitations.values_list("pk", flat=True))
    assert {int(row.object_id) for row in reminded} == invitations


def test_those_answering_read_the_version_consulted_on(scene, cast, settings, client):
    open_main(scene)
    tokens = send_all(settings)
    group_services.position_revise(
        position=scene.position,
        actor=cast.gp_lead,
        title="A completely different ask",
        summary="Something else.",
        ask="Fund something else.",
    )
    url = reverse("engagement:consultation-respond", args=[token_of(tokens, scene, "Ann")])
    body = client.get(url)
    text = body.content.decode()
    assert body.status_code == 200
    assert "Same-day access hubs in every place" in text
    assert "A completely different ask" not in text


def test_a_guessed_or_expired_link_finds_nothing(scene, settings):
    consultation = open_main(scene)
    tokens = send_all(settings)
    token = token_of(tokens, scene, "Ann")
    assert services.invitation_for_token("x" * 43) is None
    assert services.invitation_for_token(token[:-1] + ("A" if token[-1] != "A" else "B")) is None
    assert services.invitation_for_token("short") is None
    Consultation.objects.filter(pk=consultation.pk).update(
        closes_at=timezone.now() - dt.timedelta(seconds=1)
    )
    assert services.invitation_for_token(token) is None


# --- Answers -----------------------------------------------------------------------------------


def test_answer_once_change_until_the_close_then_nothing(scene, settings):
    consultation = open_main(scene)
    tokens = send_all(settings)
    first = answer(tokens, scene, "Bob", Stance.CONCERNS, "  The hub is too far.  ")
    assert (first.stance, first.text, first.organisation) == (
        "concerns",
        "The hub is too far.",
        scene.orgs["Brook"],
    )
    same = answer(tokens, scene, "Bob", Stance.CONCERNS, "The hub is too far.")
    assert same.changed_at is None  # nothing changed: nothing recorded
    changed = answer(tokens, scene, "Bob", Stance.SUPPORT)
    assert changed.pk == first.pk and changed.stance == "support" and changed.text == ""
    assert ConsultationAnswer.objects.count() == 1
    events = list(
        AuditEvent.objects.filter(event__startswith="consultation.answer").values_list(
            "event", "actor_id", "role", "payload"
        )
    )
    assert [e[0] for e in events] == ["consultation.answered", "consultation.answer_changed"]
    assert all(actor is None and role == "anonymous" for _, actor, role, _ in events)
    assert events[1][3]["was"] == "concerns" and events[1][3]["organisation"] == "Brook Surgery"
    assert "too far" not in str(events)  # the text stays out of the trail
    services.consultation_close(consultation=consultation, actor=scene.cast.chair)
    assert services.invitation_for_token(token_of(tokens, scene, "Bob")) is None
    with pytest.raises(ConsultationError, match="has closed"):
        services.answer_record(invitation=first.invitation, stance=Stance.CONCERNS, text="Late")


@pytest.mark.parametrize(
    ("stance", "text", "message"),
    [
        ("maybe", "", "Choose whether your organisation supports"),
        (Stance.SUPPORT_WITH_CHANGES, "  ", "Enter the changes"),
        (Stance.CONCERNS, "", "Enter your organisation's concerns"),
        (Stance.CONCERNS, "<b>No</b>", "must be plain text: remove the HTML"),
        (Stance.CONCERNS, "x" * 5001, "5000 characters or fewer"),
    ],
)
def test_a_bad_answer_is_refused_and_nothing_is_saved(scene, settings, stance, text, message):
    open_main(scene)
    tokens = send_all(settings)
    with pytest.raises(ConsultationError, match=message):
        answer(tokens, scene, "Ann", stance, text)
    assert not ConsultationAnswer.objects.exists()


# --- The chair: close early, extend; the close at the end of the day ---------------------------


def test_the_chair_closes_early_and_extends(scene, cast, settings):
    consultation = open_main(scene)
    tokens = send_all(settings)
    with pytest.raises(DomainError, match="Only the chair"):
        services.consultation_extend(
            consultation=consultation, closes_on=in_days(20), actor=cast.gp_lead
        )
    for bad, message in ((in_days(10), "after the current one"), (in_days(-1), "in the future")):
        with pytest.raises(ConsultationError, match=message):
            services.consultation_extend(consultation=consultation, closes_on=bad, actor=cast.chair)
    services.consultation_extend(consultation=consultation, closes_on=in_days(20), actor=cast.chair)
    consultation.refresh_from_db()
    assert consultation.closes_on == in_days(20)
    # The end of the closing day, UK time.
    assert timezone.localtime(consultation.closes_at).time() == dt.time(0, 0)
    assert timezone.localdate(consultation.closes_at) == in_days(21)
    assert OutboxMessage.objects.count() == 7  # nothing sent again
    assert services.invitation_for_token(token_of(tokens, scene, "Cat")) is not None
    services.consultation_close(consultation=consultation, actor=cast.chair)
    with pytest.raises(ConsultationError, match="already closed"):
        services.consultation_close(consultation=consultation, actor=cast.chair)
    with pytest.raises(ConsultationError, match="has closed"):
        services.consultation_extend(
            consultation=consultation, closes_on=in_days(30), actor=cast.chair
        )
    events = AuditEvent.objects.filter(event__in=["consultation.extended", "consultation.closed"])
    assert [(e.event, e.role) for e in events.order_by("id")] == [
        ("consultation.extended", "group_chair"),
        ("consultation.closed", "group_chair"),
    ]
    assert events.get(event="consultation.extended").payload == {
        "position": scene.position.pk,
        "from": in_days(10).isoformat(),
        "to": in_days(20).isoformat(),
    }
    assert events.get(event="consultation.closed").payload["early"] is True
    # Closed, a new one can be opened on the same draft.
    assert open_main(scene).pk != consultation.pk


def test_the_scan_records_the_close_once_the_closing_day_is_over(scene):
    consultation = open_main(scene)
    assert services.consultations_close_due() == []
    end = consultation.closes_at
    assert services.consultations_close_due(end - dt.timedelta(seconds=1)) == []
    Consultation.objects.filter(pk=consultation.pk).update(closes_at=timezone.now())
    send_reminders()
    send_reminders()  # twice: closed once
    consultation.refresh_from_db()
    assert consultation.state == "closed" and consultation.closed_by is None
    event = AuditEvent.objects.get(event="consultation.closed")
    assert event.role == "system" and event.payload["early"] is False
    assert event.payload["invited"] == 7 and event.payload["answered"] == 0


# --- Reminders ---------------------------------------------------------------------------------


def test_reminders_go_three_days_before_only_to_those_who_have_not_answered_and_once(
    scene, settings
):
    consultation, tokens = answered_scene(scene, settings)
    end = consultation.closes_at
    assert remind_consultations_closing(end - dt.timedelta(days=3, seconds=1)) == 0
    assert remind_consultations_closing(end - dt.timedelta(days=2)) == 2  # Pat and Cat
    assert remind_consultations_closing(end - dt.timedelta(days=1)) == 0
    reminded = send_all(settings, services.REMINDER_KIND)
    assert set(reminded) == {"pat@riverside.example", "cat@castle.example"}
    reminder = next(
        m for m in mail.outbox if m.to == ["cat@castle.example"] and "Closes" in m.subject
    )
    assert "have not had your answer" in reminder.body
    # The reminder's link works and replaces the first email's.
    assert services.invitation_for_token(token_of(tokens, scene, "Cat")) is None
    assert invitation(reminded["cat@castle.example"]).contact == scene.contacts["Cat"]
    # Moving the closing date reminds nobody again.
    services.consultation_extend(
        consultation=consultation, closes_on=in_days(20), actor=scene.cast.chair
    )
    consultation.refresh_from_db()
    assert remind_consultations_closing(consultation.closes_at - dt.timedelta(days=2)) == 0
    assert OutboxMessage.objects.filter(kind=services.REMINDER_KIND).count() == 2


def test_a_reminder_that_fails_leaves_the_first_link_working_until_one_arrives(scene, settings):
    """A link is minted as each email is built; one whose email the server never took must
    not replace the link the contact already has."""
    consultation, tokens = answered_scene(scene, settings)
    first = token_of(tokens, scene, "Cat")
    assert remind_consultations_closing(consultation.closes_at - dt.timedelta(days=2)) == 2
    rows = OutboxMessage.objects.filter(kind=services.REMINDER_KIND)
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", free_port()  # nothing listens
    assert mailer.send_ids(list(rows.values_list("pk", flat=True))) == 0
    assert set(rows.values_list("state", flat=True)) == {"pending"}
    assert invitation(first).contact == scene.contacts["Cat"]
    # The retry reaches the server: its link works and the first one no longer does.
    rows.update(next_attempt_at=timezone.now())
    reminded = send_all(settings, services.REMINDER_KIND)
    assert invitation(reminded["cat@castle.example"]).contact == scene.contacts["Cat"]
    assert services.invitation_for_token(first) is None
    assert set(rows.values_list("state", flat=True)) == {"sent"}


def test_no_reminder_for_a_consultation_opened_inside_the_last_three_days(scene):
    consultation = open_main(scene, closes_in=2)
    assert remind_consultations_closing(consultation.closes_at - dt.timedelta(days=1)) == 0


# --- Erasure -----------------------------------------------------------------------------------


def test_an_erased_contact_still_counts_and_their_words_stay_without_their_name(scene, settings):
    consultation, tokens = answered_scene(scene, settings)
    before = services.consultation_summary(consultation)
    contact_remove(contact=scene.contacts["Bob"], reason="Asked by email", actor=scene.cast.chair)
    after = services.consultation_summary(consultation)
    assert after == before
    assert any(a.text == "The hub is too far for our patients." for a in after.answers)
    assert services.invitation_for_token(token_of(tokens, scene, "Bob")) is None
    assert not OutboxMessage.objects.filter(to_email="bob@brook.example").exists()
    assert ConsultationInvitation.objects.filter(contact=scene.contacts["Bob"]).exists()


# --- The summary, the journey step and the report ----------------------------------------------


def test_the_summary_figures(scene, settings):
    consultation, _ = answered_scene(scene, settings)
    s = services.consultation_summary(consultation)

    def row(t):
        return (t.label, t.invited, t.answered, t.support, t.changes, t.concerns)

    # 7 asked; 5 answered: Ann support; Bea and Lou changes; Bob and Hal concerns.
    assert row(s.total) == ("All invited contacts", 7, 5, 1, 2, 2)
    assert [row(t) for t in s.by_audience] == [
        ("GP practice", 4, 3, 1, 1, 1),  # Ann, Bob, Bea, Cat
        ("Primary care network", 2, 1, 0, 0, 1),  # Pat, Hal
        ("Local medical committee", 1, 1, 0, 1, 0),  # Lou
    ]
    assert [row(t) for t in s.by_place] == [
        ("North", 4, 3, 1, 1, 1),  # Ann, Bob, Bea and Pat (Riverside PCN is in North)
        ("South", 2, 1, 0, 0, 1),  # Cat, Hal
        ("No place recorded", 1, 1, 0, 1, 0),  # the LMC
    ]
    assert [row(t) for t in s.by_pcn] == [
        ("Hillside PCN", 2, 1, 0, 0, 1),  # Castle and the PCN
        ("Riverside PCN", 4, 3, 1, 1, 1),  # Abbey, Brook (2) and the PCN
    ]
    # Organisations: Abbey, Brook, Riverside, Castle, Hillside, the LMC; 4 answered.
    assert (s.organisations_answered, s.organisations_invited) == (4, 6)
    # Practices: Abbey and Brook of Abbey, Brook and Castle.
    assert (s.practices_taking_part, s.practices_invited) == (["Abbey Surgery", "Brook Surgery"], 3)
    # Riverside through its practices (the PCN itself did not answer); Hillside through the
    # PCN (its practice did not).
    assert (s.pcns_taking_part, s.pcns_invited) == (["Hillside PCN", "Riverside PCN"], 2)
    texts = {(a.organisation, a.stance, a.text) for a in s.answers}
    assert texts == {
        ("Abbey Surgery", "support", ""),
        ("Brook Surgery", "concerns", "The hub is too far for our patients."),
        ("Brook Surgery", "changes", "Start before winter."),
        ("Hillside PCN", "concerns", "It is not funded."),
        ("ICS A LMC", "changes", "Give the LMC a seat."),
    }
    assert [a.changed_at is not None for a in s.answers if a.text == "Start before winter."] == [
        True
    ]


def test_the_position_s_journey_shows_who_took_part(scene, settings):
    assert position_journey(scene.position) == []
    consultation, _ = answered_scene(scene, settings)
    steps = [step for step in position_journey(scene.position) if "Consulted" in step.label]
    assert [step.label for step in steps] == [
        "Consulted practices and partners: 2 practices and 2 PCNs answered, "
        "of 3 practices and 2 PCNs asked"
    ]
    assert "5 of 7 invited contacts answered" in steps[0].text
    assert f"/consultations/{consultation.pk}/" in steps[0].url


def test_the_report_counts_the_practices_and_pcns_consulted(scene, settings, cast):
    this_year = reports.financial_year(timezone.localdate())
    assert reports.consultations(ics=cast.ics, period=this_year) is None  # never consulted
    answered_scene(scene, settings)
    # Abbey, Brook, Castle; Riverside and Hillside.
    assert reports.consultations(ics=cast.ics, period=this_year) == reports.Consultations(3, 2)
    second = draft(cast, "A second draft")
    services.consultation_open(
        position=second,
        actor=cast.gp_lead,
        closes_on=in_days(5),
        audiences=Audiences(all_practices=True),
    )
    # Adds Elm, Fell and Glen; Coastal (Elm's). Glen and Fell are in no PCN now.
    assert reports.consultations(ics=cast.ics, period=this_year) == reports.Consultations(6, 3)
    report = reports.influence_report(ics=cast.ics, period=this_year)
    assert (report.practices_consulted.display, report.pcns_consulted.display) == ("6", "3")
    last_year = reports.financial_year(this_year.start - dt.timedelta(days=1))
    assert reports.consultations(ics=cast.ics, period=last_year) == reports.Consultations(0, 0)
    assert reports.consultations(ics=cast.other_ics, period=this_year) is None
