"""Consultations: open one on a draft (inviting and emailing the audiences' contacts), answer
through a personal link, close early, extend, and the scan's close at the end of the closing
day. Each write is one transaction with its audit event; a broken rule raises
ConsultationError with a sentence for the person.

Audit payloads carry organisations and counts, never a contact's name or address (the trail is
append-only, and a contact can ask to be erased), nor an answer's text.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone

from engagement.models.consultations import (
    STAKEHOLDER_KINDS,
    Consultation,
    ConsultationAnswer,
    ConsultationInvitation,
    Stance,
    end_of_day,
)
from engagement.models.register import Contact, OrganisationKind
from groups.models import PCN, Place, Position, Practice, PracticePCNMembership, Vote
from groups.services.common import require_author_or_chair, require_chair, role_code
from icsvoice import audit, links
from icsvoice.errors import DomainError
from icsvoice.models import OutboxMessage, User
from icsvoice.notifications import notify_addresses
from icsvoice.registry import JourneyStep
from icsvoice.reminders import long_date
from icsvoice.text import markup_in

INVITATION_KIND = "consultation.invitation"
REMINDER_KIND = "consultation.reminder"
ANSWER_MAX = 5000
PLAIN_TEXT = "Your answer must be plain text: remove the HTML ({found})"
LONGEST = dt.timedelta(days=366)  # the furthest a closing date may be set


class ConsultationError(DomainError):
    pass


@dataclass(frozen=True)
class Audiences:
    """Who a consultation asks: every practice of the ICS, its chosen PCNs (each PCN and its
    current practices), its chosen places (their practices and PCNs), and kinds of partner
    organisation."""

    all_practices: bool = False
    pcns: Sequence[PCN] = ()
    places: Sequence[Place] = ()
    kinds: Sequence[str] = ()

    def chosen(self) -> bool:
        return bool(self.all_practices or self.pcns or self.places or self.kinds)


def respond_path(token: str) -> str:
    return reverse("engagement:consultation-respond", args=[token])


def summary_path(consultation: Consultation) -> str:
    return reverse("engagement:consultation-detail", args=[consultation.pk])


# --- Who is asked ------------------------------------------------------------------------------


def audience_contacts(*, ics_id: int, audiences: Audiences) -> list[Contact]:
    """The reachable contacts at the organisations of the ICS in the audiences, with their
    organisations (and its practice and PCN): one query."""
    today = timezone.localdate()
    practice_ids = PracticePCNMembership.objects.current(today).filter(
        pcn__in=[pcn.pk for pcn in audiences.pcns]
    )
    in_audience = Q(pk__in=[])
    open_practice = Q(organisation__practice__status=Practice.Status.ACTIVE)
    if audiences.all_practices:
        in_audience |= Q(organisation__kind=OrganisationKind.PRACTICE) & open_practice
    if audiences.pcns:
        in_audience |= Q(organisation__pcn__in=[pcn.pk for pcn in audiences.pcns])
        in_audience |= open_practice & Q(
            organisation__practice__in=practice_ids.values("practice_id")
        )
    if audiences.places:
        place_ids = [place.pk for place in audiences.places]
        in_audience |= open_practice & Q(organisation__practice__place__in=place_ids)
        in_audience |= Q(organisation__pcn__place__in=place_ids)
    if audiences.kinds:
        in_audience |= Q(organisation__kind__in=list(audiences.kinds))
    return list(
        Contact.objects.reachable()
        .filter(organisation__ics_id=ics_id)
        .filter(in_audience)
        .select_related("organisation__practice", "organisation__pcn")
        .order_by("organisation__name", "organisation_id", "pk")
    )


def _practice_pcns(practice_ids: Iterable[int]) -> dict[int, int]:
    """Each practice's PCN today (the earliest current membership where there are two)."""
    rows = (
        PracticePCNMembership.objects.current()
        .filter(practice_id__in=set(practice_ids))
        .order_by("-starts_on", "-pk")
        .values_list("practice_id", "pcn_id")
    )
    return dict(rows)  # later rows win: the earliest start, so the longest-standing PCN


