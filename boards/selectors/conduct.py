"""Reads of the board side at the meeting and after: the register and quorum, declarations,
decisions, the action log and what the minutes record. Each function runs a fixed number of
queries however many people, items or actions there are."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db.models import Count, Q
from django.utils import timezone

from boards.models import (
    Action,
    AgendaItem,
    AgendaVersion,
    Attendance,
    Board,
    BoardSeat,
    Decision,
    Meeting,
    MeetingDeclaration,
    Minutes,
)
from groups.models import today
from icsvoice.models import User

VOTING_ROLES = frozenset(
    {BoardSeat.Role.CHAIR, BoardSeat.Role.MEMBER, BoardSeat.Role.GP_REPRESENTATIVE}
)
ROLE_ORDER = {
    BoardSeat.Role.CHAIR: 0,
    BoardSeat.Role.GP_REPRESENTATIVE: 1,
    BoardSeat.Role.MEMBER: 2,
    BoardSeat.Role.SECRETARY: 3,
}


# --- The meeting's items ---------------------------------------------------------------------


def agenda_version(meeting: Meeting) -> AgendaVersion | None:
    """The meeting's published agenda, or its draft when none is published yet."""
    versions = list(
        meeting.agendas.filter(state__in=[AgendaVersion.State.PUBLISHED, AgendaVersion.State.DRAFT])
    )
    published = [v for v in versions if v.state == AgendaVersion.State.PUBLISHED]
    chosen = published or versions
    return chosen[0] if chosen else None


def meeting_items(meeting: Meeting) -> list[AgendaItem]:
    version = agenda_version(meeting)
    if version is None:
        return []
    return list(version.items.order_by("order", "id"))


def item_titles(meetings: Iterable[Meeting | int], keys: Iterable[uuid.UUID | None]) -> dict:
    """{item key: "3. Title"} for items of these meetings' current agendas (published, or
    the draft where none is published), in one query."""
    wanted: set[uuid.UUID] = {k for k in keys if k is not None}
    meeting_ids = {m if isinstance(m, int) else m.pk for m in meetings}
    if not wanted or not meeting_ids:
        return {}
    rows = AgendaItem.objects.filter(
        key__in=wanted,
        version__meeting_id__in=meeting_ids,
        version__state__in=[AgendaVersion.State.PUBLISHED, AgendaVersion.State.DRAFT],
    ).values_list("key", "order", "title", "version__state")
    titles: dict = {}
    for key, order, title, _state in sorted(
        rows, key=lambda r: r[3] == AgendaVersion.State.PUBLISHED
    ):
        titles[key] = f"{order}. {title}"  # the published version's wins
    return titles


# --- Attendance and quorum -------------------------------------------------------------------


@dataclass
class RegisterRow:
    person: User
    roles: list[str]
    votes: bool
    status: str = ""
    recorded: Attendance | None = None

    @property
    def role_label(self) -> str:
        return ", ".join(self.roles)

    @property
    def status_label(self) -> str:
        return Attendance.Status(self.status).label if self.status else "Not recorded"


@dataclass
class Quorum:
    needed: int
    present: int
    rule: str
    recorded: bool

    @property
    def is_quorate(self) -> bool:
        return self.present >= self.needed

    @property
    def sentence(self) -> str:
        if not self.recorded:
            return "Attendance has not been recorded yet."
        head = "Quorate" if self.is_quorate else "Not quorate"
        return (
            f"{head}: {self.present} of the {self.needed} voting member"
            f"{'' if self.needed == 1 else 's'} needed {'is' if self.present == 1 else 'are'} "
            "present"
        )


def seat_holders(board: Board, on: dt.date) -> dict[int, tuple[User, list[str], bool]]:
    """{user id: (user, their seat labels, whether they vote)} on a day, in one query."""
    holders: dict[int, tuple[User, list[str], bool]] = {}
    seats = (
        BoardSeat.objects.current(on)
        .filter(board=board)
        .select_related("user")
        .order_by("user__full_name", "user__email", "role")
    )
    for seat in sorted(seats, key=lambda s: ROLE_ORDER.get(s.role, 9)):
        label = seat.title or seat.get_role_display()
        if seat.title and seat.role != BoardSeat.Role.MEMBER:
            label = f"{seat.get_role_display()} ({seat.title})"
        user, labels, votes = holders.get(seat.user_id, (seat.user, [], False))
        holders[seat.user_id] = (user, [*labels, label], votes or seat.role in VOTING_ROLES)
    return holders


