"""A position's journey, and the ICS reviewer's list of every position (selectors).

`journey(position, reader=)` reads every step from the first draft to the board's response from the
domain tables, oldest first, and pairs each with the audit event that evidences it. It runs a
fixed number of queries however long the journey is.

Secret ballots: a secret vote's steps say who could vote, how many voted and who was
recused, and the outcome; never a count by choice, nor anything that links a person to a
choice. Named ballots show the count by choice once the vote has closed, as the group's own
vote page does.

Board business: a board's agenda steps are shown in full (the draft agenda, each published
version's change note, the presenter, a private item's title) only to the board's readers, as
`boards.access` defines them: its current seat holders and the ICS's staff reviewers. Everyone
else sees the published versions as the public pages do: no draft, no change note, no
presenter, and a private item as "confidential item" with its reason; nor the reason a meeting
was cancelled (written for the seat holders).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db.models import (
    Count,
    Exists,
    IntegerField,
    Model,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone

from boards.models import (
    AgendaItem,
    AgendaVersion,
    Board,
    BoardResponse,
    BoardSeat,
    Brief,
    Meeting,
    Part,
)
from groups.models import (
    ICS,
    VERSION_FIELDS,
    Amendment,
    Attachment,
    Position,
    PositionDeclaration,
    PositionVersion,
    Vote,
    VoteEligibility,
    VoteParticipation,
)
from icsvoice.models import AuditEvent, User
from icsvoice.registry import has_role

# The audit events a journey step can cite. Vote casts are never read: their payloads say
# how a named ballot went, and the journey shows counts only.
JOURNEY_EVENTS = (
    "position.drafted",
    "position.revised",
    "position.coauthors_changed",
    "position.withdrawn",
    "position.amendment_proposed",
    "position.amendment_accepted",
    "position.amendment_declined",
    "position.evidence_added",
    "position.interest_declared",
    "vote.opened",
    "vote.closed",
    "board.brief_tabled",
    "board.brief_routed",
    "board.agenda_item_added",
    "board.agenda_published",
    "board.attendance_recorded",
    "board.meeting_cancelled",
    "board.brief_account_recorded",
    "board.response_recorded",
    "board.response_due_changed",
)

FIELD_LABELS = dict(VERSION_FIELDS)
EXCERPT = 600


def _type(model: type[Model]) -> str:
    return model._meta.label_lower


def _day(value: dt.date) -> str:
    return f"{value:%-d %B %Y}"


def _moment(value: dt.datetime) -> str:
    return f"{timezone.localtime(value):%-d %B %Y at %H:%M}"


def _name(user: User | None) -> str:
    return str(user) if user is not None else ""


def _payload_day(value: Any) -> str:
    """A date an audit payload holds as ISO text, as people read it; "" if it holds none."""
    try:
        return _day(dt.date.fromisoformat(str(value))) if value else ""
    except ValueError:
        return ""


def _excerpt(text: str) -> str:
    return text if len(text) <= EXCERPT else text[: EXCERPT - 1].rstrip() + "…"


@dataclass(frozen=True)
class Evidence:
    """The audit event that records a step."""

    event_id: int
    object_type: str
    object_id: str


@dataclass
class Step:
    kind: str  # stable, for exports: drafted, revised, vote_closed, response, ...
    label: str
    at: dt.datetime
    actor: str = ""
    text: str = ""
    facts: list[tuple[str, str]] = field(default_factory=list)
    links: list[tuple[str, str]] = field(default_factory=list)  # (text, url)
    evidence: Evidence | None = None
    # Where the step sorts, when that is not `at`: a meeting is never placed before the
    # steps that put the position on its agenda.
    sort_at: dt.datetime | None = None


@dataclass(frozen=True)
class BoardStatus:
    """Where a position stands with one board: its route, and what the board did."""

    board: str
    route: str
    outcome: str  # "Adopted", "Deferred", "Awaiting the board's response", "Not tabled"...
    outcome_on: dt.date | None
    due_on: dt.date | None
    overdue: bool
    final: bool
    tag: str  # the nhsuk-tag colour

    @property
    def summary(self) -> str:
        said = f"{self.board}: {self.outcome}"
        if self.outcome_on:
            said += f", {_day(self.outcome_on)}"
        if not self.final and self.due_on:
            said += f" (response due by {_day(self.due_on)}{', overdue' if self.overdue else ''})"
        return said


@dataclass
class Journey:
    position: Position
    steps: list[Step]
    coauthors: list[User]
    boards: list[BoardStatus]


# --- Where a position stands with its boards -------------------------------------------------

RESPONSE_TAGS = {
    BoardResponse.Kind.ADOPTED: "green",
    BoardResponse.Kind.ADOPTED_WITH_CHANGES: "green",
    BoardResponse.Kind.NOTED: "blue",
    BoardResponse.Kind.DEFERRED: "yellow",
    BoardResponse.Kind.DECLINED: "red",
}


def board_status(brief: Brief, responses: Sequence[BoardResponse]) -> BoardStatus:
    """From a brief (with its board) and its responses, oldest first."""
    board = brief.board.name
    route = brief.get_route_display()
    if not brief.is_tabled:
        return BoardStatus(
            board, route, route, timezone.localdate(brief.routed_at), None, False, True, "grey"
        )
    due = brief.response_due_on
    latest = responses[-1] if responses else None
    final = latest is not None and latest.kind != BoardResponse.Kind.DEFERRED
    overdue = not final and due is not None and due < timezone.localdate()
    if latest is None:
        return BoardStatus(
            board,
            route,
            "Awaiting the board's response",
            None,
            due,
            overdue,
            False,
            "red" if overdue else "white",
        )
    return BoardStatus(
        board,
        route,
        latest.get_kind_display(),
        timezone.localdate(latest.recorded_at),
        due,
        overdue,
        final,
        RESPONSE_TAGS[BoardResponse.Kind(latest.kind)],
    )


# --- The ICS reviewer's list of positions ----------------------------------------------------


def ics_positions(
    ics: ICS,
    *,
    words: Iterable[str] = (),
    group_id: int | None = None,
    state: str | None = None,
) -> QuerySet[Position]:
    """Every position of the ICS's groups, newest first, with its group, current version,
    the date it was agreed and its briefs (board and responses): three queries per page.
    Each word must appear in the title, summary or ask of one of the position's versions."""
    positions = Position.objects.filter(group__ics=ics)
    for word in words:
        positions = positions.filter(
            Exists(
                PositionVersion.objects.filter(position=OuterRef("pk")).filter(
                    Q(title__icontains=word) | Q(summary__icontains=word) | Q(ask__icontains=word)
                )
            )
        )
    if group_id is not None:
        positions = positions.filter(group_id=group_id)
    if state:
        positions = positions.filter(state=state)
    agreed_at = Vote.objects.filter(position=OuterRef("pk"), outcome=Vote.Outcome.AGREED)
    briefs = Brief.objects.select_related("board").order_by("routed_at", "pk")
    responses = BoardResponse.objects.order_by("recorded_at", "pk")
    return (
        positions.select_related("group", "current_version", "created_by")
        .annotate(agreed_at=Subquery(agreed_at.values("closed_at")[:1]))
        .prefetch_related(
            Prefetch("briefs", queryset=briefs.prefetch_related(Prefetch("responses", responses)))
        )
        .order_by("-created_at", "-pk")
    )