def _invitation(
    consultation: Consultation, contact: Contact, pcns: dict[int, int]
) -> ConsultationInvitation:
    organisation = contact.organisation
    practice, pcn = organisation.practice, organisation.pcn
    if practice is not None:
        place_id = practice.place_id or organisation.place_id
        pcn_id = pcns.get(practice.pk)
    elif pcn is not None:
        place_id = pcn.place_id or organisation.place_id
        pcn_id = pcn.pk
    else:
        place_id, pcn_id = organisation.place_id, None
    return ConsultationInvitation(
        consultation=consultation,
        contact=contact,
        organisation=organisation,
        kind=organisation.kind,
        place_id=place_id,
        pcn_id=pcn_id,
    )


def _email_text(consultation: Consultation, title: str, group_name: str) -> tuple[str, str]:
    closes = long_date(consultation.closes_on)
    subject = f"Your views, please: “{title}”"
    body = (
        f"{group_name} is consulting general practice and its partners on a draft position: "
        f"“{title}”.\n"
        f"Please read it and tell the group whether your organisation supports it, supports it "
        f"with changes, or has concerns. It takes a few minutes, and needs no account.\n"
        f"You can change your answer until the consultation closes at the end of {closes}."
    )
    return subject, body


def _closing_date(closes_on: dt.date | None) -> dt.date:
    if closes_on is None:
        raise ConsultationError("Enter the closing date")
    today = timezone.localdate()
    if closes_on <= today:
        raise ConsultationError("The closing date must be in the future")
    if closes_on > today + LONGEST:
        raise ConsultationError("The closing date must be within a year")
    return closes_on


# --- Opening -----------------------------------------------------------------------------------


def open_refusal(position: Position) -> str:
    """Why a consultation cannot be opened on the position now, or "" if it can."""
    if position.state != Position.State.DRAFT:
        return (
            f"This position is {position.get_state_display().lower()}: only a draft can be "
            "consulted on."
        )
    if Vote.objects.filter(position=position).exists():
        return "This position has already been voted on, so it can no longer be consulted on."
    if (
        Consultation.objects.filter(position=position)
        .filter(state=Consultation.State.OPEN, closes_at__gt=timezone.now())
        .exists()
    ):
        return "A consultation on this position is already open."
    return ""


@transaction.atomic
def consultation_open(
    *, position: Position, actor: User, closes_on: dt.date | None, audiences: Audiences
) -> Consultation:
    """An author or the chair consults the audiences on a draft not yet voted on. Snapshots
    the invitations (one per reachable contact) and queues one email each, whose personal
    link is minted when it is sent."""
    membership = require_author_or_chair(position, actor)
    position = (
        Position.objects.select_for_update(of=("self",))
        .select_related("group", "current_version")
        .get(pk=position.pk)
    )
    refusal = open_refusal(position)
    if refusal:
        raise ConsultationError(refusal)
    # One whose closing day is over but whose close the scan has not yet recorded.
    now = timezone.now()
    for stale in Consultation.objects.filter(position=position).filter(
        state=Consultation.State.OPEN, closes_at__lte=now
    ):
        _record_close(stale, now)
    closes_on = _closing_date(closes_on)
    group = position.group
    _check_audiences(group.ics_id, audiences)
    contacts = audience_contacts(ics_id=group.ics_id, audiences=audiences)
    if not contacts:
        raise ConsultationError(
            "Nobody in those audiences has a contact we can email. Choose other audiences, "
            "or add contacts to the stakeholder register first."
        )
    version = position.current_version
    assert version is not None
    try:
        with transaction.atomic():
            consultation = Consultation.objects.create(
                position=position,
                group=group,
                version=version,
                closes_on=closes_on,
                closes_at=end_of_day(closes_on),
                all_practices=audiences.all_practices,
                stakeholder_kinds=sorted(set(audiences.kinds)),
                opened_by=actor,
            )
    except IntegrityError:
        raise ConsultationError("A consultation on this position is already open.") from None
    consultation.pcns.set(audiences.pcns)
    consultation.places.set(audiences.places)
    pcns = _practice_pcns(
        c.organisation.practice_id for c in contacts if c.organisation.practice_id
    )
    invitations = ConsultationInvitation.objects.bulk_create(
        [_invitation(consultation, contact, pcns) for contact in contacts]
    )
    audit.record(
        event="consultation.opened",
        actor=actor,
        role=role_code(membership),
        obj=consultation,
        ics_id=group.ics_id,
        payload={
            "position": position.pk,
            "version": version.number,
            "closes_on": closes_on,
            "all_practices": audiences.all_practices,
            "pcns": sorted(pcn.code for pcn in audiences.pcns),
            "places": sorted(place.name for place in audiences.places),
            "kinds": sorted(set(audiences.kinds)),
            "invited": len(invitations),
            "organisations": len({c.organisation_id for c in contacts}),
        },
    )
    subject, body = _email_text(consultation, version.title, group.name)
    by_pk = {contact.pk: contact for contact in contacts}
    notify_addresses(
        kind=INVITATION_KIND,
        objects_and_addresses=[
            (invitation, by_pk[invitation.contact_id].email, greeting(by_pk[invitation.contact_id]))
            for invitation in invitations
        ],
        subject=subject,
        body=body,
    )
    return consultation


