"""Briefs: the GP representative routes an agreed position (tables it for a board meeting, or
records another route with a reason) and afterwards gives their own account of how it was
used; the board's secretary records the board's response and keeps its due date.

The representative is a partner member of a unitary board, not the group's delegate: the
record keeps the group's position as agreed beside what the representative said of it.
"""

from __future__ import annotations

import datetime as dt

from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from boards.models import Board, BoardResponse, BoardSeat, Brief, Meeting
from boards.services.common import (
    BoardError,
    require_gp_representative,
    require_secretary,
    seat_holder_ids,
)
from groups.models import Position, today
from groups.services.common import member_ids, position_url
from icsvoice import audit
from icsvoice.models import User
from icsvoice.notifications import notify
from icsvoice.text import check_plain

# With no later meeting scheduled, a tabled position's response is due this long after the
# meeting it was tabled for: about the gap between two board meetings.
DEFAULT_RESPONSE_DAYS = 56
OTHER_ROUTES = frozenset(Brief.Route.values) - {Brief.Route.TABLED}
MAX_REASON = 3000
MAX_ACCOUNT = 10000

ALREADY_ROUTED = "You have already routed this position to {board}. Its brief is on record."


class BriefError(BoardError):
    pass


def brief_url(brief: Brief) -> str:
    return reverse("boards:brief-detail", args=[brief.pk])


def _routable(board: Board, position: Position) -> None:
    if position.group.ics_id != board.ics_id:
        raise BriefError("Only agreed positions of this board's own ICS can be routed to it.")
    if position.state != Position.State.AGREED or position.current_version_id is None:
        raise BriefError("Only a position its group has agreed can be routed to the board.")
    if Brief.objects.filter(board=board, position=position).exists():
        raise BriefError(ALREADY_ROUTED.format(board=board))


def _create(board: Board, **fields: object) -> Brief:
    """The database keeps one brief per board and position; a second request that raced
    past the check above is refused here."""
    try:
        with transaction.atomic():
            return Brief.objects.create(board=board, **fields)
    except IntegrityError:
        raise BriefError(ALREADY_ROUTED.format(board=board)) from None


def response_due_after(meeting: Meeting) -> dt.date:
    """The start date of the board's next scheduled meeting after this one, or this
    meeting's date plus DEFAULT_RESPONSE_DAYS when none is scheduled yet."""
    following = (
        Meeting.objects.filter(
            board_id=meeting.board_id,
            state=Meeting.State.SCHEDULED,
            starts_at__gt=meeting.starts_at,
        )
        .order_by("starts_at", "id")
        .values_list("starts_at", flat=True)
        .first()
    )
    if following is not None:
        return timezone.localdate(following)
    return meeting.day + dt.timedelta(days=DEFAULT_RESPONSE_DAYS)


