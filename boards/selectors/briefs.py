"""Reads of the board side: briefs. The GP representative's queue, a brief's page, the
responses list, the home page cards, and the position's journey shown to its group.

A tabled brief's state: "responded" once a final response is recorded; otherwise "overdue"
when its due date has passed; otherwise "deferred" when the board last deferred it;
otherwise "awaiting".
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db.models import (
    CharField,
    DateField,
    DateTimeField,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Cast
from django.urls import reverse
from django.utils import timezone

from boards.models import Board, BoardResponse, BoardSeat, Brief, Meeting
from boards.services.common import seat_roles
from groups.models import Position, Vote, today
from icsvoice.models import User
from icsvoice.registry import CardItem, JourneyStep, roles_for

WAITING_URGENT_DAYS = 14

AWAITING, OVERDUE, DEFERRED, RESPONDED = "awaiting", "overdue", "deferred", "responded"
STATE_LABELS = {
    AWAITING: "Awaiting response",
    OVERDUE: "Response overdue",
    DEFERRED: "Deferred",
    RESPONDED: "Responded",
}


def final_response_exists() -> Exists:
    return Exists(
        BoardResponse.objects.filter(brief=OuterRef("pk")).exclude(kind=BoardResponse.Kind.DEFERRED)
    )


def agreed_at_subquery() -> Subquery:
    return Subquery(
        Vote.objects.filter(position=OuterRef("pk"), outcome=Vote.Outcome.AGREED)
        .order_by("-closed_at")
        .values("closed_at")[:1]
    )


def _with_responses(briefs: QuerySet[Brief]) -> QuerySet[Brief]:
    return briefs.prefetch_related(
        Prefetch(
            "responses",
            queryset=BoardResponse.objects.select_related("meeting", "recorded_by").order_by(
                "recorded_at", "id"
            ),
        )
    )


@dataclass
class BriefRow:
    """A brief with its responses (oldest first) and its state, worked out from them."""

    brief: Brief
    responses: list[BoardResponse]
    final: BoardResponse | None
    state: str
    on: dt.date = field(default_factory=today)

    @property
    def state_label(self) -> str:
        return STATE_LABELS.get(self.state, "")

    @property
    def last(self) -> BoardResponse | None:
        return self.responses[-1] if self.responses else None

    @property
    def is_open(self) -> bool:
        return self.brief.is_tabled and self.final is None

    @property
    def needs_account(self) -> bool:
        meeting = self.brief.requested_meeting
        return (
            self.brief.is_tabled
            and not self.brief.account
            and meeting is not None
            and meeting.has_started
            and not meeting.is_cancelled
        )


def brief_row(brief: Brief, on: dt.date | None = None) -> BriefRow:
    """Needs the brief's responses prefetched (or fetches them: one query)."""
    on = on or today()
    responses = list(brief.responses.all())
    final = next((r for r in responses if r.kind != BoardResponse.Kind.DEFERRED), None)
    state = ""
    if brief.is_tabled:
        if final is not None:
            state = RESPONDED
        elif brief.response_due_on is not None and brief.response_due_on < on:
            state = OVERDUE
        elif responses and responses[-1].kind == BoardResponse.Kind.DEFERRED:
            state = DEFERRED
        else:
            state = AWAITING
    return BriefRow(brief=brief, responses=responses, final=final, state=state, on=on)


# --- The representative's queue ----------------------------------------------------------------


@dataclass
class Queue:
    waiting: list[Position]
    in_progress: list[BriefRow]
    done: list[BriefRow]


def waiting_positions(board: Board) -> list[Position]:
    """Agreed positions of the board's ICS with no brief on this board: they arrive in the
    representative's queue without anything being written. Oldest agreement first."""
    return list(
        Position.objects.filter(group__ics_id=board.ics_id, state=Position.State.AGREED)
        .exclude(Exists(Brief.objects.filter(board=board, position=OuterRef("pk"))))
        .annotate(agreed_at=agreed_at_subquery())
        .select_related("group", "current_version")
        .order_by(F("agreed_at").asc(nulls_last=True), "pk")
    )


