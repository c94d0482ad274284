"""Every write of the learning reviews: flag a position or a board action for a review,
record what the review found, cancel one. Each runs in one transaction with its audit event.

A position's review is the business of its leadership group's chair; a board action's, of
its board's secretary. The services check that again, whoever calls them.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections import defaultdict

from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from boards.models import Action, BoardSeat
from boards.services.common import require_secretary
from engagement.models.learning import LearningReview
from groups.models import GroupMembership, Position, today
from groups.services.common import require_chair, role_code
from icsvoice import audit
from icsvoice.errors import DomainError
from icsvoice.models import User
from icsvoice.reminders import Due, local_today, long_date, queue_due
from icsvoice.text import check_plain

Outcome = LearningReview.Outcome
State = LearningReview.State

# A review is recorded when it is due: from this many days before its due date. The home
# page shows it from then too, and as overdue from the day after its due date.
DUE_NOTICE_DAYS = 14
LONGEST_YEARS = 5  # how far ahead a review may be set
AFTER_MONTHS = (3, 6, 12)
LOOK_AT_MAX = 2000
TEXT_MAX = 5000

REMINDER = "learning.review_due"


class LearningError(DomainError):
    """A learning review change refused, with the reason in plain English."""


# --- Dates -----------------------------------------------------------------------------------


def months_after(day: dt.date, months: int) -> dt.date:
    """The same day `months` later, or the month's last day where it has fewer days
    (31 August + 6 months is 28 or 29 February)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def due_date(*, after: str, on: dt.date | None, start: dt.date | None = None) -> dt.date:
    """The due date for a choice of "3", "6" or "12" (months from `start`, today by
    default) or "date" (then `on`). Refuses a date not after today or too far ahead."""
    start = start or today()
    if after == "date":
        if on is None:
            raise LearningError("Enter the date the review is due")
        due = on
    elif after in {str(months) for months in AFTER_MONTHS}:
        due = months_after(start, int(after))
    else:
        raise LearningError("Choose when the review is due")
    if due <= today():
        raise LearningError("The date the review is due must be in the future")
    if due > months_after(today(), 12 * LONGEST_YEARS):
        raise LearningError(f"The date the review is due must be within {LONGEST_YEARS} years")
    return due


def recordable_from(review: LearningReview) -> dt.date:
    return review.due_on - dt.timedelta(days=DUE_NOTICE_DAYS)


def is_due(review: LearningReview, on: dt.date | None = None) -> bool:
    return review.is_open and recordable_from(review) <= (on or today())


# --- Who may do it -----------------------------------------------------------------------------


def _role(review: LearningReview, actor: User) -> str:
    """The audit role of the person who may record or cancel the review, or refusal."""
    if review.group is not None:
        return role_code(require_chair(review.group, actor))
    assert review.board is not None
    return require_secretary(actor, review.board)


def _look_at(look_at: str) -> str:
    look_at = (look_at or "").strip()
    if not look_at:
        raise LearningError("Enter what the review should look at")
    if len(look_at) > LOOK_AT_MAX:
        raise LearningError(
            f"What the review should look at must be {LOOK_AT_MAX} characters or fewer"
        )
    check_plain({"What the review should look at": look_at})
    return look_at


def _create(review: LearningReview, subject: str) -> LearningReview:
    """Saves a new open review: one open review per subject, which the database enforces."""
    try:
        with transaction.atomic():
            review.save()
    except IntegrityError:
        raise LearningError(f"This {subject} already has a learning review due.") from None
    return review


def _already_open(**subject: object) -> None:
    due = (
        LearningReview.objects.filter(state=State.OPEN, **subject)
        .values_list("due_on", flat=True)
        .first()
    )
    if due is not None:
        raise LearningError(f"This already has a learning review due on {due:%-d %B %Y}.")


# --- Flag ------------------------------------------------------------------------------------


