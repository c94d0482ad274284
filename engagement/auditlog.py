"""The audit trail as ICS staff review it: filters, pages newest first, exports.

Everything is scoped to one ICS (`AuditEvent.ics_id`). Pages are keyset pages on the
event's number, never OFFSET, so the hundredth page costs what the first does; a date range
becomes a range of event numbers first (events are numbered in time order, see
`icsvoice.audit.record`), so an old range does not walk every newer event. Exports read
the same query in keyset chunks and stream, so memory stays flat however many rows.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from django import forms
from django.db.models import CharField, Q, QuerySet, TextField
from django.db.models.functions import Cast
from django.utils import timezone

from boards.models import Board
from groups.forms.common import NHSForm
from groups.models import ICS, LeadershipGroup, TermsOfReference, Vote
from icsvoice.forms_nhsuk import DATE_PARTS, DateField
from icsvoice.models import AuditEvent, User
from icsvoice.text import spreadsheet_safe

PAGE_SIZE = 50
CLOCK_MARGIN = dt.timedelta(minutes=5)
YEARS = (2000, 2099)
EXPORT_CHUNK = 2000

# What each event means, in plain English. A test checks that every event the code records
# is here; an event missing from it still shows, by its code.
EVENTS: dict[str, str] = {
    "auth.sign_in_failed": "Sign-in failed",
    "auth.signed_in": "Signed in",
    "auth.signed_out": "Signed out",
    "api.token_created": "API token created",
    "api.token_revoked": "API token revoked",
    "board.action_added": "Board action added",
    "board.action_done": "Board action done",
    "board.agenda_item_added": "Agenda item added",
    "board.agenda_item_changed": "Agenda item changed",
    "board.agenda_item_moved": "Agenda item moved",
    "board.agenda_item_removed": "Agenda item removed",
    "board.agenda_published": "Agenda published",
    "board.agenda_version_started": "New agenda version started",
    "board.appointment_cancelled": "Representative appointment cancelled",
    "board.appointment_opened": "Representative nominations opened",
    "board.attendance_recorded": "Attendance recorded",
    "board.attendee_added": "Person in attendance added",
    "board.brief_account_recorded": "Representative's account recorded",
    "board.brief_routed": "Brief routed another way",
    "board.brief_tabled": "Brief tabled for a meeting",
    "board.created": "Board set up",
    "board.decision_recorded": "Board decision recorded",
    "board.declaration_recorded": "Declaration at a meeting recorded",
    "board.meeting_cancelled": "Meeting cancelled",
    "board.meeting_changed": "Meeting changed",
    "board.meeting_scheduled": "Meeting scheduled",
    "board.minutes_approved": "Minutes approved",
    "board.minutes_changed": "Minutes changed",
    "board.minutes_drafted": "Minutes drafted",
    "board.nomination_recorded": "Practice nomination recorded",
    "board.pack_built": "Meeting pack built",
    "board.pack_sent": "Meeting pack sent",
    "board.paper_added": "Paper added",
    "board.representative_appointed": "GP representative appointed",
    "board.response_due_changed": "Board response due date changed",
    "board.response_recorded": "Board response recorded",
    "board.rules_changed": "Board rules changed",
    "board.seat_added": "Board seat added",
    "board.seat_ended": "Board seat ended",
    "consultation.answer_changed": "Consultation answer changed",
    "consultation.answered": "Consultation answered",
    "consultation.closed": "Consultation closed",
    "consultation.extended": "Consultation's closing date moved later",
    "consultation.opened": "Consultation opened (invitations sent)",
    "group.member_added": "Group member added",
    "group.member_ended": "Group membership ended",
    "group.member_role_changed": "Group member's role changed",
    "ics.reviewer_added": "ICS staff reviewer added",
    "interest.ended": "Interest ended",
    "interest.registered": "Interest registered",
    "interview.answered": "Exit interview answered (by the leaver)",
    "interview.answers_saved": "Exit interview answers saved to finish later (by the leaver)",
    "interview.link_resent": "Exit interview link emailed again (by a named reader)",
    "interview.erased": "Leaver's name and email address erased from an exit interview",
    "interview.invited": "Leaver invited to an exit interview",
    "interview.questions_changed": "Exit interview questions changed",
    "interview.themes_tagged": "Exit interview's themes tagged",
    "learning.review_cancelled": "Learning review cancelled",
    "learning.review_flagged": "Flagged for a learning review",
    "learning.review_recorded": "Learning review recorded",
    "log.event_changed": "Engagement event changed",
    "log.event_recorded": "Engagement event recorded",
    "ods.imported": "ODS reference data imported",
    "outbox.resent": "Failed emails sent again",
    "position.amendment_accepted": "Amendment accepted",
    "position.amendment_declined": "Amendment declined",
    "position.amendment_proposed": "Amendment proposed",
    "position.coauthors_changed": "Co-authors changed",
    "position.commented": "Comment added",
    "position.drafted": "Position drafted",
    "position.evidence_added": "Evidence added",
    "position.interest_declared": "Interest declared on a position",
    "position.revised": "Position revised",
    "position.withdrawn": "Position withdrawn",
    "register.contact_added": "Contact added to the stakeholder register",
    "register.contact_changed": "Contact's details changed",
    "register.contact_removed": "Contact removed on request (details erased)",
    "register.organisation_added": "Organisation added to the stakeholder register",
    "register.practices_added": "GP practices and PCNs added to the stakeholder register",
    "terms.adopted": "Terms of reference adopted",
    "terms.proposed": "Terms of reference proposed",
    "terms.rejected": "Terms of reference rejected",
    "terms.withdrawn": "Terms of reference withdrawn",
    "user.created": "Account created",
    "user.notifications_set": "Email settings changed",
    "vote.cast": "Vote cast (named ballot)",
    "vote.changed": "Vote changed (named ballot)",
    "vote.closed": "Vote closed",
    "vote.opened": "Vote opened",
    "vote.participated": "Voted (secret ballot)",
}

# The capacity a person acted in (AuditEvent.role).
ROLES: dict[str, str] = {
    "group_member": "GP lead (group member)",
    "group_chair": "Group chair",
    "gp_representative": "GP board representative",
    "secretary": "Board secretary",
    "chair": "Board chair",
    "member": "Board member",
    "site_admin": "Site administrator",
    "system": "The system (scheduled work)",
    "self": "The person themselves",
    "anonymous": "Not signed in",
}

# What an event can be about (AuditEvent.object_type).
OBJECTS: dict[str, str] = {
    "groups.position": "Position",
    "groups.vote": "Vote",
    "groups.amendment": "Amendment",
    "groups.attachment": "Evidence",
    "groups.positiondeclaration": "Interest declared on a position",
    "groups.interest": "Register of interests entry",
    "groups.groupmembership": "Group membership",
    "groups.termsofreference": "Terms of reference",
    "groups.leadershipgroup": "Leadership group",
    "boards.brief": "Brief",
    "boards.boardresponse": "Board response",
    "boards.meeting": "Meeting",
    "boards.agendaversion": "Agenda version",
    "boards.agendaitem": "Agenda item",
    "boards.paper": "Paper",
    "boards.attendance": "Attendance",
    "boards.meetingdeclaration": "Declaration at a meeting",
    "boards.minutes": "Minutes",
    "boards.decision": "Board decision",
    "boards.action": "Board action",
    "boards.meetingpack": "Meeting pack",
    "boards.board": "Board",
    "boards.boardseat": "Board seat",
    "boards.appointment": "Representative appointment",
    "boards.nomination": "Practice nomination",
    "engagement.consultation": "Consultation",
    "engagement.consultationanswer": "Consultation answer",
    "engagement.contact": "Stakeholder register contact",
    "engagement.engagementevent": "Engagement event",
    "engagement.exitinterview": "Exit interview",
    "engagement.interviewquestion": "Exit interview question",
    "engagement.learningreview": "Learning review",
    "engagement.organisation": "Stakeholder register organisation",
}


def event_label(code: str) -> str:
    return EVENTS.get(code, code)


def role_label(code: str) -> str:
    return ROLES.get(code, code)


def object_label(code: str) -> str:
    return OBJECTS.get(code, code)


def _choices(catalogue: dict[str, str], any_label: str) -> list[tuple[str, str]]:
    return [("", any_label), *sorted(catalogue.items(), key=lambda item: item[1])]


class AuditFilters(NHSForm):
    """The review's filters, read from the query string. Every field is optional."""

    group = forms.ModelChoiceField(
        queryset=LeadershipGroup.objects.none(),
        required=False,
        empty_label="Any group",
        label="Leadership group",
        help_text="Events recorded before 5 December 2026 are not linked to a group: find "
        "them by what they are about.",
        error_messages={"invalid_choice": "Choose a leadership group from the list"},
    )
    board = forms.ModelChoiceField(
        queryset=Board.objects.none(),
        required=False,
        empty_label="Any board",
        label="Board",
        help_text="Events recorded before 5 December 2026 are not linked to a board.",
        error_messages={"invalid_choice": "Choose a board from the list"},
    )
    person = forms.EmailField(
        required=False,
        label="Person's email address",
        max_length=254,
        help_text="Everything they did, in any role.",
        widget=forms.EmailInput(attrs={"class": "nhsuk-u-width-two-thirds"}),
        error_messages={"invalid": "Enter an email address in the correct format"},
    )
    role = forms.ChoiceField(
        required=False,
        label="Acting as",
        choices=_choices(ROLES, "Any role"),
        error_messages={"invalid_choice": "Choose a role from the list"},
    )
    event = forms.ChoiceField(
        required=False,
        label="What happened",
        choices=_choices(EVENTS, "Anything"),
        error_messages={"invalid_choice": "Choose what happened from the list"},
    )
    object_type = forms.ChoiceField(
        required=False,
        label="About",
        choices=_choices(OBJECTS, "Anything"),
        error_messages={"invalid_choice": "Choose what the event is about from the list"},
    )
    object_id = forms.RegexField(
        required=False,
        regex=r"^[0-9]{1,18}$",
        label="Its number",
        help_text="For example, a position's number, from its page's address.",
        max_length=18,
        widget=forms.TextInput(attrs={"class": "nhsuk-input--width-10", "inputmode": "numeric"}),
        error_messages={"invalid": "Its number must be a whole number, like 42"},
    )
    date_from = DateField(required=False, label="From", help_text="For example, 1 4 2026")
    date_to = DateField(required=False, label="To", help_text="For example, 31 3 2027")
    q = forms.CharField(
        required=False,
        label="Words in the details",
        max_length=100,
        help_text="Searches what was recorded with each event: titles, reasons, outcomes.",
        widget=forms.TextInput(attrs={"class": "nhsuk-u-width-two-thirds"}),
    )

    def __init__(self, data: Any, *, ics: ICS) -> None:
        super().__init__(data)
        self.ics = ics
        group_field = self.fields["group"]
        board_field = self.fields["board"]
        assert isinstance(group_field, forms.ModelChoiceField)
        assert isinstance(board_field, forms.ModelChoiceField)
        group_field.queryset = LeadershipGroup.objects.filter(ics=ics).order_by("name")
        board_field.queryset = Board.objects.filter(ics=ics).order_by("name")

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        start, end = cleaned.get("date_from"), cleaned.get("date_to")
        for name, value in (("date_from", start), ("date_to", end)):
            if value and not YEARS[0] <= value.year <= YEARS[1]:
                self.add_error(name, f"Enter a year from {YEARS[0]} to {YEARS[1]}")
                start = end = None
        if start and end and end < start:
            self.add_error("date_to", "The 'to' date must be the same as or after the 'from' date")
        if cleaned.get("object_id") and not cleaned.get("object_type"):
            self.add_error("object_type", "Choose what the event is about, to find it by number")
        return cleaned

    def as_query(self) -> dict[str, str]:
        """The filters as query-string pairs, for page and export links."""
        if not self.is_bound:
            return {}
        data = self.data
        keys = [name for name in self.fields if name not in ("date_from", "date_to")]
        keys += [
            f"{name}[{part}]" for name in ("date_from", "date_to") for part, _, _ in DATE_PARTS
        ]
        return {key: str(data.get(key)) for key in keys if data.get(key)}