def queue(board: Board) -> Queue:
    """Three queries however many positions and briefs."""
    briefs = _with_responses(
        Brief.objects.filter(board=board).select_related(
            "version", "requested_meeting", "position__group"
        )
    )
    on = today()
    rows = [brief_row(b, on) for b in briefs]
    return Queue(
        waiting=waiting_positions(board),
        in_progress=[r for r in rows if r.is_open or r.needs_account],
        done=[r for r in rows if not (r.is_open or r.needs_account)],
    )


def upcoming_meetings(board: Board) -> list[Meeting]:
    """Scheduled meetings of the board still to come: where a position can be tabled."""
    return list(
        Meeting.objects.filter(
            board=board, state=Meeting.State.SCHEDULED, starts_at__gt=timezone.now()
        ).order_by("starts_at", "id")
    )


def past_meetings(board: Board) -> list[Meeting]:
    """Meetings of the board that have started, most recent first: where it responded."""
    return list(
        Meeting.objects.filter(
            board=board, state=Meeting.State.SCHEDULED, starts_at__lte=timezone.now()
        ).order_by("-starts_at", "-id")
    )


# --- A brief's page ----------------------------------------------------------------------------


@dataclass
class BriefPage:
    row: BriefRow
    vote: Vote | None
    is_gp_representative: bool
    is_secretary: bool

    @property
    def brief(self) -> Brief:
        return self.row.brief

    @property
    def may_account(self) -> bool:
        brief = self.brief
        meeting = brief.requested_meeting
        return self.is_gp_representative and not (meeting is not None and meeting.is_upcoming)

    @property
    def may_respond(self) -> bool:
        return self.is_secretary and self.row.is_open


def agreed_vote(version_id: int | None) -> Vote | None:
    """The vote by which the group agreed this version."""
    return (
        Vote.objects.filter(version_id=version_id, outcome=Vote.Outcome.AGREED)
        .order_by("-closed_at")
        .first()
    )


def brief_page(brief: Brief, user: User) -> BriefPage:
    """The brief (from access, with its board, position and version) and what goes with
    it, in a fixed number of queries."""
    brief = _with_responses(
        Brief.objects.select_related(
            "board__ics", "position__group", "version", "requested_meeting", "routed_by"
        )
    ).get(pk=brief.pk)
    vote = agreed_vote(brief.version_id)
    roles = seat_roles(user, brief.board)
    return BriefPage(
        row=brief_row(brief),
        vote=vote,
        is_gp_representative=BoardSeat.Role.GP_REPRESENTATIVE in roles,
        is_secretary=BoardSeat.Role.SECRETARY in roles,
    )


# --- The responses list ------------------------------------------------------------------------


def response_rows(board: Board) -> list[BriefRow]:
    """Every tabled brief on the board with its state, overdue first, then by due date.
    Two queries however many."""
    briefs = _with_responses(
        Brief.objects.filter(board=board, route=Brief.Route.TABLED).select_related(
            "version", "requested_meeting", "position__group"
        )
    )
    order = {OVERDUE: 0, DEFERRED: 1, AWAITING: 2, RESPONDED: 3}
    on = today()
    rows = [brief_row(b, on) for b in briefs]
    return sorted(
        rows,
        key=lambda r: (order[r.state], r.brief.response_due_on or dt.date.max, r.brief.pk),
    )


# --- Home page cards ---------------------------------------------------------------------------
#
# Each card is one query however many boards and briefs there are: the waiting card reads
# its two kinds of row (positions to route, accounts to record) in one UNION.

WAITING_ROW, ACCOUNT_ROW, OVERDUE_ROW = "waiting", "account", "overdue"
_COLUMNS = ("row_kind", "board_ref", "board_label", "brief_ref", "position_ref", "row_label")
_MORE = ("row_extra", "row_since", "row_due")


def _seats(user: User, *roles: str) -> QuerySet[BoardSeat]:
    return BoardSeat.objects.current().filter(user=user, role__in=roles)