def greeting(contact: Contact) -> str:
    return contact.name or f"colleague at {contact.organisation.name}"


def _check_audiences(ics_id: int, audiences: Audiences) -> None:
    if not audiences.chosen():
        raise ConsultationError("Choose who to consult")
    if any(pcn.ics_id != ics_id for pcn in audiences.pcns):
        raise ConsultationError("Choose PCNs of this group's ICS")
    if any(place.ics_id != ics_id for place in audiences.places):
        raise ConsultationError("Choose places of this group's ICS")
    if any(kind not in STAKEHOLDER_KINDS for kind in audiences.kinds):
        raise ConsultationError("Choose kinds of organisation from the list")


# --- Answering through the link ---------------------------------------------------------------


def invitation_for_token(token: str) -> ConsultationInvitation | None:
    """The invitation whose link this is, if the link still works: the latest email's (or
    one on its way, until the server accepts it and it becomes the latest), the consultation
    open and its closing day not over, the contact not removed. One query."""
    if not links.looks_like_token(token):
        return None
    invitation = (
        ConsultationInvitation.objects.select_related(
            "consultation__position",
            "consultation__version",
            "consultation__group",
            "organisation",
            "contact",
            "answer",
        )
        .filter(links.opens(token))
        .first()
    )
    if invitation is None:
        return None
    if not invitation.consultation.is_open():
        return None
    if invitation.consultation.position.state != Position.State.DRAFT:
        return None  # the group has moved on: to a vote, agreed or withdrawn
    if invitation.contact.removed_at is not None:
        return None
    return invitation


def answer_of(invitation: ConsultationInvitation) -> ConsultationAnswer | None:
    try:
        return invitation.answer
    except ConsultationAnswer.DoesNotExist:
        return None


def _clean_answer(stance: str, text: str) -> str:
    if stance not in Stance.values:
        raise ConsultationError("Choose whether your organisation supports the position")
    text = (text or "").strip()
    if stance != Stance.SUPPORT and not text:
        if stance == Stance.SUPPORT_WITH_CHANGES:
            raise ConsultationError("Enter the changes your organisation would make")
        raise ConsultationError("Enter your organisation's concerns")
    if len(text) > ANSWER_MAX:
        raise ConsultationError(f"Your answer must be {ANSWER_MAX} characters or fewer")
    found = markup_in(text)
    if found:
        raise ConsultationError(PLAIN_TEXT.format(found=found))
    return text