def _bounds(start: dt.date | None, end: dt.date | None) -> Q:
    """The events between two UK dates (inclusive), as a range of event numbers and times.

    The numbers make the database read only that stretch of the index; the times keep the
    answer exact at the edges. The numbers are looked up with a margin, for events whose
    times do not quite follow their numbers (two servers' clocks a little apart, or events
    written before times were read under the chain's lock)."""
    q = Q()
    tz = timezone.get_current_timezone()
    if start:
        since = dt.datetime.combine(start, dt.time.min, tzinfo=tz)
        first = (
            AuditEvent.objects.filter(occurred_at__gte=since - CLOCK_MARGIN)
            .order_by("occurred_at", "id")
            .values_list("id", flat=True)
            .first()
        )
        q &= Q(id__gte=first if first is not None else 2**62) & Q(occurred_at__gte=since)
    if end:
        until = dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min, tzinfo=tz)
        after = (
            AuditEvent.objects.filter(occurred_at__gte=until + CLOCK_MARGIN)
            .order_by("occurred_at", "id")
            .values_list("id", flat=True)
            .first()
        )
        if after is not None:
            q &= Q(id__lt=after)
        q &= Q(occurred_at__lt=until)
    return q


def events_for(ics: ICS, filters: dict[str, Any]) -> QuerySet[AuditEvent]:
    """The ICS's events that pass the filters (cleaned AuditFilters data), unordered."""
    events = AuditEvent.objects.filter(ics_id=ics.pk)
    if filters.get("person"):
        person = User.objects.filter(email=filters["person"].lower()).values_list("pk").first()
        if person is None:
            return events.none()
        events = events.filter(actor_id=person[0])
    if filters.get("group"):
        events = events.filter(group_id=filters["group"].pk)
    if filters.get("board"):
        events = events.filter(board_id=filters["board"].pk)
    if filters.get("role"):
        events = events.filter(role=filters["role"])
    if filters.get("event"):
        events = events.filter(event=filters["event"])
    if filters.get("object_type"):
        events = events.filter(object_type=filters["object_type"])
        if filters.get("object_id"):
            events = events.filter(object_id=filters["object_id"])
    events = events.filter(_bounds(filters.get("date_from"), filters.get("date_to")))
    if filters.get("q"):
        events = (
            events.annotate(details=Cast("payload", TextField()))
            .filter(details__icontains=filters["q"])
            .exclude(_withheld_from_search())
        )
    return events