def boards_of(position: Position) -> list[BoardStatus]:
    """For a position from ics_positions (briefs and responses prefetched)."""
    return [board_status(brief, list(brief.responses.all())) for brief in position.briefs.all()]


# --- The journey -----------------------------------------------------------------------------


class _Events:
    """The journey's audit events, found by (event, object)."""

    def __init__(self, events: Iterable[AuditEvent]) -> None:
        self._by: dict[tuple[str, str, str], list[AuditEvent]] = defaultdict(list)
        for event in events:
            self._by[(event.event, event.object_type, event.object_id)].append(event)

    def all(self, name: str, obj: Model) -> list[AuditEvent]:
        return self._by.get((name, _type(type(obj)), str(obj.pk)), [])

    def first(self, name: str, obj: Model) -> AuditEvent | None:
        found = self.all(name, obj)
        return found[0] if found else None

    def last(self, name: str, obj: Model) -> AuditEvent | None:
        found = self.all(name, obj)
        return found[-1] if found else None


def _evidence(event: AuditEvent | None) -> Evidence | None:
    if event is None:
        return None
    return Evidence(event.pk, event.object_type, event.object_id)


def _count(model: type[Model], **filters: Any) -> Coalesce:
    rows = (
        model._default_manager.filter(vote=OuterRef("pk"), **filters)
        .order_by()
        .values("vote")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(rows, output_field=IntegerField()), Value(0))