@transaction.atomic
def answer_record(
    *, invitation: ConsultationInvitation, stance: str, text: str
) -> ConsultationAnswer:
    """The invited contact answers for their organisation, or changes their answer, while
    the consultation is open. No account: the audit event has no actor."""
    text = _clean_answer(stance, text)
    locked = (
        ConsultationInvitation.objects.select_for_update(of=("self",))
        .select_related("consultation", "organisation")
        .get(pk=invitation.pk)
    )
    # Locked too, so a close cannot commit between this check and the answer.
    consultation = (
        Consultation.objects.select_for_update(of=("self",))
        .select_related("position")
        .get(pk=locked.consultation_id)
    )
    if not consultation.is_open():
        raise ConsultationError("This consultation has closed, so answers can no longer change.")
    if consultation.position.state != Position.State.DRAFT:
        raise ConsultationError(
            "The group has moved on from this draft, so answers can no longer change."
        )
    now = timezone.now()
    existing = ConsultationAnswer.objects.filter(invitation=locked).first()
    payload = {
        "consultation": consultation.pk,
        "invitation": locked.pk,
        "organisation": locked.organisation.name,
        "stance": stance,
    }
    if existing is None:
        answer = ConsultationAnswer.objects.create(
            invitation=locked,
            consultation=consultation,
            organisation=locked.organisation,
            stance=stance,
            text=text,
            answered_at=now,
        )
        event = "consultation.answered"
    else:
        if existing.stance == stance and existing.text == text:
            return existing
        payload["was"] = existing.stance
        existing.stance, existing.text, existing.changed_at = stance, text, now
        existing.save(update_fields=["stance", "text", "changed_at"])
        answer = existing
        event = "consultation.answer_changed"
    audit.record(
        event=event,
        actor=None,
        role="anonymous",
        obj=answer,
        ics_id=consultation.group.ics_id,
        payload=payload,
    )
    return answer


# --- The chair: close early, extend ----------------------------------------------------------


@transaction.atomic
def consultation_close(*, consultation: Consultation, actor: User) -> Consultation:
    """The chair closes an open consultation before its closing date: every link stops
    working now."""
    membership = require_chair(consultation.group, actor)
    now = timezone.now()
    moved = Consultation.objects.filter(
        pk=consultation.pk, state=Consultation.State.OPEN, closes_at__gt=now
    ).update(state=Consultation.State.CLOSED, closed_at=now, closed_by=actor)
    if moved != 1:
        raise ConsultationError("This consultation has already closed.")
    consultation.refresh_from_db()
    audit.record(
        event="consultation.closed",
        actor=actor,
        role=role_code(membership),
        obj=consultation,
        ics_id=consultation.group.ics_id,
        payload={
            "position": consultation.position_id,
            "early": True,
            "closes_on": consultation.closes_on,
            **_counts(consultation),
        },
    )
    return consultation


@transaction.atomic
def consultation_extend(
    *, consultation: Consultation, closes_on: dt.date | None, actor: User
) -> Consultation:
    """The chair moves an open consultation's closing date later. Nothing is sent again:
    the links already sent work until the new close."""
    membership = require_chair(consultation.group, actor)
    closes_on = _closing_date(closes_on)
    if closes_on <= consultation.closes_on:
        raise ConsultationError(
            f"The new closing date must be after the current one, "
            f"{long_date(consultation.closes_on)}"
        )
    was = consultation.closes_on
    moved = Consultation.objects.filter(
        pk=consultation.pk,
        state=Consultation.State.OPEN,
        closes_at__gt=timezone.now(),
        closes_on=was,
    ).update(closes_on=closes_on, closes_at=end_of_day(closes_on))
    if moved != 1:
        raise ConsultationError("This consultation has closed, or its date was just changed.")
    consultation.refresh_from_db()
    audit.record(
        event="consultation.extended",
        actor=actor,
        role=role_code(membership),
        obj=consultation,
        ics_id=consultation.group.ics_id,
        payload={"position": consultation.position_id, "from": was, "to": closes_on},
    )
    return consultation


def _counts(consultation: Consultation) -> dict[str, int]:
    return {
        "invited": consultation.invitations.count(),
        "answered": consultation.answers.count(),
    }


def consultations_close_due(now: dt.datetime | None = None) -> list[int]:
    """Records the close of every open consultation whose closing day is over (the links
    stopped working at that moment already). Each in its own transaction; safe to run
    twice or on two workers."""
    now = now or timezone.now()
    due = Consultation.objects.filter(state=Consultation.State.OPEN, closes_at__lte=now)
    closed = []
    for consultation in due.select_related("group").order_by("closes_at", "pk"):
        with transaction.atomic():
            if _record_close(consultation, now):
                closed.append(consultation.pk)
    return closed