def _withheld_from_search() -> Q:
    """Events whose withheld details a word search could still reveal (a search for
    "against" finding one person's sealed ballot): they are not searched at all."""
    as_text = Cast("pk", CharField())
    sealed = Vote.objects.filter(
        state=Vote.State.OPEN, results_hidden_until_close=True
    ).values_list(as_text)
    secret = Vote.objects.filter(ballot=TermsOfReference.Ballot.SECRET).values_list(as_text)
    return Q(object_type=VOTE_TYPE) & (
        Q(event__in=["vote.cast", "vote.changed"], object_id__in=sealed)
        | Q(event="vote.closed", object_id__in=secret)
    )


@dataclass(frozen=True)
class Page:
    events: list[AuditEvent]
    newer: int | None  # the `after` cursor for the page before (newer events), if any
    older: int | None  # the `before` cursor for the next page (older events), if any


def page_of(
    events: QuerySet[AuditEvent],
    *,
    before: int | None = None,
    after: int | None = None,
    size: int = PAGE_SIZE,
) -> Page:
    """One page, newest first: the events before `before`, or the page just after `after`
    (the newer neighbour), or the newest. One query, two with the actor's name."""
    fields = events.select_related("actor")
    if after is not None:
        rows = list(fields.filter(id__gt=after).order_by("id")[: size + 1])
        more_newer = len(rows) > size
        rows = rows[:size][::-1]
        return Page(
            rows,
            newer=rows[0].id if more_newer and rows else None,
            older=rows[-1].id if rows else None,
        )
    if before is not None:
        fields = fields.filter(id__lt=before)
    rows = list(fields.order_by("-id")[: size + 1])
    more_older = len(rows) > size
    rows = rows[:size]
    return Page(
        rows,
        newer=rows[0].id if before is not None and rows else None,
        older=rows[-1].id if more_older and rows else None,
    )