@dataclass
class Register:
    meeting: Meeting
    members: list[RegisterRow]
    in_attendance: list[Attendance]
    quorum: Quorum
    counts: dict[str, int] = field(default_factory=dict)


def register(meeting: Meeting) -> Register:
    """The board's seat holders on the meeting day with what was recorded for each, the
    others recorded in attendance, and the quorum. Two queries."""
    holders = seat_holders(meeting.board, meeting.day)
    rows = {
        a.person_id: a for a in Attendance.objects.filter(meeting=meeting).select_related("person")
    }
    members = []
    for user_id, (user, roles, votes) in holders.items():
        recorded = rows.pop(user_id, None)
        status = recorded.status if recorded else ""
        members.append(RegisterRow(user, roles, votes, status, recorded))
    members.sort(key=lambda r: (not r.votes, r.person.get_full_name().lower()))
    # Everyone else recorded: people in attendance, and any member whose seat has since
    # been back-dated away from the meeting day (kept, not lost).
    others = sorted(rows.values(), key=lambda a: a.person.get_full_name().lower())
    all_rows = [r.recorded for r in members if r.recorded] + others
    counts = dict.fromkeys(Attendance.Status.values, 0)
    for row in all_rows:
        counts[row.status] += 1
    quorum = Quorum(
        needed=meeting.board.quorum,
        present=sum(1 for a in all_rows if a.counts_for_quorum),
        rule=meeting.board.quorum_rule,
        recorded=bool(all_rows),
    )
    return Register(meeting, members, others, quorum, counts)


@dataclass
class ConductSummary:
    """What the meeting page shows of the meeting's record, in a fixed number of queries."""

    quorum: Quorum
    present: int
    apologies: int
    absent: int
    in_attendance: int
    declarations: int
    decisions: int
    open_actions: int
    actions: int
    minutes: Minutes | None


def conduct_summary(meeting: Meeting) -> ConductSummary:
    """For the meeting page (templates/boards/_meeting_conduct.html, as `conduct`)."""
    by_status = dict(
        Attendance.objects.filter(meeting=meeting)
        .values_list("status")
        .annotate(n=Count("id"))
        .values_list("status", "n")
    )
    quorate = Attendance.objects.filter(meeting=meeting, counts_for_quorum=True).count()
    actions = Action.objects.filter(meeting=meeting).aggregate(
        all=Count("id"), open=Count("id", filter=Q(state=Action.State.OPEN))
    )
    return ConductSummary(
        quorum=Quorum(
            needed=meeting.board.quorum,
            present=quorate,
            rule=meeting.board.quorum_rule,
            recorded=bool(by_status),
        ),
        present=by_status.get(Attendance.Status.PRESENT, 0),
        apologies=by_status.get(Attendance.Status.APOLOGIES, 0),
        absent=by_status.get(Attendance.Status.ABSENT, 0),
        in_attendance=by_status.get(Attendance.Status.IN_ATTENDANCE, 0),
        declarations=MeetingDeclaration.objects.filter(meeting=meeting).count(),
        decisions=Decision.objects.filter(meeting=meeting).count(),
        open_actions=actions["open"],
        actions=actions["all"],
        minutes=Minutes.objects.filter(meeting=meeting).first(),
    )


# --- Declarations, decisions and actions -----------------------------------------------------


@dataclass
class ItemRecord:
    """One agenda item with what was declared and decided on it."""

    key: uuid.UUID | None
    label: str
    item: AgendaItem | None = None
    declarations: list[MeetingDeclaration] = field(default_factory=list)
    decisions: list[Decision] = field(default_factory=list)
    actions: list[Action] = field(default_factory=list)


def declarations(meeting: Meeting) -> list[MeetingDeclaration]:
    return list(
        MeetingDeclaration.objects.filter(meeting=meeting).select_related("person", "recorded_by")
    )


def decisions(meeting: Meeting) -> list[Decision]:
    return list(Decision.objects.filter(meeting=meeting).select_related("recorded_by"))


def meeting_actions(meeting: Meeting) -> list[Action]:
    return list(Action.objects.filter(meeting=meeting).select_related("owner"))