def _reason(reason: str, label: str, missing: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise BriefError(missing)
    if len(reason) > MAX_REASON:
        raise BriefError(f"{label} must be {MAX_REASON} characters or fewer.")
    check_plain({label: reason})
    return reason


@transaction.atomic
def brief_table(*, board: Board, position: Position, meeting: Meeting | None, actor: User) -> Brief:
    """Tables an agreed position of the board's ICS for an upcoming meeting of the board: an
    agenda request for the secretary, who is told. Sets the date the board's response is
    due (the next meeting after that one)."""
    role = require_gp_representative(actor, board)
    _routable(board, position)
    if meeting is None:
        raise BriefError("Choose the meeting to table it for.")
    if meeting.board_id != board.pk:
        raise BriefError("Choose a meeting of this board.")
    if meeting.is_cancelled:
        raise BriefError("That meeting has been cancelled. Choose another.")
    if meeting.has_started:
        raise BriefError("Choose a meeting that has not happened yet.")
    due = response_due_after(meeting)
    brief = _create(
        board,
        position=position,
        version_id=position.current_version_id,
        route=Brief.Route.TABLED,
        requested_meeting=meeting,
        routed_by=actor,
        response_due_on=due,
    )
    audit.record(
        event="board.brief_tabled",
        actor=actor,
        role=role,
        obj=brief,
        ics_id=board.ics_id,
        payload={
            "board": board.pk,
            "position": position.pk,
            "version": brief.version_id,
            "meeting": meeting.pk,
            "response_due_on": due,
        },
    )
    when = meeting.day
    notify(
        kind="board.agenda_requested",
        obj=brief,
        recipients=seat_holder_ids(board, BoardSeat.Role.SECRETARY),
        subject=f"Agenda request for {when:%-d %B %Y}: {position.title}",
        body=f"{actor.get_full_name()}, the GP representative, asks to table the primary care "
        f"position \u201c{position.title}\u201d at {meeting.title} on {when:%-d %B %Y}. "
        f"The board's response is due by {due:%-d %B %Y}.",
        url=brief_url(brief),
        exclude=actor,
    )
    return brief


@transaction.atomic
def brief_route(*, board: Board, position: Position, route: str, reason: str, actor: User) -> Brief:
    """Records a route other than tabling (a written submission, a deputy, the medical
    director, or not taken forward), with the representative's reason."""
    role = require_gp_representative(actor, board)
    _routable(board, position)
    if route not in OTHER_ROUTES:
        raise BriefError(
            "Choose how the position goes to the board: a written submission, a deputy, "
            "the medical director, or not taken forward."
        )
    reason = _reason(reason, "The reason", "Enter the reason for this route.")
    brief = _create(
        board,
        position=position,
        version_id=position.current_version_id,
        route=route,
        route_reason=reason,
        routed_by=actor,
    )
    audit.record(
        event="board.brief_routed",
        actor=actor,
        role=role,
        obj=brief,
        ics_id=board.ics_id,
        payload={
            "board": board.pk,
            "position": position.pk,
            "version": brief.version_id,
            "route": route,
            "reason": reason,
        },
    )
    return brief


@transaction.atomic
def brief_account_record(*, brief: Brief, account: str, actor: User) -> Brief:
    """The representative's own account of what they said and how the position was used.
    It may be revised; every revision is kept in the audit trail."""
    role = require_gp_representative(actor, brief.board)
    account = (account or "").strip()
    if not account:
        raise BriefError("Enter your account of how the position was used.")
    if len(account) > MAX_ACCOUNT:
        raise BriefError(f"Your account must be {MAX_ACCOUNT} characters or fewer.")
    check_plain({"Your account": account})
    locked = Brief.objects.select_for_update().get(pk=brief.pk)
    meeting = locked.requested_meeting
    if meeting is not None and meeting.is_upcoming:
        raise BriefError(
            f"You can record your account once the meeting on "
            f"{meeting.day:%-d %B %Y} has taken place."
        )
    if account == locked.account:
        raise BriefError("Your account is unchanged.")
    revised = bool(locked.account)
    now = timezone.now()
    Brief.objects.filter(pk=brief.pk).update(account=account, account_at=now)
    brief.account, brief.account_at = account, now
    audit.record(
        event="board.brief_account_recorded",
        actor=actor,
        role=role,
        obj=brief,
        ics_id=brief.board.ics_id,
        payload={"board": brief.board_id, "account": account, "revised": revised},
    )
    return brief


def final_response(brief: Brief) -> BoardResponse | None:
    return (
        BoardResponse.objects.filter(brief=brief).exclude(kind=BoardResponse.Kind.DEFERRED).first()
    )


def _open_tabled(brief: Brief) -> Brief:
    """The brief locked for a change by the secretary: tabled, with no final response."""
    if brief.route != Brief.Route.TABLED:
        raise BriefError("Only a position tabled for the board has a board response.")
    locked = Brief.objects.select_for_update().get(pk=brief.pk)
    done = final_response(locked)
    if done is not None:
        raise BriefError(
            f"The board's response is already recorded: {done.get_kind_display()}, "
            f"{timezone.localdate(done.recorded_at):%-d %B %Y}. It closed the position's journey."
        )
    return locked


def _new_due_date(due_on: dt.date | None, missing: str) -> dt.date:
    if due_on is None:
        raise BriefError(missing)
    if due_on < today():
        raise BriefError("The new due date must be today or later.")
    return due_on


@transaction.atomic
def response_record(
    *,
    brief: Brief,
    kind: str,
    reasons: str,
    meeting: Meeting | None = None,
    due_on: dt.date | None = None,
    actor: User,
) -> BoardResponse:
    """Records the board's response to a tabled position. "Deferred" keeps the brief open
    with a new due date; any other response closes the position's journey, and only one
    can be recorded. The representative and the group's members are told."""
    board = brief.board
    role = require_secretary(actor, board)
    if kind not in BoardResponse.Kind.values:
        raise BriefError(
            "Choose the board's response: adopted, adopted with changes, noted, deferred "
            "or declined."
        )
    reasons = _reason(reasons, "The reasons", "Enter the board's reasons.")
    if meeting is not None:
        if meeting.board_id != board.pk:
            raise BriefError("Choose a meeting of this board.")
        if meeting.is_cancelled:
            raise BriefError("That meeting was cancelled: choose the meeting that responded.")
        if not meeting.has_started:
            raise BriefError("Choose a meeting that has taken place, or none.")
    deferred = kind == BoardResponse.Kind.DEFERRED
    if deferred:
        due_on = _new_due_date(due_on, "Enter the date the board's response is now due by.")
    locked = _open_tabled(brief)
    try:
        with transaction.atomic():
            response = BoardResponse.objects.create(
                brief=locked, meeting=meeting, kind=kind, reasons=reasons, recorded_by=actor
            )
    except IntegrityError:
        raise BriefError("The board's response to this position is already recorded.") from None
    if deferred:
        Brief.objects.filter(pk=brief.pk).update(response_due_on=due_on)
        brief.response_due_on = due_on
    audit.record(
        event="board.response_recorded",
        actor=actor,
        role=role,
        obj=response,
        ics_id=board.ics_id,
        payload={
            "board": board.pk,
            "brief": brief.pk,
            "position": brief.position_id,
            "kind": kind,
            "reasons": reasons,
            "meeting": meeting.pk if meeting else None,
            "response_due_on": due_on if deferred else None,
        },
    )
    position = brief.position
    label = response.get_kind_display()
    body = f"{board.name} responded to \u201c{position.title}\u201d: {label}. Reasons: {reasons}"
    if deferred:
        assert due_on is not None
        body += f" A response is now due by {due_on:%-d %B %Y}."
    recipients = seat_holder_ids(board, BoardSeat.Role.GP_REPRESENTATIVE)
    recipients |= set(member_ids(position.group))
    notify(
        kind="board.response_recorded",
        obj=response,
        recipients=recipients,
        subject=f"Board response: {position.title}: {label}",
        body=body,
        url=position_url(position),
        exclude=actor,
    )
    return response


@transaction.atomic
def response_due_change(*, brief: Brief, due_on: dt.date | None, reason: str, actor: User) -> Brief:
    """Moves the date the board's response is due by, with a reason kept in the audit
    trail. Only while the brief is open."""
    role = require_secretary(actor, brief.board)
    due_on = _new_due_date(due_on, "Enter the date the board's response is due by.")
    reason = _reason(reason, "The reason", "Enter the reason for changing the due date.")
    locked = _open_tabled(brief)
    if locked.response_due_on == due_on:
        raise BriefError(f"The response is already due by {due_on:%-d %B %Y}.")
    Brief.objects.filter(pk=brief.pk).update(response_due_on=due_on)
    audit.record(
        event="board.response_due_changed",
        actor=actor,
        role=role,
        obj=brief,
        ics_id=brief.board.ics_id,
        payload={
            "board": brief.board_id,
            "from": locked.response_due_on,
            "to": due_on,
            "reason": reason,
        },
    )
    brief.response_due_on = due_on
    return brief