# --- What a vote's events withhold ----------------------------------------------------------

# The vote pages' rules hold in the trail too. A secret ballot's event never held a choice,
# but the closing event's counts by choice are withheld (across a handful of members they can
# say how each voted): participation only. A named ballot's choice and reason are withheld
# while its vote is open and its group hides results until the vote closes.
VOTE_TYPE = "groups.vote"
SECRET_TALLY_KEYS = ("for", "against", "abstain")  # vote.closed
HIDDEN_CHOICE_KEYS = ("choice", "from", "reason")  # vote.cast, vote.changed


@dataclass(frozen=True)
class VoteRule:
    secret: bool
    hidden_now: bool  # open, and its group hides results until close


def _get(row: Any, name: str) -> Any:
    return row[name] if isinstance(row, dict) else getattr(row, name)


def _is_id(text: str) -> bool:
    return text.isascii() and text.isdigit() and len(text) < 19


def vote_rules(rows: Iterable[Any]) -> dict[str, VoteRule]:
    """How each vote among these events' objects may be shown, by object id: one query, or
    none when no event is about a vote. Rows are events or their values() dicts."""
    ids = {
        _get(row, "object_id")
        for row in rows
        if _get(row, "object_type") == VOTE_TYPE and _is_id(_get(row, "object_id"))
    }
    if not ids:
        return {}
    found = Vote.objects.filter(pk__in=[int(i) for i in ids]).values_list(
        "pk", "ballot", "state", "results_hidden_until_close"
    )
    return {
        str(pk): VoteRule(
            secret=ballot == TermsOfReference.Ballot.SECRET,
            hidden_now=state == Vote.State.OPEN and hidden,
        )
        for pk, ballot, state, hidden in found
    }


