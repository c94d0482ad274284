"""At the meeting and after: the secretary records attendance, declarations of interest on
items, decisions and actions, drafts the minutes and records their approval at a later
meeting. Every write re-checks that the actor is the board's secretary."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping

from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from boards.models import (
    Action,
    Attendance,
    Decision,
    Meeting,
    MeetingDeclaration,
    Minutes,
)
from boards.selectors import conduct as selectors
from boards.services.common import BoardError, require_secretary, seat_holder_ids
from groups.models import today
from icsvoice import audit
from icsvoice.models import User
from icsvoice.notifications import notify
from icsvoice.text import check_plain, render_markdown

MEMBER_STATUSES = (
    Attendance.Status.PRESENT,
    Attendance.Status.APOLOGIES,
    Attendance.Status.ABSENT,
)


class ConductError(BoardError):
    pass


def _not_cancelled(meeting: Meeting) -> None:
    if meeting.is_cancelled:
        raise ConductError("This meeting was cancelled, so nothing can be recorded for it.")


def _started(meeting: Meeting, what: str) -> None:
    if not meeting.has_started:
        raise ConductError(f"{what} once the meeting has started.")


def _item_key(meeting: Meeting, item_key: uuid.UUID | str | None) -> uuid.UUID | None:
    """The key of one of the meeting's items, or None when no item was chosen."""
    if item_key in (None, ""):
        return None
    keys = {item.key: item for item in selectors.meeting_items(meeting)}
    try:
        key = item_key if isinstance(item_key, uuid.UUID) else uuid.UUID(str(item_key))
    except ValueError:
        key = None
    if key not in keys:
        raise ConductError("The agenda item must be one of this meeting's items.")
    return key


# --- Attendance ------------------------------------------------------------------------------


@transaction.atomic
def attendance_record(
    *, meeting: Meeting, statuses: Mapping[int, str], actor: User
) -> list[Attendance]:
    """Records each of the board's seat holders on the meeting day as present, apologies or
    absent; a voting member present counts for quorum. Re-recording updates the rows. One
    audit event with what changed (before and after)."""
    board = meeting.board
    role = require_secretary(actor, board)
    _not_cancelled(meeting)
    holders = selectors.seat_holders(board, meeting.day)
    statuses = {int(k): v for k, v in statuses.items()}
    strangers = set(statuses) - set(holders)
    if strangers:
        raise ConductError(
            "The register lists the board's seat holders on the day of the meeting only: "
            "add anyone else as in attendance."
        )
    for user_id, (user, _, _) in holders.items():
        status = statuses.get(user_id, "")
        if status not in MEMBER_STATUSES:
            raise ConductError(f"Record {user.get_full_name()} as present, apologies or absent.")
    Meeting.objects.select_for_update().filter(pk=meeting.pk).first()  # one register at a time
    existing = {a.person_id: a for a in Attendance.objects.filter(meeting=meeting)}
    before: dict[str, str] = {}
    after: dict[str, str] = {}
    now = timezone.now()
    saved = []
    for user_id, (user, labels, votes) in holders.items():
        status = statuses[user_id]
        counts = votes and status == Attendance.Status.PRESENT
        row = existing.get(user_id)
        if row is not None and row.status == status and row.counts_for_quorum == counts:
            saved.append(row)
            continue
        if row is None:
            row = Attendance(meeting=meeting, person=user)
        else:
            before[str(user_id)] = row.status
        after[str(user_id)] = status
        row.role = ", ".join(labels)[:200]
        row.status = status
        row.counts_for_quorum = counts
        row.recorded_by = actor
        row.recorded_at = now
        row.save()
        saved.append(row)
    present = sum(1 for a in saved if a.counts_for_quorum)
    audit.record(
        event="board.attendance_recorded",
        actor=actor,
        role=role,
        obj=meeting,
        ics_id=board.ics_id,
        payload={
            "meeting": meeting.pk,
            "before": before,
            "after": after,
            "quorum_present": present,
            "quorum_needed": board.quorum,
        },
    )
    return saved