def _version_link(position: Position, version: PositionVersion) -> tuple[str, str]:
    return (
        f"Version {version.number}: {version.title}",
        reverse("groups:position-version", args=[position.pk, version.number]),
    )


@dataclass
class _Data:
    """Everything the journey reads, one query each."""

    versions: list[PositionVersion]
    amendments: list[Amendment]
    attachments: list[Attachment]
    declarations: list[PositionDeclaration]
    votes: list[Vote]
    recused: dict[int, list[str]]
    briefs: list[Brief]
    items: list[AgendaItem]
    events: _Events
    people: dict[int, User]
    reads: set[int]  # the boards whose business the reader may see in full


def boards_read(user: User, boards: Iterable[Board]) -> set[int]:
    """Of these boards (with their ICS id), the ids of those the person reads, as
    `boards.access` has it: every one of the ICSs they are a staff reviewer of, and those
    they hold a current seat on. One query at most, however many boards."""
    boards = list(boards)
    read = {b.pk for b in boards if has_role(user, "ics_reviewer", ics_id=b.ics_id)}
    rest = sorted({b.pk for b in boards} - read)
    if rest:
        seats = BoardSeat.objects.current().filter(user=user, board_id__in=rest)
        read.update(seats.values_list("board_id", flat=True))
    return read


def _read(position: Position, reader: User) -> _Data:
    versions = list(
        PositionVersion.objects.filter(position=position)
        .select_related("created_by")
        .order_by("number")
    )
    amendments = list(
        Amendment.objects.filter(position=position).select_related("proposed_by", "decided_by")
    )
    attachments = list(Attachment.objects.filter(position=position).select_related("uploaded_by"))
    declarations = list(
        PositionDeclaration.objects.filter(position=position).select_related(
            "member", "recorded_by"
        )
    )
    votes: list[Vote] = list(
        Vote.objects.filter(position=position)
        .select_related("terms", "version", "opened_by", "closed_by")
        .annotate(
            members_count=_count(VoteEligibility),
            recused_count=_count(VoteEligibility, recused=True),
            voted_count=_count(VoteParticipation),
        )
        .order_by("round")
    )
    recused: dict[int, list[str]] = defaultdict(list)
    for row in (
        VoteEligibility.objects.filter(vote__position=position, recused=True)
        .select_related("member")
        .order_by("member__full_name", "pk")
    ):
        recused[row.vote_id].append(str(row.member))
    briefs = list(
        Brief.objects.filter(position=position)
        .select_related("board", "routed_by", "requested_meeting", "version")
        .prefetch_related(
            Prefetch(
                "responses",
                BoardResponse.objects.select_related("meeting", "recorded_by").order_by(
                    "recorded_at", "pk"
                ),
            )
        )
        .order_by("routed_at", "pk")
    )
    # Every item of every agenda version of the meetings the briefs were tabled for: the
    # brief's item number depends on the items around it.
    items = list(
        AgendaItem.objects.filter(
            version__meeting__in=Brief.objects.filter(position=position).values("requested_meeting")
        )
        .select_related("version__published_by", "version__created_by")
        .order_by("version__meeting_id", "version__number", "pk")
    )
    events = _Events(_events(position, amendments, attachments, declarations, votes, briefs, items))
    people = _people(position, events)
    reads = boards_read(reader, {b.board_id: b.board for b in briefs}.values())
    return _Data(
        versions,
        amendments,
        attachments,
        declarations,
        votes,
        recused,
        briefs,
        items,
        events,
        people,
        reads,
    )


def _events(
    position: Position,
    amendments: list[Amendment],
    attachments: list[Attachment],
    declarations: list[PositionDeclaration],
    votes: list[Vote],
    briefs: list[Brief],
    items: list[AgendaItem],
) -> list[AuditEvent]:
    objects: dict[str, set[Any]] = {
        _type(Position): {position.pk},
        _type(Amendment): {a.pk for a in amendments},
        _type(Attachment): {a.pk for a in attachments},
        _type(PositionDeclaration): {d.pk for d in declarations},
        _type(Vote): {v.pk for v in votes},
        _type(Brief): {b.pk for b in briefs},
        _type(BoardResponse): {r.pk for b in briefs for r in b.responses.all()},
        _type(AgendaItem): {i.pk for i in items if i.brief_id},
        _type(AgendaVersion): {i.version_id for i in items if i.brief_id},
        _type(Meeting): {b.requested_meeting_id for b in briefs if b.requested_meeting_id},
    }
    where = Q()
    for object_type, pks in objects.items():
        if pks:
            where |= Q(object_type=object_type, object_id__in=sorted(str(pk) for pk in pks))
    return list(
        AuditEvent.objects.filter(where, ics_id=position.group.ics_id, event__in=JOURNEY_EVENTS)
        .select_related("actor")
        .only(
            "id",
            "occurred_at",
            "actor",
            "actor__full_name",
            "actor__email",
            "event",
            "object_type",
            "object_id",
            "payload",
        )
        .order_by("id")
    )