def _record_close(consultation: Consultation, now: dt.datetime) -> bool:
    """Records the close of a consultation whose closing day is over, if nobody has yet."""
    moved = Consultation.objects.filter(
        pk=consultation.pk, state=Consultation.State.OPEN, closes_at__lte=now
    ).update(state=Consultation.State.CLOSED, closed_at=consultation.closes_at)
    if moved != 1:
        return False
    audit.record(
        event="consultation.closed",
        actor=None,
        role=audit.SYSTEM_ROLE,
        obj=consultation,
        ics_id=consultation.group.ics_id,
        payload={
            "position": consultation.position_id,
            "early": False,
            "closes_on": consultation.closes_on,
            **_counts(consultation),
        },
    )
    return True


# --- The personal link, minted when an email is sent -------------------------------------------


def mint_link(message: OutboxMessage) -> str:
    """Called by the mailer as it builds an invitation or reminder: a new token for the
    invitation and the link's path. Its hash is kept as pending: the link already working
    stays so until the server accepts this email (`link_sent`), and a retry mints again."""
    token, hashed = links.new_token()
    ConsultationInvitation.objects.filter(pk=int(message.object_id)).update(
        pending_token_hash=hashed
    )
    return respond_path(token)


def link_sent(message: OutboxMessage) -> None:
    """Called by the mailer once the server has accepted the email: its link replaces the
    last, so only the newest email's link works."""
    links.promote(
        ConsultationInvitation.objects.filter(pk=int(message.object_id)),
        token_sent_at=timezone.now(),
    )


# --- Reads: the summary, the journey step, the report's figures ----------------------------


@dataclass
class Tally:
    """Invitations and answers in one slice of a consultation (an audience, a place, a PCN)."""

    label: str
    invited: int = 0
    answered: int = 0
    support: int = 0
    changes: int = 0
    concerns: int = 0

    def add(self, stance: str | None) -> None:
        self.invited += 1
        if stance is None:
            return
        self.answered += 1
        if stance == Stance.SUPPORT:
            self.support += 1
        elif stance == Stance.SUPPORT_WITH_CHANGES:
            self.changes += 1
        else:
            self.concerns += 1


@dataclass(frozen=True)
class AnswerRow:
    """An answer as the group reads it: the organisation, never the person."""

    organisation: str
    kind: str
    place: str
    pcn: str
    stance: str
    text: str
    answered_at: dt.datetime
    changed_at: dt.datetime | None

    @property
    def stance_label(self) -> str:
        return Stance(self.stance).label


@dataclass
class Summary:
    total: Tally
    by_audience: list[Tally]
    by_place: list[Tally]
    by_pcn: list[Tally]
    answers: list[AnswerRow]
    organisations_invited: int
    organisations_answered: int
    practices_invited: int
    practices_taking_part: list[str]
    pcns_invited: int
    pcns_taking_part: list[str]


NO_PLACE = "No place recorded"
NO_PCN = "Practices not in a PCN"


def _ordered(tallies: dict[str, Tally], last: str) -> list[Tally]:
    return sorted(tallies.values(), key=lambda t: (t.label == last, t.label.lower()))