@transaction.atomic
def attendee_add(*, meeting: Meeting, person: User, role: str = "", actor: User) -> Attendance:
    """Records someone who is not a member of the board as in attendance (a director
    presenting an item, an observer). They never count for quorum."""
    board = meeting.board
    actor_role = require_secretary(actor, board)
    _not_cancelled(meeting)
    role = role.strip()
    check_plain({"Their role": role})
    if person.pk in seat_holder_ids(board, on=meeting.day):
        raise ConductError(
            f"{person.get_full_name()} holds a seat on the board: record them in the register."
        )
    try:
        with transaction.atomic():
            attendance = Attendance.objects.create(
                meeting=meeting,
                person=person,
                role=role,
                status=Attendance.Status.IN_ATTENDANCE,
                counts_for_quorum=False,
                recorded_by=actor,
            )
    except IntegrityError:
        raise ConductError(
            f"{person.get_full_name()} is already recorded at this meeting."
        ) from None
    audit.record(
        event="board.attendee_added",
        actor=actor,
        role=actor_role,
        obj=attendance,
        ics_id=board.ics_id,
        payload={"meeting": meeting.pk, "person": person.pk, "role": role},
    )
    return attendance


# --- Declarations ----------------------------------------------------------------------------


def _may_declare(meeting: Meeting, person: User) -> bool:
    if person.pk in seat_holder_ids(meeting.board, on=meeting.day):
        return True
    return Attendance.objects.filter(
        meeting=meeting, person=person, status=Attendance.Status.IN_ATTENDANCE
    ).exists()


@transaction.atomic
def declaration_record(
    *,
    meeting: Meeting,
    item_key: uuid.UUID | str,
    person: User,
    category: str,
    interest: str,
    withdrew: bool = True,
    chair_note: str = "",
    actor: User,
) -> MeetingDeclaration:
    """Records an interest declared on one of the meeting's items. Under NHS conflict of
    interest rules the declarer withdraws from the discussion and decision on the item; if
    the chair let them stay, the note of why is required, and minuted."""
    board = meeting.board
    role = require_secretary(actor, board)
    _not_cancelled(meeting)
    key = _item_key(meeting, item_key)
    if key is None:
        raise ConductError("Choose the agenda item.")
    if not _may_declare(meeting, person):
        raise ConductError(
            f"{person.get_full_name()} is neither a member of the board on the day of the "
            "meeting nor recorded in attendance."
        )
    if category not in MeetingDeclaration.Category.values:
        raise ConductError(
            "Choose the kind of interest: financial, non-financial professional, "
            "non-financial personal or indirect."
        )
    interest, chair_note = interest.strip(), chair_note.strip()
    if not interest:
        raise ConductError("Enter what the interest is.")
    check_plain({"The interest": interest, "The chair's note": chair_note})
    if withdrew:
        chair_note = ""
    elif not chair_note:
        raise ConductError(
            "The declarer withdraws from the item unless the chair allows them to stay: "
            "enter the chair's reason for letting them stay."
        )
    try:
        with transaction.atomic():
            declaration = MeetingDeclaration.objects.create(
                meeting=meeting,
                item_key=key,
                person=person,
                category=category,
                interest=interest,
                withdrew=withdrew,
                chair_note=chair_note,
                recorded_by=actor,
            )
    except IntegrityError:
        raise ConductError(
            f"{person.get_full_name()} has already declared an interest on this item."
        ) from None
    audit.record(
        event="board.declaration_recorded",
        actor=actor,
        role=role,
        obj=declaration,
        ics_id=board.ics_id,
        payload={
            "meeting": meeting.pk,
            "item": str(key),
            "person": person.pk,
            "category": category,
            "withdrew": withdrew,
        },
    )
    return declaration


# --- Decisions and actions -------------------------------------------------------------------