def _waited(since: dt.datetime | None, now: dt.datetime) -> bool:
    return since is not None and since < now - dt.timedelta(days=WAITING_URGENT_DAYS)


def _row(kind: str, **columns: Any) -> dict[str, Any]:
    """The annotations every branch of the union selects, in one order."""
    # Typed NULLs: PostgreSQL types a UNION's columns pairwise, and two bare NULLs make text.
    nulls = {
        "brief_ref": Cast(Value(None), output_field=IntegerField()),
        "position_ref": Cast(Value(None), output_field=IntegerField()),
        "row_extra": Value("", output_field=CharField()),
        "row_since": Cast(Value(None), output_field=DateTimeField()),
        "row_due": Cast(Value(None), output_field=DateField()),
    }
    merged = {"row_kind": Value(kind, output_field=CharField()), **nulls, **columns}
    return {name: merged[name] for name in (*_COLUMNS, *_MORE)}


def _waiting_rows(user: User, now: dt.datetime) -> QuerySet[Any]:
    """Agreed positions of the ICS of each board the person represents primary care on,
    with no brief on that board: one row per (position, board)."""
    rep_boards = _seats(user, BoardSeat.Role.GP_REPRESENTATIVE).values("board")
    return (
        Position.objects.filter(state=Position.State.AGREED, group__ics__boards__in=rep_boards)
        .annotate(
            **_row(
                WAITING_ROW,
                board_ref=F("group__ics__boards__pk"),
                board_label=F("group__ics__boards__name"),
                position_ref=F("pk"),
                row_label=F("current_version__title"),
                row_extra=F("group__name"),
                row_since=agreed_at_subquery(),
            )
        )
        .exclude(
            Exists(Brief.objects.filter(board_id=OuterRef("board_ref"), position=OuterRef("pk")))
        )
        .order_by()
        .values(*_COLUMNS, *_MORE)
    )


def _account_rows(user: User, now: dt.datetime) -> QuerySet[Any]:
    """Tabled briefs whose meeting has taken place with no account from the representative."""
    rep_boards = _seats(user, BoardSeat.Role.GP_REPRESENTATIVE).values("board")
    return (
        Brief.objects.filter(
            board__in=rep_boards,
            route=Brief.Route.TABLED,
            account="",
            requested_meeting__starts_at__lte=now,
            requested_meeting__state=Meeting.State.SCHEDULED,
        )
        .annotate(
            **_row(
                ACCOUNT_ROW,
                board_ref=F("board_id"),
                board_label=F("board__name"),
                brief_ref=F("pk"),
                row_label=F("version__title"),
                row_extra=F("requested_meeting__title"),
                row_since=F("requested_meeting__starts_at"),
            )
        )
        .order_by()
        .values(*_COLUMNS, *_MORE)
    )


def _overdue_rows(user: User, on: dt.date) -> QuerySet[Any]:
    """Tabled briefs past their due date with no final response, on boards where the person
    is secretary or GP representative, or in ICSs whose staff they review."""
    seat_boards = _seats(user, BoardSeat.Role.SECRETARY, BoardSeat.Role.GP_REPRESENTATIVE)
    reviewed = {g.ics_id for g in roles_for(user) if g.code == "ics_reviewer"}
    return (
        Brief.objects.filter(
            Q(board__in=seat_boards.values("board")) | Q(board__ics_id__in=reviewed)
        )
        .filter(route=Brief.Route.TABLED, response_due_on__lt=on)
        .exclude(final_response_exists())
        .annotate(
            **_row(
                OVERDUE_ROW,
                board_ref=F("board_id"),
                board_label=F("board__name"),
                brief_ref=F("pk"),
                row_label=F("version__title"),
                row_due=F("response_due_on"),
            )
        )
        .order_by()
        .values(*_COLUMNS, *_MORE)
    )


