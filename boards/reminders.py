"""Reminders of the board side, found by scanning for due work. Beat runs
`boards.send_reminders` every minute; nothing waits in the broker for a date.

As in groups/reminders.py (whose runner this shares), each reminder is one outbox row per
(kind, object, recipient, version) with the due date in the version, so a repeated scan
queues nothing new and a moved date reminds again. Days are UK days (Europe/London), as
Meeting.day counts them.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict
from collections.abc import Callable, Iterable

from celery import shared_task
from django.db.models import Exists, F, OuterRef, Q
from django.urls import reverse
from django.utils import timezone

from boards.models import Action, BoardSeat, Brief, Meeting
from boards.selectors.briefs import agreed_at_subquery, final_response_exists
from groups.models import Position
from icsvoice.reminders import Due, local_today, long_date, queue_due, run_families

logger = logging.getLogger(__name__)

FIRST_NOTICE_DAYS = 7  # days before a meeting; the second notice is the day before
WAITING_NOTICE = dt.timedelta(days=7)

MEETING_SOON = "board.meeting_soon"
POSITION_WAITING = "board.position_waiting"
ACCOUNT_WAITING = "board.account_waiting"
RESPONSE_OVERDUE = "board.response_overdue"
ACTION_DUE = "board.action_due"

GP_REPRESENTATIVE = BoardSeat.Role.GP_REPRESENTATIVE
SECRETARY = BoardSeat.Role.SECRETARY


def seats_by_board(
    board_ids: Iterable[int], roles: Iterable[str] = (), on: dt.date | None = None
) -> dict[int, set[int]]:
    """Who holds a seat (in any of `roles`, or any) on each board, one query for all:
    boards.services.common.seat_holder_ids for many boards at once."""
    seats = BoardSeat.objects.current(on or local_today()).filter(board_id__in=set(board_ids))
    if roles := list(roles):
        seats = seats.filter(role__in=roles)
    holders: dict[int, set[int]] = defaultdict(set)
    for board_id, user_id in seats.values_list("board_id", "user_id"):
        holders[board_id].add(user_id)
    return holders


def _current_seat(prefix: str, role: str, on: dt.date) -> Q:
    """A current seat in `role`, reached through `prefix` (a path to BoardSeat)."""
    return Q(
        Q(**{f"{prefix}__ends_on__isnull": True}) | Q(**{f"{prefix}__ends_on__gt": on}),
        **{f"{prefix}__role": role, f"{prefix}__starts_on__lte": on},
    )


# --- Meetings in 7 days and in 1 day ----------------------------------------------------------


def _meeting_notice(days_to_go: int) -> int | None:
    """Which notice a meeting this many UK days away is due: the 7-day one from 7 days
    down to 2 (so a scan missed on the day, or a meeting set up at short notice, still
    gets it), the 1-day one on the day before and on the day itself."""
    if days_to_go <= 1:
        return 1
    if days_to_go <= FIRST_NOTICE_DAYS:
        return FIRST_NOTICE_DAYS
    return None


def remind_meetings(now: dt.datetime | None = None) -> int:
    """Scheduled meetings in the next 7 days: to every current seat holder of the board,
    once at 7 days and once at 1 day. Version "7d:<day>" or "1d:<day>", so a meeting moved
    to another day reminds again."""
    now = now or timezone.now()
    today = local_today(now)
    horizon = timezone.make_aware(
        dt.datetime.combine(today + dt.timedelta(days=FIRST_NOTICE_DAYS + 1), dt.time())
    )
    meetings = list(
        Meeting.objects.filter(
            state=Meeting.State.SCHEDULED, starts_at__gt=now, starts_at__lt=horizon
        )
        .select_related("board")
        .order_by("starts_at", "pk")
    )
    holders = seats_by_board({m.board_id for m in meetings}, on=today)
    dues = []
    for meeting in meetings:
        starts = timezone.localtime(meeting.starts_at)
        days_to_go = (starts.date() - today).days
        notice = _meeting_notice(days_to_go)
        if notice is None:
            continue
        when = {0: "today", 1: "tomorrow"}.get(days_to_go, f"on {long_date(starts.date())}")
        place = f" at {meeting.location}" if meeting.location else ""
        dues.append(
            Due(
                obj=meeting,
                version=f"{notice}d:{starts.date().isoformat()}",
                subject=f"{meeting.board.name} meets {when}: {meeting.title}",
                body=(
                    f"{meeting.title} of {meeting.board.name} is on {long_date(starts.date())} "
                    f"at {starts:%H:%M}{place}. The agenda and papers are on the meeting's page."
                ),
                url=reverse("boards:meeting-detail", args=[meeting.pk]),
                recipients=holders.get(meeting.board_id, set()),
                urgent=notice == 1,
            )
        )
    return queue_due(MEETING_SOON, Meeting, dues)


# --- Briefs waiting for the GP representative -------------------------------------------------


def remind_positions_waiting(now: dt.datetime | None = None) -> int:
    """Agreed positions of a board's ICS with no brief on that board, agreed more than 7
    days ago (the representative's queue, as briefs_waiting_card reads it): to the board's
    current GP representative. Version "<board id>:<day agreed>"."""
    now = now or timezone.now()
    today = local_today(now)
    seat = "group__ics__boards__seats"
    rows = (
        Position.objects.filter(
            _current_seat(seat, GP_REPRESENTATIVE, today), state=Position.State.AGREED
        )
        .annotate(
            board_ref=F("group__ics__boards__pk"),
            rep_ref=F(f"{seat}__user_id"),
            agreed_at=agreed_at_subquery(),
        )
        .filter(agreed_at__lt=now - WAITING_NOTICE)
        .exclude(
            Exists(Brief.objects.filter(board_id=OuterRef("board_ref"), position=OuterRef("pk")))
        )
        .order_by("agreed_at", "pk", "board_ref")
        .values_list(
            "pk",
            "board_ref",
            "rep_ref",
            "agreed_at",
            "current_version__title",
            "group__name",
            "group__ics__boards__name",
        )
    )
    dues: dict[tuple[int, int], Due] = {}
    for position_id, board_id, rep_id, agreed_at, title, group_name, board_name in rows:
        key = (position_id, board_id)
        if key not in dues:
            agreed_on = timezone.localdate(agreed_at)
            dues[key] = Due(
                obj=Position(pk=position_id),
                version=f"{board_id}:{agreed_on.isoformat()}",
                subject=f"Agreed position waiting for you: “{title}”",
                body=(
                    f"{group_name} agreed “{title}” on {long_date(agreed_on)}, and it has not "
                    f"yet gone to {board_name}. Choose how to take it forward: table it for "
                    "a meeting, or record another route and why."
                ),
                url=reverse("boards:brief-route", args=[board_id, position_id]),
            )
        dues[key].recipients.add(rep_id)
    return queue_due(POSITION_WAITING, Position, list(dues.values()))


def remind_accounts_waiting(now: dt.datetime | None = None) -> int:
    """Tabled briefs whose meeting took place more than 7 days ago with no account from the
    representative (the other half of briefs_waiting_card): to the board's current GP
    representative. Version: the meeting's day."""
    now = now or timezone.now()
    today = local_today(now)
    rows = (
        Brief.objects.filter(
            _current_seat("board__seats", GP_REPRESENTATIVE, today),
            route=Brief.Route.TABLED,
            account="",
            requested_meeting__state=Meeting.State.SCHEDULED,
            requested_meeting__starts_at__lt=now - WAITING_NOTICE,
        )
        .order_by("requested_meeting__starts_at", "pk")
        .values_list(
            "pk",
            "board__seats__user_id",
            "requested_meeting__starts_at",
            "requested_meeting__title",
            "version__title",
            "board__name",
        )
    )
    dues: dict[int, Due] = {}
    for brief_id, rep_id, starts_at, meeting_title, title, board_name in rows:
        if brief_id not in dues:
            held_on = timezone.localdate(starts_at)
            dues[brief_id] = Due(
                obj=Brief(pk=brief_id),
                version=held_on.isoformat(),
                subject=f"Record how “{title}” was used at {board_name}",
                body=(
                    f"You tabled “{title}” for {meeting_title} on {long_date(held_on)}. "
                    "Record what you said and how the board used it, so the group can see."
                ),
                url=reverse("boards:brief-account", args=[brief_id]),
            )
        dues[brief_id].recipients.add(rep_id)
    return queue_due(ACCOUNT_WAITING, Brief, list(dues.values()))


# --- Board responses overdue ------------------------------------------------------------------


def remind_responses_overdue(now: dt.datetime | None = None) -> int:
    """Tabled briefs past their response due date with no final response (as
    responses_overdue_card reads them): to the board's secretary and GP representative.
    Version: the due date, so a new due date (a deferral) reminds again."""
    today = local_today(now)
    briefs = list(
        Brief.objects.filter(route=Brief.Route.TABLED, response_due_on__lt=today)
        .exclude(final_response_exists())
        .order_by("response_due_on", "pk")
        .values_list("pk", "board_id", "response_due_on", "version__title", "board__name")
    )
    holders = seats_by_board({b[1] for b in briefs}, (SECRETARY, GP_REPRESENTATIVE), today)
    dues = []
    for brief_id, board_id, due_on, title, board_name in briefs:
        assert due_on is not None  # filtered on it
        dues.append(
            Due(
                obj=Brief(pk=brief_id),
                version=due_on.isoformat(),
                subject=f"Board response overdue: “{title}”",
                body=(
                    f"{board_name}'s response to “{title}” was due by {long_date(due_on)} and "
                    "has not been recorded. Record the board's response, or set a new due date."
                ),
                url=reverse("boards:brief-detail", args=[brief_id]),
                recipients=holders.get(board_id, set()),
            )
        )
    return queue_due(RESPONSE_OVERDUE, Brief, dues)


# --- Actions due ------------------------------------------------------------------------------


def remind_actions_due(now: dt.datetime | None = None) -> int:
    """Open actions due today or earlier: to their owner. Version: the due date."""
    today = local_today(now)
    actions = (
        Action.objects.filter(state=Action.State.OPEN, due_on__lte=today)
        .order_by("due_on", "pk")
        .values_list(
            "pk", "owner_id", "due_on", "description", "meeting__board_id", "meeting__board__name"
        )
    )
    dues = []
    for action_id, owner_id, due_on, description, board_id, board_name in actions:
        when = "today" if due_on == today else f"on {long_date(due_on)}"
        verb = "is due" if due_on == today else "was due"
        dues.append(
            Due(
                obj=Action(pk=action_id),
                version=due_on.isoformat(),
                subject=f"Action {verb} {when}: {board_name}",
                body=(
                    f"Your action for {board_name} {verb} {when}:\n\n{description}\n\n"
                    "When it is done, tell the board secretary, who marks it done in the "
                    "action log."
                ),
                url=reverse("boards:action-log", args=[board_id]),
                recipients={owner_id},
            )
        )
    return queue_due(ACTION_DUE, Action, dues)


# --- The task ----------------------------------------------------------------------------------

FAMILIES: tuple[Callable[[], int], ...] = (
    remind_meetings,
    remind_positions_waiting,
    remind_accounts_waiting,
    remind_responses_overdue,
    remind_actions_due,
)


@shared_task(name="boards.send_reminders", ignore_result=True)
def send_reminders() -> dict[str, int]:
    """Beat runs this every minute. Safe to run twice or on two workers at once."""
    return run_families(FAMILIES)