@transaction.atomic
def learning_flag_position(
    *, position: Position, due_on: dt.date, look_at: str, actor: User
) -> LearningReview:
    """Flags an agreed position for a learning review on `due_on`. Only the chair of its
    group; one open review per position."""
    group = position.group
    role = role_code(require_chair(group, actor))
    if position.state != Position.State.AGREED:
        raise LearningError("Only an agreed position can be flagged for a learning review.")
    due_on = due_date(after="date", on=due_on)
    look_at = _look_at(look_at)
    _already_open(position=position)
    review = _create(
        LearningReview(
            ics_id=group.ics_id,
            group=group,
            position=position,
            due_on=due_on,
            look_at=look_at,
            flagged_by=actor,
        ),
        "position",
    )
    audit.record(
        event="learning.review_flagged",
        actor=actor,
        role=role,
        obj=review,
        ics_id=group.ics_id,
        payload={"position": position.pk, "due_on": due_on.isoformat(), "look_at": look_at},
    )
    return review


@transaction.atomic
def learning_flag_action(
    *, action: Action, due_on: dt.date, look_at: str, actor: User
) -> LearningReview:
    """Flags a board action for a learning review on `due_on`. Only the board's secretary;
    one open review per action."""
    board = action.meeting.board
    role = require_secretary(actor, board)
    due_on = due_date(after="date", on=due_on)
    look_at = _look_at(look_at)
    _already_open(action=action)
    review = _create(
        LearningReview(
            ics_id=board.ics_id,
            board=board,
            action=action,
            due_on=due_on,
            look_at=look_at,
            flagged_by=actor,
        ),
        "action",
    )
    audit.record(
        event="learning.review_flagged",
        actor=actor,
        role=role,
        obj=review,
        ics_id=board.ics_id,
        payload={"action": action.pk, "due_on": due_on.isoformat(), "look_at": look_at},
    )
    return review


# --- Record ----------------------------------------------------------------------------------


def _text(value: str, label: str, *, required: bool = False) -> str:
    value = (value or "").strip()
    if required and not value:
        raise LearningError(f"Enter {label[0].lower()}{label[1:]}")
    if len(value) > TEXT_MAX:
        raise LearningError(f"{label} must be {TEXT_MAX} characters or fewer")
    return value


@transaction.atomic
def learning_record(
    *,
    review: LearningReview,
    outcome: str,
    learned: str,
    what_happened: str = "",
    next_steps: str = "",
    next_due_on: dt.date | None = None,
    actor: User,
) -> LearningReview:
    """Records what a due review found. "Too early to tell" needs `next_due_on`: the review
    is recorded and a new one, following it, is due then. Returns the recorded review."""
    role = _role(review, actor)
    if outcome not in Outcome.values:
        raise LearningError("Choose whether it worked")
    learned = _text(learned, "What was learned", required=True)
    what_happened = _text(what_happened, "What happened")
    next_steps = _text(next_steps, "What to do next")
    check_plain(
        {
            "What happened": what_happened,
            "What was learned": learned,
            "What to do next": next_steps,
        }
    )
    too_early = outcome == Outcome.TOO_EARLY
    if too_early:
        if next_due_on is None:
            raise LearningError("Enter the date the next review is due")
        next_due_on = due_date(after="date", on=next_due_on)
    if review.is_open and not is_due(review):
        raise LearningError(
            f"This review is not due yet: it can be recorded from "
            f"{recordable_from(review):%-d %B %Y}."
        )
    now = timezone.now()
    moved = LearningReview.objects.filter(pk=review.pk, state=State.OPEN).update(
        state=State.DONE,
        outcome=outcome,
        what_happened=what_happened,
        learned=learned,
        next_steps=next_steps,
        recorded_by=actor,
        recorded_at=now,
    )
    if moved != 1:
        raise LearningError("This review has already been recorded or cancelled.")
    review.refresh_from_db()
    payload: dict[str, object] = {"outcome": outcome, "due_on": review.due_on.isoformat()}
    following = None
    if too_early:
        assert next_due_on is not None
        following = _create(
            LearningReview(
                ics_id=review.ics_id,
                group_id=review.group_id,
                board_id=review.board_id,
                position_id=review.position_id,
                action_id=review.action_id,
                follows=review,
                due_on=next_due_on,
                look_at=review.look_at,
                flagged_by=actor,
                flagged_at=now,
            ),
            "position" if review.position_id else "action",
        )
        payload.update(next_review=following.pk, next_due_on=next_due_on.isoformat())
    audit.record(
        event="learning.review_recorded",
        actor=actor,
        role=role,
        obj=review,
        ics_id=review.ics_id,
        payload=payload,
    )
    if following is not None:
        audit.record(
            event="learning.review_flagged",
            actor=actor,
            role=role,
            obj=following,
            ics_id=review.ics_id,
            payload={"follows": review.pk, "due_on": following.due_on.isoformat()},
        )
    return review