@transaction.atomic
def decision_record(
    *, meeting: Meeting, text: str, item_key: uuid.UUID | str | None = None, actor: User
) -> Decision:
    """Records a decision the board took, on an item or on the meeting as a whole."""
    board = meeting.board
    role = require_secretary(actor, board)
    _not_cancelled(meeting)
    _started(meeting, "Decisions are recorded")
    key = _item_key(meeting, item_key)
    text = text.strip()
    if not text:
        raise ConductError("Enter the decision.")
    check_plain({"The decision": text})
    decision = Decision.objects.create(meeting=meeting, item_key=key, text=text, recorded_by=actor)
    audit.record(
        event="board.decision_recorded",
        actor=actor,
        role=role,
        obj=decision,
        ics_id=board.ics_id,
        payload={"meeting": meeting.pk, "item": str(key) if key else None},
    )
    return decision


@transaction.atomic
def action_add(
    *,
    meeting: Meeting,
    description: str,
    owner: User,
    due_on: dt.date,
    item_key: uuid.UUID | str | None = None,
    actor: User,
) -> Action:
    """Adds an action to the board's log. Its owner is one of the board's current seat
    holders, who is told."""
    board = meeting.board
    role = require_secretary(actor, board)
    _not_cancelled(meeting)
    key = _item_key(meeting, item_key)
    description = description.strip()
    if not description:
        raise ConductError("Enter what the action is.")
    check_plain({"The action": description})
    if owner.pk not in seat_holder_ids(board):
        raise ConductError(
            f"The owner must hold a seat on the board: {owner.get_full_name()} does not."
        )
    if due_on < meeting.day:
        raise ConductError("The due date must be on or after the day of the meeting.")
    action = Action.objects.create(
        meeting=meeting,
        item_key=key,
        description=description,
        owner=owner,
        due_on=due_on,
        recorded_by=actor,
    )
    audit.record(
        event="board.action_added",
        actor=actor,
        role=role,
        obj=action,
        ics_id=board.ics_id,
        payload={
            "meeting": meeting.pk,
            "owner": owner.pk,
            "due_on": due_on,
            "item": str(key) if key else None,
        },
    )
    notify(
        kind="board.action_added",
        obj=action,
        recipients=[owner],
        subject=f"An action for you from {board}: due {due_on:%-d %B %Y}",
        body=f"{meeting} gave you an action, due {due_on:%-d %B %Y}:\n\n{description}",
        url=reverse("boards:action-log", args=[board.pk]),
        exclude=actor,
    )
    return action


@transaction.atomic
def action_done(*, action: Action, note: str, actor: User) -> Action:
    """Marks an open action done, with a note of what was done."""
    board = action.meeting.board
    role = require_secretary(actor, board)
    note = note.strip()
    if not note:
        raise ConductError("Enter a note of what was done.")
    check_plain({"The note": note})
    moved = Action.objects.filter(pk=action.pk, state=Action.State.OPEN).update(
        state=Action.State.DONE, done_note=note, done_at=timezone.now()
    )
    if moved != 1:
        raise ConductError("This action is already done.")
    action.refresh_from_db()
    audit.record(
        event="board.action_done",
        actor=actor,
        role=role,
        obj=action,
        ics_id=board.ics_id,
        payload={"meeting": action.meeting_id, "overdue": action.due_on < today()},
    )
    return action


# --- Minutes ---------------------------------------------------------------------------------


def _minutes_text(public_text: str, private_text: str) -> tuple[str, str]:
    public_text, private_text = public_text.strip(), private_text.strip()
    if not public_text:
        raise ConductError("Enter the minutes of the part held in public.")
    check_plain({"The public minutes": public_text, "The private minutes": private_text})
    return public_text, private_text