def _people(position: Position, events: _Events) -> dict[int, User]:
    """The position's co-authors now, and everyone its co-author events name: one query."""
    ids: set[int] = set()
    for event in events.all("position.drafted", position):
        ids.update(event.payload.get("coauthors") or [])
    for event in events.all("position.coauthors_changed", position):
        ids.update(event.payload.get("added") or [])
        ids.update(event.payload.get("removed") or [])
    people = User.objects.filter(Q(pk__in=sorted(ids)) | Q(positions_coauthored=position))
    people = people.annotate(
        is_coauthor=Exists(
            Position.coauthors.through.objects.filter(position=position, user=OuterRef("pk"))
        )
    )
    return {person.pk: person for person in people.distinct().order_by("full_name", "pk")}


def _names(people: dict[int, User], ids: Iterable[int]) -> str:
    return ", ".join(str(people[i]) if i in people else f"person {i}" for i in ids)


# --- The steps, part by part -----------------------------------------------------------------


def _group_steps(position: Position, data: _Data) -> list[Step]:
    steps: list[Step] = []
    events = data.events
    revised = {
        event.payload.get("version"): event for event in events.all("position.revised", position)
    }
    by_version = {v.pk: v for v in data.versions}
    for version in data.versions:
        if version.number == 1:
            drafted = events.first("position.drafted", position)
            facts = [("Version", "1"), ("Theme", position.get_theme_display())]
            if drafted is not None and drafted.payload.get("coauthors"):
                facts.append(("Co-authors", _names(data.people, drafted.payload["coauthors"])))
            steps.append(
                Step(
                    "drafted",
                    "Drafted (version 1)",
                    version.created_at,
                    _name(version.created_by),
                    f"“{version.title}”",
                    facts,
                    [_version_link(position, version)],
                    _evidence(drafted),
                )
            )
            continue
        event = revised.get(version.number)
        facts = [("Version", str(version.number))]
        if event is not None:
            changed = [FIELD_LABELS.get(n, n) for n in event.payload.get("changed") or []]
            if changed:
                facts.append(("Parts changed", ", ".join(changed)))
            if event.payload.get("from_state") in (
                Position.State.NOT_AGREED,
                Position.State.INQUORATE,
            ):
                facts.append(("State", "Back to draft for a new round"))
        steps.append(
            Step(
                "revised",
                f"Revised (version {version.number})",
                version.created_at,
                _name(version.created_by),
                version.change_note or "No note of what changed.",
                facts,
                [_version_link(position, version)],
                _evidence(event),
            )
        )
    for event in events.all("position.coauthors_changed", position):
        facts = []
        if event.payload.get("added"):
            facts.append(("Added", _names(data.people, event.payload["added"])))
        if event.payload.get("removed"):
            facts.append(("Removed", _names(data.people, event.payload["removed"])))
        steps.append(
            Step(
                "coauthors_changed",
                "Co-authors changed",
                event.occurred_at,
                _name(event.actor),
                facts=facts,
                evidence=_evidence(event),
            )
        )
    for amendment in data.amendments:
        base = by_version.get(amendment.base_version_id)
        part = ("Part", amendment.field_label)
        steps.append(
            Step(
                "amendment_proposed",
                "Amendment proposed",
                amendment.proposed_at,
                _name(amendment.proposed_by),
                f"Reason: {amendment.reason}",
                [
                    part,
                    ("Against version", str(base.number) if base else ""),
                    ("Proposed text", _excerpt(amendment.proposed_text)),
                ],
                evidence=_evidence(events.first("position.amendment_proposed", amendment)),
            )
        )
        if amendment.decided_at is None:
            continue
        if amendment.state == Amendment.State.ACCEPTED:
            result = by_version.get(amendment.resulting_version_id or 0)
            steps.append(
                Step(
                    "amendment_accepted",
                    "Amendment accepted",
                    amendment.decided_at,
                    _name(amendment.decided_by),
                    f"Proposed by {amendment.proposed_by}."
                    + (f" It is in version {result.number}." if result else ""),
                    [part],
                    links=[_version_link(position, result)] if result else [],
                    evidence=_evidence(events.first("position.amendment_accepted", amendment)),
                )
            )
        else:
            steps.append(
                Step(
                    "amendment_declined",
                    "Amendment declined",
                    amendment.decided_at,
                    _name(amendment.decided_by),
                    f"Proposed by {amendment.proposed_by}. Reason: {amendment.decline_reason}",
                    [part],
                    evidence=_evidence(events.first("position.amendment_declined", amendment)),
                )
            )
    for doc in data.attachments:
        steps.append(
            Step(
                "evidence_added",
                "Evidence added",
                doc.uploaded_at,
                _name(doc.uploaded_by),
                f"“{doc.title}”",
                [
                    ("Document", f"PDF, {doc.pages} page{'s' if doc.pages != 1 else ''}"),
                    ("SHA-256", doc.sha256),
                ],
                [(doc.title, reverse("groups:attachment-download", args=[doc.pk]))],
                _evidence(events.first("position.evidence_added", doc)),
            )
        )
    for declaration in data.declarations:
        steps.append(_declaration_step(declaration, data))
    for vote in data.votes:
        steps.extend(_vote_steps(position, vote, data))
    for event in events.all("position.withdrawn", position):
        steps.append(
            Step(
                "withdrawn",
                "Withdrawn",
                event.occurred_at,
                _name(event.actor),
                f"Reason: {event.payload.get('reason', '')}",
                evidence=_evidence(event),
            )
        )
    if position.state == Position.State.WITHDRAWN and not events.all(
        "position.withdrawn", position
    ):
        steps.append(Step("withdrawn", "Withdrawn", position.updated_at))
    return steps