# --- Cancel ----------------------------------------------------------------------------------


@transaction.atomic
def learning_cancel(*, review: LearningReview, reason: str, actor: User) -> LearningReview:
    """Cancels an open review, with the reason."""
    role = _role(review, actor)
    reason = _text(reason, "The reason for cancelling", required=True)
    check_plain({"The reason": reason})
    moved = LearningReview.objects.filter(pk=review.pk, state=State.OPEN).update(
        state=State.CANCELLED, cancel_reason=reason, cancelled_by=actor, cancelled_at=timezone.now()
    )
    if moved != 1:
        raise LearningError("This review has already been recorded or cancelled.")
    review.refresh_from_db()
    audit.record(
        event="learning.review_cancelled",
        actor=actor,
        role=role,
        obj=review,
        ics_id=review.ics_id,
        payload={"reason": reason, "due_on": review.due_on.isoformat()},
    )
    return review


# --- Reminder on the due date ----------------------------------------------------------------


def remind_learning_reviews_due(now: dt.datetime | None = None) -> int:
    """Open reviews whose due date has come: to the group's chairs (a position) or the
    board's secretaries (an action), once per due date. Four queries, then one transaction
    per review (icsvoice.reminders.queue_due)."""
    day = local_today(now)
    reviews = list(
        LearningReview.objects.filter(state=State.OPEN, due_on__lte=day).select_related(
            "position__current_version", "action", "group", "board"
        )
    )
    if not reviews:
        return 0
    chairs: dict[int, set[int]] = defaultdict(set)
    for group_id, user_id in (
        GroupMembership.objects.current(day)
        .filter(
            role=GroupMembership.Role.CHAIR,
            group_id__in={r.group_id for r in reviews if r.group_id},
        )
        .values_list("group_id", "user_id")
    ):
        chairs[group_id].add(user_id)
    secretaries: dict[int, set[int]] = defaultdict(set)
    for board_id, user_id in (
        BoardSeat.objects.current(day)
        .filter(
            role=BoardSeat.Role.SECRETARY,
            board_id__in={r.board_id for r in reviews if r.board_id},
        )
        .values_list("board_id", "user_id")
    ):
        secretaries[board_id].add(user_id)
    dues = []
    for review in reviews:
        what = "position" if review.position_id else "board action"
        recipients = (
            chairs[review.group_id] if review.group_id else secretaries[review.board_id or 0]
        )
        dues.append(
            Due(
                obj=review,
                version=review.due_on.isoformat(),
                subject=f"Learning review due: {review.subject_title[:120]}",
                body=(
                    f"The learning review of the {what} “{review.subject_title}” "
                    f"({review.where}) was due on {long_date(review.due_on)}. Record whether "
                    f"it worked and what was learned.\n\nWhat to look at: {review.look_at}"
                ),
                url=reverse("engagement:learning-record", args=[review.pk]),
                recipients=set(recipients),
            )
        )
    return queue_due(REMINDER, LearningReview, dues)