@transaction.atomic
def minutes_draft(
    *, meeting: Meeting, public_text: str, private_text: str = "", actor: User
) -> Minutes:
    """Drafts the minutes of a meeting that has started (Markdown, public and private
    parts)."""
    board = meeting.board
    role = require_secretary(actor, board)
    _not_cancelled(meeting)
    _started(meeting, "Minutes are drafted")
    public_text, private_text = _minutes_text(public_text, private_text)
    try:
        with transaction.atomic():
            minutes = Minutes.objects.create(
                meeting=meeting,
                public_text=public_text,
                public_html=render_markdown(public_text),
                private_text=private_text,
                private_html=render_markdown(private_text),
                drafted_by=actor,
            )
    except IntegrityError:
        approved = Minutes.objects.filter(meeting=meeting, state=Minutes.State.APPROVED).exists()
        if approved:
            raise ConductError("This meeting's minutes are approved and cannot change.") from None
        raise ConductError("This meeting already has draft minutes: edit those.") from None
    audit.record(
        event="board.minutes_drafted",
        actor=actor,
        role=role,
        obj=minutes,
        ics_id=board.ics_id,
        payload={"meeting": meeting.pk},
    )
    return minutes


@transaction.atomic
def minutes_change(
    *, minutes: Minutes, public_text: str, private_text: str = "", actor: User
) -> Minutes:
    """Edits draft minutes. Approved minutes are never edited."""
    board = minutes.meeting.board
    role = require_secretary(actor, board)
    public_text, private_text = _minutes_text(public_text, private_text)
    moved = Minutes.objects.filter(pk=minutes.pk, state=Minutes.State.DRAFT).update(
        public_text=public_text,
        public_html=render_markdown(public_text),
        private_text=private_text,
        private_html=render_markdown(private_text),
        updated_at=timezone.now(),
    )
    if moved != 1:
        raise ConductError("These minutes have been approved, so they cannot be changed.")
    minutes.refresh_from_db()
    audit.record(
        event="board.minutes_changed",
        actor=actor,
        role=role,
        obj=minutes,
        ics_id=board.ics_id,
        payload={"meeting": minutes.meeting_id},
    )
    return minutes


@transaction.atomic
def minutes_approve(*, minutes: Minutes, at_meeting: Meeting, actor: User) -> Minutes:
    """Records that the board approved the minutes at a later meeting of its own that has
    started. The board's seat holders are told."""
    meeting = minutes.meeting
    board = meeting.board
    role = require_secretary(actor, board)
    if at_meeting.board_id != board.pk:
        raise ConductError("Minutes are approved at a meeting of the same board.")
    if at_meeting.starts_at <= meeting.starts_at:
        raise ConductError("Minutes are approved at a later meeting than the one they record.")
    if at_meeting.is_cancelled:
        raise ConductError("That meeting was cancelled: choose the meeting that approved them.")
    if not at_meeting.has_started:
        raise ConductError(
            "Record the approval at or after the meeting that approves them: that meeting "
            "has not started yet."
        )
    now = timezone.now()
    moved = Minutes.objects.filter(pk=minutes.pk, state=Minutes.State.DRAFT).update(
        state=Minutes.State.APPROVED,
        approved_at_meeting=at_meeting,
        approved_by=actor,
        approved_at=now,
    )
    if moved != 1:
        raise ConductError("These minutes have already been approved.")
    minutes.refresh_from_db()
    audit.record(
        event="board.minutes_approved",
        actor=actor,
        role=role,
        obj=minutes,
        ics_id=board.ics_id,
        payload={"meeting": meeting.pk, "approved_at_meeting": at_meeting.pk},
    )
    notify(
        kind="board.minutes_approved",
        obj=minutes,
        recipients=seat_holder_ids(board),
        subject=f"Minutes approved: {meeting}",
        body=(
            f"{board} approved the minutes of {meeting} at {at_meeting}. "
            "They are now the board's record of that meeting."
        ),
        url=reverse("boards:minutes-detail", args=[meeting.pk]),
        exclude=actor,
    )
    return minutes