def _declaration_step(declaration: PositionDeclaration, data: _Data) -> Step:
    member = str(declaration.member)
    facts = [("Kind of interest", declaration.get_category_display())]
    if declaration.recorded_by_id != declaration.member_id:
        facts.append(("Recorded by", f"{declaration.recorded_by}, the chair, on their behalf"))
    during = next(
        (
            v
            for v in data.votes
            if v.opened_at <= declaration.declared_at
            and (v.closed_at is None or declaration.declared_at < v.closed_at)
        ),
        None,
    )
    recusal = "Recused from every vote on this position opened after this"
    if during is not None:
        recusal += f", and from round {during.round}, open at the time"
    facts.append(("Recusal", recusal))
    return Step(
        "interest_declared",
        f"Interest declared by {member}",
        declaration.declared_at,
        _name(declaration.recorded_by),
        declaration.description,
        facts,
        evidence=_evidence(data.events.first("position.interest_declared", declaration)),
    )


def _vote_steps(position: Position, vote: Vote, data: _Data) -> list[Step]:
    terms = vote.terms
    version = vote.version
    assert version is not None
    recused = data.recused.get(vote.pk, [])
    opened = Step(
        "vote_opened",
        f"Vote opened (round {vote.round})",
        vote.opened_at,
        _name(vote.opened_by),
        f"On version {version.number}: “{version.title}”.",
        [
            ("Version voted on", str(version.number)),
            ("Terms of reference in force", f"Version {terms.version}"),
            ("Ballot", vote.get_ballot_display()),
            ("Decision rule", terms.get_decision_rule_display()),
            ("Quorum", terms.quorum_text),
            ("Voting window", f"{_moment(vote.opened_at)} to {_moment(vote.closes_at)}"),
            ("Members", str(vote.members_count)),  # type: ignore[attr-defined]
            ("Recused", ", ".join(recused) if recused else "Nobody"),
        ],
        [
            _version_link(position, version),
            (
                f"Terms of reference version {terms.version}",
                reverse("groups:terms-detail", args=[vote.group_id, terms.version]),
            ),
            (f"The vote, round {vote.round}", reverse("groups:vote-detail", args=[vote.pk])),
        ],
        _evidence(data.events.first("vote.opened", vote)),
    )
    if vote.is_open or vote.closed_at is None:
        return [opened]
    closed_event = data.events.first("vote.closed", vote)
    outcome = vote.get_outcome_display()
    facts = [
        ("Outcome", outcome),
        ("Eligible", str(vote.eligible_count)),
        ("Voted", str(vote.voted_count)),  # type: ignore[attr-defined]
        ("Recused", str(vote.recused_count)),  # type: ignore[attr-defined]
        ("Quorum needed", str(vote.quorum_needed)),
    ]
    if vote.is_secret:
        text = "Secret ballot: the record says who took part, never how anyone voted."
    else:
        text = vote.explanation
        facts += [
            (vote.choice_label("for"), str(vote.in_favour)),
            (vote.choice_label("against"), str(vote.against)),
            (vote.choice_label("abstain"), str(vote.abstain)),
        ]
    how = "by the chair, once everyone eligible had voted" if vote.closed_by else "at its deadline"
    closed = Step(
        "vote_closed",
        f"Vote closed (round {vote.round}): {outcome.lower()}",
        vote.closed_at,
        _name(vote.closed_by),
        f"Closed {how}. {text}".strip(),
        facts,
        [(f"The vote, round {vote.round}", reverse("groups:vote-detail", args=[vote.pk]))],
        _evidence(closed_event),
    )
    said = {
        Vote.Outcome.AGREED: (
            "Agreed by the group",
            f"Version {version.number} is the group's agreed position, ready to go to the "
            "board through the GP board representative.",
        ),
        Vote.Outcome.NOT_AGREED: (
            "Not agreed",
            "The group did not agree it. It can be revised and put to a new round.",
        ),
        Vote.Outcome.INQUORATE: (
            "Inquorate",
            "Too few members voted. It can be revised and put to a new round.",
        ),
    }
    label, text = said[Vote.Outcome(vote.outcome)]
    result = Step(
        vote.outcome,
        label,
        vote.closed_at,
        text=text,
        links=[_version_link(position, version)],
        evidence=_evidence(closed_event),
    )
    return [opened, closed, result]