def _sort_key(row: dict[str, Any]) -> tuple:
    since = row["row_since"]
    return (
        row["row_due"] or dt.date.max,
        since is None,
        since or timezone.now(),
        row["position_ref"] or 0,
        row["brief_ref"] or 0,
    )


def briefs_waiting_card(user: User) -> list[CardItem]:
    """For a GP representative: agreed positions of their boards' ICSs not yet routed to
    the board, and tabled briefs whose meeting has passed with no account yet. Urgent after
    WAITING_URGENT_DAYS. One query however many boards and positions (see above)."""
    now = timezone.now()
    union = _waiting_rows(user, now).union(_account_rows(user, now), all=True)
    rows = sorted(union, key=_sort_key)
    items = []
    for row in rows:
        since = row["row_since"]
        if row["row_kind"] == WAITING_ROW:
            agreed = f" on {timezone.localdate(since):%-d %B %Y}" if since else ""
            items.append(
                CardItem(
                    label=row["row_label"],
                    url=reverse("boards:brief-route", args=[row["board_ref"], row["position_ref"]]),
                    detail=f"{row['board_label']}: agreed by {row['row_extra']}{agreed}; "
                    "not yet routed",
                    urgent=_waited(since, now),
                    urgent_label="Waiting over 2 weeks",
                )
            )
        elif row["row_kind"] == ACCOUNT_ROW:
            items.append(
                CardItem(
                    label=row["row_label"],
                    url=reverse("boards:brief-account", args=[row["brief_ref"]]),
                    detail=f"{row['board_label']}: tabled for {row['row_extra']} on "
                    f"{timezone.localdate(since):%-d %B %Y}; record how it was used",
                    urgent=_waited(since, now),
                    urgent_label="Account waiting over 2 weeks",
                )
            )
    return items


def responses_overdue_card(user: User) -> list[CardItem]:
    """Overdue board responses the person should see (secretary, representative, reviewer).
    One query."""
    rows = sorted(_overdue_rows(user, today()), key=_sort_key)
    return [
        CardItem(
            label=row["row_label"],
            url=reverse("boards:brief-detail", args=[row["brief_ref"]]),
            detail=f"{row['board_label']}: response was due by {row['row_due']:%-d %B %Y}",
            urgent=True,
        )
        for row in rows
    ]


# --- The position's journey, for its group ----------------------------------------------------


def _date(value: dt.datetime) -> str:
    return f"{timezone.localdate(value):%-d %B %Y}"


def position_journey_steps(position: Any) -> list[JourneyStep]:
    """What became of an agreed position on each board: routed, the representative's
    account, the board's responses. No query unless the position is agreed; then two."""
    if getattr(position, "state", None) != Position.State.AGREED:
        return []
    briefs = _with_responses(
        Brief.objects.filter(position_id=position.pk)
        .select_related("board", "requested_meeting")
        .order_by("routed_at", "pk")
    )
    steps: list[JourneyStep] = []
    for brief in briefs:
        board = brief.board.name
        meeting = brief.requested_meeting
        if brief.is_tabled and meeting is not None:
            text = (
                f"The GP representative asked to table it at {meeting.title} on "
                f"{_date(meeting.starts_at)}."
            )
            if brief.response_due_on:
                text += f" The board's response is due by {brief.response_due_on:%-d %B %Y}."
        else:
            text = f"Reason: {brief.route_reason}"
        steps.append(
            JourneyStep(
                label=f"{board}: {brief.get_route_display().lower()}",
                when=brief.routed_at,
                text=text,
            )
        )
        if brief.account:
            steps.append(
                JourneyStep(
                    label=f"{board}: the GP representative's account",
                    when=brief.account_at,
                    text=brief.account,
                )
            )
        for response in brief.responses.all():
            text = f"Reasons: {response.reasons}"
            if response.meeting is not None:
                text = (
                    f"At {response.meeting.title} on {_date(response.meeting.starts_at)}. " + text
                )
            steps.append(
                JourneyStep(
                    label=f"{board}'s response: {response.get_kind_display().lower()}",
                    when=response.recorded_at,
                    text=text,
                )
            )
    return steps