def by_item(
    meeting: Meeting,
    items: list[AgendaItem],
    *,
    declared: list[MeetingDeclaration] = (),  # type: ignore[assignment]
    decided: list[Decision] = (),  # type: ignore[assignment]
    actions: list[Action] = (),  # type: ignore[assignment]
) -> list[ItemRecord]:
    """The records grouped under the meeting's items, in agenda order; records on an item no
    longer on the agenda, and those on no item, come last."""
    records: dict = {
        item.key: ItemRecord(item.key, f"{item.order}. {item.title}", item) for item in items
    }
    gone = ItemRecord(None, "Items no longer on the agenda")
    general = ItemRecord(None, "Not on a particular item")

    def slot(key: uuid.UUID | None) -> ItemRecord:
        if key is None:
            return general
        return records.get(key, gone)

    for declaration in declared:
        slot(declaration.item_key).declarations.append(declaration)
    for decision in decided:
        slot(decision.item_key).decisions.append(decision)
    for action in actions:
        slot(action.item_key).actions.append(action)
    extra = [r for r in (gone, general) if r.declarations or r.decisions or r.actions]
    return [*records.values(), *extra]


@dataclass
class ActionRow:
    action: Action
    item_label: str
    overdue: bool


@dataclass
class ActionLog:
    open: list[ActionRow]
    done: list[ActionRow]

    @property
    def overdue(self) -> int:
        return sum(1 for r in self.open if r.overdue)


def action_rows(actions: list[Action], titles: dict, on: dt.date | None = None) -> ActionLog:
    on = on or today()
    open_rows = [
        ActionRow(a, titles.get(a.item_key, ""), a.due_on < on)
        for a in actions
        if a.state == Action.State.OPEN
    ]
    open_rows.sort(key=lambda r: (not r.overdue, r.action.due_on, r.action.pk))
    done_rows = [
        ActionRow(a, titles.get(a.item_key, ""), False)
        for a in actions
        if a.state == Action.State.DONE
    ]
    done_rows.sort(key=lambda r: (r.action.done_at, r.action.pk), reverse=True)
    return ActionLog(open_rows, done_rows)


def action_log(board: Board) -> ActionLog:
    """Every action of the board's meetings: open ones first (overdue at the top), then the
    done ones, most recently done first. Two queries."""
    actions = list(Action.objects.filter(meeting__board=board).select_related("owner", "meeting"))
    titles = item_titles({a.meeting_id for a in actions}, (a.item_key for a in actions))
    return action_rows(actions, titles)


def action_owners(board: Board) -> list[User]:
    """Who may own an action: the board's current seat holders."""
    return [user for user, _, _ in seat_holders(board, today()).values()]


# --- Minutes ---------------------------------------------------------------------------------


def approval_meetings(meeting: Meeting) -> list[Meeting]:
    """Meetings at which minutes of `meeting` may be approved: later meetings of the same
    board that have started and were not cancelled."""
    return list(
        Meeting.objects.filter(
            board_id=meeting.board_id,
            starts_at__gt=meeting.starts_at,
            starts_at__lte=timezone.now(),
            state=Meeting.State.SCHEDULED,
        ).order_by("starts_at", "id")
    )


@dataclass
class MinutesRecord:
    meeting: Meeting
    minutes: Minutes | None
    register: Register
    items: list[ItemRecord]
    actions: ActionLog

    @property
    def declaration_count(self) -> int:
        return sum(len(item.declarations) for item in self.items)

    @property
    def decision_count(self) -> int:
        return sum(len(item.decisions) for item in self.items)


def minutes_record(meeting: Meeting) -> MinutesRecord:
    """The minutes with what they record, generated from the meeting's records."""
    minutes = (
        Minutes.objects.filter(meeting=meeting)
        .select_related("drafted_by", "approved_by", "approved_at_meeting")
        .first()
    )
    items = meeting_items(meeting)
    actions = meeting_actions(meeting)
    titles = {item.key: f"{item.order}. {item.title}" for item in items}
    return MinutesRecord(
        meeting=meeting,
        minutes=minutes,
        register=register(meeting),
        items=by_item(
            meeting,
            items,
            declared=declarations(meeting),
            decided=decisions(meeting),
            actions=actions,
        ),
        actions=action_rows(actions, titles),
    )