def _draft_steps(
    brief: Brief, by_version: dict[int, list[AgendaItem]], where: str, data: _Data
) -> list[Step]:
    """Put on the draft agenda: each time an item for the brief was added to a draft."""
    added = [
        (item, event)
        for items in by_version.values()
        for item in items
        if item.brief_id == brief.pk
        for event in data.events.all("board.agenda_item_added", item)
    ]
    if not added:  # no audit events (older data): the first version that carries it
        first = next(
            (i for v in by_version.values() for i in v if i.brief_id == brief.pk),
            None,
        )
        if first is None:
            return []
        return [
            Step(
                "agenda_added",
                "Put on the draft agenda",
                first.version.created_at,
                _name(first.version.created_by),
                where,
            )
        ]
    return [
        Step(
            "agenda_added",
            "Put on the draft agenda",
            event.occurred_at,
            _name(event.actor),
            f"{where}: “{item.title}”, {item.get_purpose_display().lower()}.",
            [("Agenda version", f"{item.version.number} (draft)")],
            evidence=_evidence(event),
        )
        for item, event in added
    ]


def _agenda_steps(brief: Brief, data: _Data) -> list[Step]:
    """Put on the draft agenda (each time an item for the brief was added), then each
    published version that carries it, with its item number, and any that dropped it.

    The draft, the change notes, the presenter and a private item's title are the board's
    readers' alone: anyone else gets the published versions as the public pages show them."""
    full = brief.board_id in data.reads
    by_version: dict[int, list[AgendaItem]] = defaultdict(list)
    versions: dict[int, AgendaVersion] = {}
    for item in data.items:
        if item.version.meeting_id == brief.requested_meeting_id:
            by_version[item.version_id].append(item)
            versions[item.version_id] = item.version
    steps: list[Step] = []
    meeting = brief.requested_meeting
    assert meeting is not None
    where = f"{meeting.title}, {_day(meeting.day)}"
    if full:
        steps.extend(_draft_steps(brief, by_version, where, data))
    carried_before = False
    published = sorted(
        (v for v in versions.values() if v.published_at is not None), key=lambda v: v.number
    )
    for version in published:
        ordered = sorted(
            by_version[version.pk], key=lambda i: (i.part != Part.PUBLIC, i.order, i.pk)
        )
        number = next(
            (n for n, item in enumerate(ordered, start=1) if item.brief_id == brief.pk), None
        )
        published_event = data.events.first("board.agenda_published", version)
        assert version.published_at is not None
        if number is None:
            if carried_before:
                steps.append(
                    Step(
                        "agenda_removed",
                        f"Taken off the agenda (version {version.number})",
                        version.published_at,
                        _name(version.published_by),
                        f"{where}. {version.change_note if full else ''}".strip(),
                        [("Agenda version", str(version.number))],
                        evidence=_evidence(published_event),
                    )
                )
            carried_before = False
            continue
        item = ordered[number - 1]
        facts = [
            ("Meeting", where),
            ("Agenda version", str(version.number)),
            ("Item", str(number)),
            ("Part", item.get_part_display()),
        ]
        if full or item.part == Part.PUBLIC:
            facts.append(("Purpose", item.get_purpose_display()))
            text = f"{where}: “{item.title}”."
        else:  # as the public agenda shows a private item
            text = f"{where}: confidential item. Taken in private because: "
            text += item.confidential_reason
        if full and item.presenter:
            facts.append(("Presenter", item.presenter))
        if full and version.change_note:
            facts.append(("What changed in this version", version.change_note))
        steps.append(
            Step(
                "agenda_published",
                f"Tabled: agenda version {version.number}, item {number}",
                version.published_at,
                _name(version.published_by),
                text,
                facts,
                evidence=_evidence(published_event),
            )
        )
        carried_before = True
    return steps