def consultation_summary(consultation: Consultation) -> Summary:
    """Who was asked and who answered, by audience (kind of organisation), by place and by
    PCN, and every answer with its organisation: one query however many invitations."""
    kinds = dict(OrganisationKind.choices)
    rows = consultation.invitations.order_by("organisation__name", "pk").values_list(
        "organisation_id",
        "organisation__name",
        "kind",
        "organisation__practice_id",
        "place__name",
        "pcn_id",
        "pcn__name",
        "answer__stance",
        "answer__text",
        "answer__answered_at",
        "answer__changed_at",
    )
    total = Tally("All invited contacts")
    audiences: dict[str, Tally] = {}
    places: dict[str, Tally] = {}
    pcns: dict[str, Tally] = {}
    answers: list[AnswerRow] = []
    organisations: set[int] = set()
    answering: set[int] = set()
    practices: dict[int, str] = {}
    practices_answered: set[int] = set()
    pcn_names: dict[int, str] = {}
    pcns_answered: set[int] = set()
    for (
        org_id,
        org_name,
        kind,
        practice_id,
        place,
        pcn_id,
        pcn_name,
        stance,
        text,
        answered_at,
        changed_at,
    ) in rows:
        kind_label = kinds.get(kind, kind)
        total.add(stance)
        audiences.setdefault(kind, Tally(kind_label)).add(stance)
        place_label = place or NO_PLACE
        places.setdefault(place_label, Tally(place_label)).add(stance)
        organisations.add(org_id)
        if practice_id is not None:
            practices[practice_id] = org_name
        if pcn_id is not None:
            pcn_names[pcn_id] = pcn_name
            pcns.setdefault(pcn_name, Tally(pcn_name)).add(stance)
        elif practice_id is not None:
            pcns.setdefault(NO_PCN, Tally(NO_PCN)).add(stance)
        if stance is None:
            continue
        answering.add(org_id)
        if practice_id is not None:
            practices_answered.add(practice_id)
        if pcn_id is not None:
            pcns_answered.add(pcn_id)
        answers.append(
            AnswerRow(
                organisation=org_name,
                kind=kind_label,
                place=place or "",
                pcn=pcn_name or "",
                stance=stance,
                text=text,
                answered_at=answered_at,
                changed_at=changed_at,
            )
        )
    return Summary(
        total=total,
        by_audience=[audiences[kind] for kind in kinds if kind in audiences],
        by_place=_ordered(places, NO_PLACE),
        by_pcn=_ordered(pcns, NO_PCN),
        answers=answers,
        organisations_invited=len(organisations),
        organisations_answered=len(answering),
        practices_invited=len(practices),
        practices_taking_part=sorted((practices[pk] for pk in practices_answered), key=str.lower),
        pcns_invited=len(pcn_names),
        pcns_taking_part=sorted((pcn_names[pk] for pk in pcns_answered), key=str.lower),
    )


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def position_journey_steps(position: object) -> list[JourneyStep]:
    """The position's consultations, oldest first, with how many practices and PCNs took
    part (a PCN takes part if it or one of its practices answered): one query."""
    position_id = getattr(position, "pk", None)
    if position_id is None:
        return []
    answered = Q(invitations__answer__isnull=False)
    rows = (
        Consultation.objects.filter(position_id=position_id)
        .annotate(
            n_invited=Count("invitations", distinct=True),
            n_answered=Count("invitations", distinct=True, filter=answered),
            n_practices=Count("invitations__organisation__practice", distinct=True),
            n_practices_answered=Count(
                "invitations__organisation__practice", distinct=True, filter=answered
            ),
            n_pcns=Count("invitations__pcn", distinct=True),
            n_pcns_answered=Count("invitations__pcn", distinct=True, filter=answered),
        )
        .order_by("opened_at", "pk")
    )
    steps = []
    for c in rows:
        ended = timezone.localdate(c.ended_at - dt.timedelta(microseconds=1))
        if c.is_open():
            when = f"Open until the end of {long_date(c.closes_on)}."
        else:
            when = f"Closed on {long_date(ended)}."
        steps.append(
            JourneyStep(
                label=(
                    f"Consulted practices and partners: "
                    f"{_plural(c.n_practices_answered, 'practice')} and "
                    f"{_plural(c.n_pcns_answered, 'PCN')} answered, of "
                    f"{_plural(c.n_practices, 'practice')} and {_plural(c.n_pcns, 'PCN')} asked"
                ),
                when=c.opened_at,
                text=f"{when} {c.n_answered} of {c.n_invited} invited contacts answered.",
                url=summary_path(c),
            )
        )
    return steps


def consulted_in(*, ics_id: int, lower: dt.datetime, upper: dt.datetime) -> tuple[int, int] | None:
    """(GP practices, PCNs) of the ICS asked in consultations opened from `lower` to before
    `upper` (a PCN is asked when it or one of its practices is), or None when the ICS has
    never opened a consultation: then they are not recorded here. One query."""
    in_period = Q(opened_at__gte=lower, opened_at__lt=upper)
    totals = Consultation.objects.filter(group__ics_id=ics_id).aggregate(
        ever=Count("pk", distinct=True),
        practices=Count("invitations__organisation__practice", distinct=True, filter=in_period),
        pcns=Count("invitations__pcn", distinct=True, filter=in_period),
    )
    if not totals["ever"]:
        return None
    return totals["practices"], totals["pcns"]