def shown_payload(row: Any, rules: dict[str, VoteRule]) -> tuple[Any, list[str]]:
    """An event's details as a reviewer may see them now, and the keys withheld from them
    (so it is plain that such details no longer match the event's hash)."""
    payload = _get(row, "payload")
    rule = rules.get(_get(row, "object_id")) if _get(row, "object_type") == VOTE_TYPE else None
    if rule is None or not isinstance(payload, dict):
        return payload, []
    hidden = (SECRET_TALLY_KEYS if rule.secret else ()) + (
        HIDDEN_CHOICE_KEYS if rule.hidden_now else ()
    )
    withheld = [key for key in hidden if key in payload]
    return {k: v for k, v in payload.items() if k not in withheld}, withheld


# --- Exports ---------------------------------------------------------------------------------

EXPORT_FIELDS = [
    "id",
    "occurred_at",
    "actor_id",
    "actor_label",
    "role",
    "event",
    "object_type",
    "object_id",
    "ics_id",
    "group_id",
    "board_id",
    "payload",
    "prev_hash",
    "hash",
]
CSV_HEADER = [
    "event_number",
    "occurred_at_utc",
    "person_id",
    "person_email",
    "role",
    "event",
    "event_meaning",
    "object_type",
    "object_id",
    "ics_id",
    "group_id",
    "board_id",
    "details_json",
    "withheld_from_details",
    "prev_hash",
    "hash",
]


def _rows(events: QuerySet[AuditEvent], chunk: int = EXPORT_CHUNK) -> Iterator[dict[str, Any]]:
    """Every event of the query, oldest first, read in keyset chunks (bounded memory on
    SQLite and PostgreSQL alike, and no long-held cursor)."""
    after = 0
    while True:
        page = list(events.filter(id__gt=after).order_by("id").values(*EXPORT_FIELDS)[:chunk])
        if not page:
            return
        rules = vote_rules(page)
        for row in page:
            row["payload"], row["withheld"] = shown_payload(row, rules)
            yield row
        after = page[-1]["id"]


def _when(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).isoformat(timespec="microseconds")


def csv_lines(events: QuerySet[AuditEvent]) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)

    def line(values: Iterable[Any]) -> str:
        buffer.seek(0)
        buffer.truncate()
        writer.writerow(values)
        return buffer.getvalue()

    yield line(CSV_HEADER)
    for row in _rows(events):
        yield line(
            [
                value if not isinstance(value, str) else spreadsheet_safe(value)
                for value in [
                    row["id"],
                    _when(row["occurred_at"]),
                    row["actor_id"] or "",
                    row["actor_label"],
                    row["role"],
                    row["event"],
                    event_label(row["event"]),
                    row["object_type"],
                    row["object_id"],
                    row["ics_id"] or "",
                    row["group_id"] or "",
                    row["board_id"] or "",
                    json.dumps(row["payload"], sort_keys=True, ensure_ascii=False),
                    " ".join(row["withheld"]),
                    row["prev_hash"],
                    row["hash"],
                ]
            ]
        )


def json_chunks(events: QuerySet[AuditEvent], *, meta: dict[str, Any]) -> Iterator[str]:
    """One JSON document, {"export": meta, "events": [...]}, written as it is read."""
    yield '{"export": ' + json.dumps(meta, sort_keys=True) + ', "events": ['
    first = True
    for row in _rows(events):
        item = {
            "id": row["id"],
            "occurred_at": _when(row["occurred_at"]),
            "actor_id": row["actor_id"],
            "actor_label": row["actor_label"],
            "role": row["role"],
            "event": row["event"],
            "event_meaning": event_label(row["event"]),
            "object_type": row["object_type"],
            "object_id": row["object_id"],
            "ics_id": row["ics_id"],
            "group_id": row["group_id"],
            "board_id": row["board_id"],
            "payload": row["payload"],
            "withheld": row["withheld"],
            "prev_hash": row["prev_hash"],
            "hash": row["hash"],
        }
        yield ("" if first else ",") + "\n" + json.dumps(item, ensure_ascii=False)
        first = False
    yield "\n]}\n"


def person_named(email: str) -> User | None:
    return User.objects.filter(email=email.lower()).first()