def _board_steps(position: Position, brief: Brief, data: _Data) -> list[Step]:
    events = data.events
    board = brief.board.name
    meeting = brief.requested_meeting
    steps: list[Step] = []
    facts = [("Board", board), ("Route", brief.get_route_display())]
    facts.append(("Version agreed", str(brief.version.number)))
    if brief.is_tabled:
        event = events.first("board.brief_tabled", brief)
        first_due = _payload_day(event.payload.get("response_due_on")) if event else ""
        if not first_due and brief.response_due_on:
            first_due = _day(brief.response_due_on)
        if meeting is not None:
            facts.append(("Meeting requested", f"{meeting.title}, {_day(meeting.day)}"))
        if first_due:
            facts.append(("Response due by", first_due))
        text = "The GP board representative asked to table it"
        text += f" at {meeting.title} on {_day(meeting.day)}." if meeting else "."
        label = f"Brief to {board}: tabled"
    else:
        event = events.first("board.brief_routed", brief)
        text = f"Reason: {brief.route_reason}"
        label = f"Brief to {board}: {brief.get_route_display().lower()}"
    steps.append(
        Step(
            "brief_tabled" if brief.is_tabled else "brief_routed",
            label,
            brief.routed_at,
            _name(brief.routed_by),
            text,
            facts,
            [_version_link(position, brief.version)],
            _evidence(event),
        )
    )
    if brief.is_tabled and meeting is not None:
        steps.extend(_agenda_steps(brief, data))
        earliest = max(s.at for s in steps)
        if meeting.is_cancelled and meeting.cancelled_at is not None:
            steps.append(
                Step(
                    "meeting_cancelled",
                    f"Meeting cancelled: {meeting.title}",
                    meeting.cancelled_at,
                    text=f"Reason: {meeting.cancel_reason}" if brief.board_id in data.reads else "",
                    facts=[("Meeting", f"{meeting.title}, {_day(meeting.day)}")],
                    evidence=_evidence(events.first("board.meeting_cancelled", meeting)),
                )
            )
        elif meeting.has_started:
            facts = [("Board", board), ("Started", _moment(meeting.starts_at))]
            if meeting.location:
                facts.append(("Where", meeting.location))
            steps.append(
                Step(
                    "meeting_held",
                    f"Meeting held: {meeting.title}",
                    meeting.starts_at,
                    facts=facts,
                    evidence=_evidence(events.first("board.attendance_recorded", meeting)),
                    sort_at=max(meeting.starts_at, earliest),
                )
            )
    accounts = events.all("board.brief_account_recorded", brief)
    if brief.account and brief.account_at is not None:
        facts = []
        if len(accounts) > 1:
            facts.append(("First recorded", _moment(accounts[0].occurred_at)))
            facts.append(("Revisions", str(len(accounts) - 1)))
        steps.append(
            Step(
                "account_recorded",
                "The GP board representative's account",
                brief.account_at,
                _name(accounts[-1].actor) if accounts else _name(brief.routed_by),
                brief.account,
                facts,
                evidence=_evidence(accounts[-1] if accounts else None),
            )
        )
    for event in events.all("board.response_due_changed", brief):
        was, now = _payload_day(event.payload.get("from")), _payload_day(event.payload.get("to"))
        facts = []
        if was:
            facts.append(("Was due by", was))
        if now:
            facts.append(("Now due by", now))
        steps.append(
            Step(
                "response_due_changed",
                "Response due date changed",
                event.occurred_at,
                _name(event.actor),
                f"Reason: {event.payload.get('reason', '')}",
                facts,
                evidence=_evidence(event),
            )
        )
    for response in brief.responses.all():
        steps.append(_response_step(brief, response, data))
    return steps


def _response_step(brief: Brief, response: BoardResponse, data: _Data) -> Step:
    event = data.events.first("board.response_recorded", response)
    kind = response.get_kind_display()
    facts = [("Response", kind)]
    if response.meeting is not None:
        facts.append(("At", f"{response.meeting.title}, {_day(response.meeting.day)}"))
    if response.kind == BoardResponse.Kind.DEFERRED:
        due = _payload_day(event.payload.get("response_due_on")) if event else ""
        if due:
            facts.append(("Now due by", due))
    elif brief.response_due_on is not None:
        # A final response locks the brief, so its due date is the one in force then.
        on = timezone.localdate(response.recorded_at)
        late = (on - brief.response_due_on).days
        facts.append(("Due by", _day(brief.response_due_on)))
        facts.append(("On time", "Yes" if late <= 0 else f"No: {late} day{'s' * (late != 1)} late"))
    return Step(
        "response",
        f"{brief.board.name}'s response: {kind.lower()}",
        response.recorded_at,
        _name(response.recorded_by),
        f"Reasons: {response.reasons}",
        facts,
        evidence=_evidence(event),
    )


def journey(position: Position, *, reader: User) -> Journey:
    """Every step of a position (from position_for_reader, with its group), oldest first,
    as `reader` may see them: a board's business in full only for the board's readers."""
    data = _read(position, reader)
    steps = _group_steps(position, data)
    boards = []
    for brief in data.briefs:
        steps.extend(_board_steps(position, brief, data))
        boards.append(board_status(brief, list(brief.responses.all())))
    # Stable: steps at the same moment keep the order they were made in (a vote's close
    # before the outcome it gives).
    steps.sort(key=lambda s: s.sort_at or s.at)
    coauthors = [p for p in data.people.values() if getattr(p, "is_coauthor", False)]
    return Journey(position=position, steps=steps, coauthors=coauthors, boards=boards)


# --- Exports ---------------------------------------------------------------------------------


def _iso(value: dt.datetime) -> str:
    return timezone.localtime(value).isoformat(timespec="seconds")


def as_data(journey: Journey) -> dict[str, Any]:
    """The journey as JSON-ready data: the same steps as the page."""
    position = journey.position
    version = position.current_version
    return {
        "position": {
            "id": position.pk,
            "title": position.title,
            "group": position.group.name,
            "ics": position.group.ics.name,
            "state": position.state,
            "theme": position.theme,
            "current_version": version.number if version else None,
            "drafted_at": _iso(position.created_at),
            "drafted_by": _name(position.created_by),
            "coauthors": [str(p) for p in journey.coauthors],
        },
        "boards": [
            {
                "board": b.board,
                "route": b.route,
                "outcome": b.outcome,
                "outcome_on": b.outcome_on.isoformat() if b.outcome_on else None,
                "response_due_on": b.due_on.isoformat() if b.due_on else None,
                "overdue": b.overdue,
                "closed": b.final,
            }
            for b in journey.boards
        ],
        "time_zone": "Europe/London",
        "steps": [
            {
                "number": number,
                "kind": step.kind,
                "label": step.label,
                "at": _iso(step.at),
                "actor": step.actor,
                "text": step.text,
                "facts": dict(step.facts),
                "links": [{"text": text, "url": url} for text, url in step.links],
                "audit_event": (
                    {
                        "id": step.evidence.event_id,
                        "object_type": step.evidence.object_type,
                        "object_id": step.evidence.object_id,
                    }
                    if step.evidence
                    else None
                ),
            }
            for number, step in enumerate(journey.steps, start=1)
        ],
    }


CSV_HEADER = (
    "Step",
    "Date and time (UK)",
    "Kind",
    "What happened",
    "By",
    "Details",
    "Facts",
    "Audit event",
)


def as_rows(journey: Journey) -> list[tuple[str, ...]]:
    """The journey as CSV rows, header first."""
    rows: list[tuple[str, ...]] = [CSV_HEADER]
    for number, step in enumerate(journey.steps, start=1):
        rows.append(
            (
                str(number),
                _iso(step.at),
                step.kind,
                step.label,
                step.actor,
                step.text,
                "; ".join(f"{label}: {value}" for label, value in step.facts),
                str(step.evidence.event_id) if step.evidence else "",
            )
        )
    return rows
