"""Writes on meetings, their agendas and papers. The board's secretary does every one of
them; each re-checks the seat, writes one audit event and, where people should hear of it,
queues outbox rows, all in its own transaction.

An agenda is a draft AgendaVersion until published. A published version is frozen: to
change it the secretary starts a new version (a draft copying its items, keys and all), and
publishing that supersedes the old one. Papers are stored against the meeting and an item's
key, so they follow the item from version to version."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import Case, Max, Q, Value, When
from django.urls import reverse
from django.utils import timezone

from boards.models import (
    AgendaItem,
    AgendaVersion,
    Board,
    Brief,
    Meeting,
    Paper,
    Part,
    Purpose,
)
from boards.services.common import BoardError, require_secretary, seat_holder_ids
from boards.tasks import build_pack_on_commit
from icsvoice import audit
from icsvoice.models import User
from icsvoice.notifications import notify
from icsvoice.text import check_plain
from icsvoice.uploads import check_pdf

DRAFT = AgendaVersion.State.DRAFT
PUBLISHED = AgendaVersion.State.PUBLISHED
SUPERSEDED = AgendaVersion.State.SUPERSEDED

# The fields of an item the secretary sets; compared between versions to mark changes.
ITEM_FIELDS = (
    "title",
    "duration_minutes",
    "presenter",
    "purpose",
    "part",
    "confidential_reason",
    "review_on",
)
MAX_DURATION = 480


# --- Shared checks ---------------------------------------------------------------------------


def meeting_url(meeting: Meeting) -> str:
    return reverse("boards:meeting-detail", args=[meeting.pk])


def _lock_meeting(meeting: Meeting) -> Meeting:
    """The meeting's row, locked until the transaction ends: every agenda write takes it
    first, so two writes to one meeting's agenda queue rather than race."""
    fresh = Meeting.objects.select_for_update().select_related("board").get(pk=meeting.pk)
    meeting.state = fresh.state
    return fresh


def _require_scheduled(meeting: Meeting) -> None:
    if meeting.is_cancelled:
        raise BoardError("This meeting has been cancelled, so it cannot be changed.")


def _clean_meeting(
    *,
    title: str,
    starts_at: dt.datetime | None,
    ends_at: dt.datetime | None,
    location: str,
    online_url: str,
) -> dict[str, Any]:
    title, location, online_url = title.strip(), location.strip(), online_url.strip()
    if not title:
        raise BoardError("Enter the meeting's title.")
    if starts_at is None:
        raise BoardError("Enter the date and start time of the meeting.")
    if ends_at is not None and ends_at <= starts_at:
        raise BoardError("The end time must be after the start time.")
    if not location and not online_url:
        raise BoardError("Enter a place, an online joining link, or both.")
    if online_url and not online_url.startswith("https://"):
        raise BoardError("The online joining link must start with https://.")
    check_plain({"The title": title, "The place": location, "The online joining link": online_url})
    return {
        "title": title,
        "starts_at": starts_at,
        "ends_at": ends_at,
        "location": location,
        "online_url": online_url,
    }


def _clean_item(
    *,
    title: str,
    duration_minutes: int | None,
    presenter: str,
    purpose: str,
    part: str,
    confidential_reason: str,
    review_on: dt.date | None,
) -> dict[str, Any]:
    title, presenter = title.strip(), presenter.strip()
    confidential_reason = confidential_reason.strip()
    if not title:
        raise BoardError("Enter the item's title.")
    if duration_minutes is None or not 1 <= duration_minutes <= MAX_DURATION:
        raise BoardError(f"The duration must be between 1 and {MAX_DURATION} minutes.")
    if purpose not in Purpose.values:
        raise BoardError(
            "Choose the item's purpose: decision, discussion, information or assurance."
        )
    if part not in Part.values:
        raise BoardError("Choose the part of the meeting: public or private.")
    if part == Part.PRIVATE:
        if not confidential_reason:
            raise BoardError(
                "A private item needs a reason for confidentiality: enter why it is taken in "
                "private."
            )
        if review_on is None:
            raise BoardError(
                "A private item needs a review date: enter when the reason for "
                "confidentiality is reviewed."
            )
    else:
        # A public item has nothing to keep confidential; stale reasons are dropped.
        confidential_reason, review_on = "", None
    check_plain(
        {
            "The title": title,
            "The presenter": presenter,
            "The reason for confidentiality": confidential_reason,
        }
    )
    return {
        "title": title,
        "duration_minutes": duration_minutes,
        "presenter": presenter,
        "purpose": purpose,
        "part": part,
        "confidential_reason": confidential_reason,
        "review_on": review_on,
    }


def _record(
    event: str, *, actor: User, role: str, obj: Any, board: Board, payload: dict[str, Any]
) -> None:
    audit.record(
        event=f"board.{event}",
        actor=actor,
        role=role,
        obj=obj,
        ics_id=board.ics_id,
        payload=payload,
    )


# --- Meetings --------------------------------------------------------------------------------


@transaction.atomic
def meeting_schedule(
    *,
    board: Board,
    title: str,
    starts_at: dt.datetime | None,
    ends_at: dt.datetime | None = None,
    location: str = "",
    online_url: str = "",
    actor: User,
) -> Meeting:
    """The secretary schedules a meeting: a title, a start, and a place or a link."""
    role = require_secretary(actor, board)
    fields = _clean_meeting(
        title=title, starts_at=starts_at, ends_at=ends_at, location=location, online_url=online_url
    )
    meeting = Meeting.objects.create(board=board, created_by=actor, **fields)
    _record(
        "meeting_scheduled",
        actor=actor,
        role=role,
        obj=meeting,
        board=board,
        payload={"board": board.pk, **fields},
    )
    return meeting


@transaction.atomic
def meeting_change(
    *,
    meeting: Meeting,
    title: str,
    starts_at: dt.datetime | None,
    ends_at: dt.datetime | None = None,
    location: str = "",
    online_url: str = "",
    actor: User,
) -> Meeting:
    """The secretary changes a scheduled meeting's details."""
    role = require_secretary(actor, meeting.board)
    meeting = _lock_meeting(meeting)
    _require_scheduled(meeting)
    fields = _clean_meeting(
        title=title, starts_at=starts_at, ends_at=ends_at, location=location, online_url=online_url
    )
    changed = {name: value for name, value in fields.items() if getattr(meeting, name) != value}
    if not changed:
        raise BoardError("Nothing has changed.")
    Meeting.objects.filter(pk=meeting.pk).update(**changed)
    meeting.refresh_from_db()
    if "starts_at" in changed:
        papers_mark_late(meeting)
    _record(
        "meeting_changed",
        actor=actor,
        role=role,
        obj=meeting,
        board=meeting.board,
        payload={"changed": changed},
    )
    build_pack_on_commit(meeting.pk)  # the cover shows the meeting's details
    return meeting


@transaction.atomic
def meeting_cancel(*, meeting: Meeting, reason: str, actor: User) -> Meeting:
    """The secretary cancels a meeting, with a reason; its seat holders are told."""
    role = require_secretary(actor, meeting.board)
    reason = reason.strip()
    if not reason:
        raise BoardError("Enter the reason the meeting is cancelled.")
    check_plain({"The reason": reason})
    moved = Meeting.objects.filter(pk=meeting.pk, state=Meeting.State.SCHEDULED).update(
        state=Meeting.State.CANCELLED, cancel_reason=reason, cancelled_at=timezone.now()
    )
    if moved != 1:
        raise BoardError("This meeting has already been cancelled.")
    meeting.refresh_from_db()
    _record(
        "meeting_cancelled",
        actor=actor,
        role=role,
        obj=meeting,
        board=meeting.board,
        payload={"reason": reason},
    )
    notify(
        kind="board.meeting_cancelled",
        obj=meeting,
        recipients=seat_holder_ids(meeting.board),
        subject=f"Cancelled: {meeting}",
        body=f"{meeting} is cancelled. {reason}",
        url=meeting_url(meeting),
        exclude=actor,
    )
    return meeting


# --- Agendas ---------------------------------------------------------------------------------


def _versions(meeting: Meeting) -> dict[str, AgendaVersion]:
    """The meeting's draft and published versions, locked, by state."""
    return {
        v.state: v
        for v in AgendaVersion.objects.select_for_update()
        .filter(meeting=meeting, state__in=(DRAFT, PUBLISHED))
        .order_by("number")
    }


def _next_number(meeting: Meeting) -> int:
    top = AgendaVersion.objects.filter(meeting=meeting).aggregate(top=Max("number"))["top"]
    return (top or 0) + 1


def _draft_to_edit(meeting: Meeting, actor: User) -> AgendaVersion:
    """The draft the secretary edits: the existing draft, or version 1 if the meeting has
    no agenda yet. Once an agenda is published, changes need a new version first."""
    _require_scheduled(meeting)
    versions = _versions(meeting)
    if DRAFT in versions:
        return versions[DRAFT]
    if PUBLISHED in versions:
        raise BoardError(
            f"Version {versions[PUBLISHED].number} of the agenda is published and cannot be "
            "edited: start a new version to change it."
        )
    return AgendaVersion.objects.create(
        meeting=meeting, number=_next_number(meeting), created_by=actor
    )


def _item_in_draft(item: AgendaItem) -> tuple[Meeting, AgendaVersion]:
    """The item's meeting (locked) and version, which must be the meeting's draft."""
    meeting = _lock_meeting(item.version.meeting)
    _require_scheduled(meeting)
    version = AgendaVersion.objects.get(pk=item.version_id)
    if version.state != DRAFT:
        raise BoardError(
            f"Version {version.number} of the agenda is {version.get_state_display().lower()} "
            "and cannot be edited: start a new version to change it."
        )
    return meeting, version


def _next_order(version: AgendaVersion) -> int:
    top = version.items.aggregate(top=Max("order"))["top"]
    return (top or 0) + 1


@transaction.atomic
def agenda_item_add(
    *,
    meeting: Meeting,
    title: str,
    duration_minutes: int | None,
    purpose: str,
    part: str = Part.PUBLIC,
    presenter: str = "",
    confidential_reason: str = "",
    review_on: dt.date | None = None,
    actor: User,
) -> AgendaItem:
    """Adds an item at the end of the draft agenda (starting version 1 if need be)."""
    role = require_secretary(actor, meeting.board)
    meeting = _lock_meeting(meeting)
    fields = _clean_item(
        title=title,
        duration_minutes=duration_minutes,
        presenter=presenter,
        purpose=purpose,
        part=part,
        confidential_reason=confidential_reason,
        review_on=review_on,
    )
    version = _draft_to_edit(meeting, actor)
    item = AgendaItem.objects.create(version=version, order=_next_order(version), **fields)
    _record(
        "agenda_item_added",
        actor=actor,
        role=role,
        obj=item,
        board=meeting.board,
        payload={"meeting": meeting.pk, "version": version.number, "key": item.key, **fields},
    )
    return item


@transaction.atomic
def agenda_item_change(
    *,
    item: AgendaItem,
    title: str,
    duration_minutes: int | None,
    purpose: str,
    part: str,
    presenter: str = "",
    confidential_reason: str = "",
    review_on: dt.date | None = None,
    actor: User,
) -> AgendaItem:
    """Changes an item of the draft agenda."""
    role = require_secretary(actor, item.version.meeting.board)
    meeting, version = _item_in_draft(item)
    fields = _clean_item(
        title=title,
        duration_minutes=duration_minutes,
        presenter=presenter,
        purpose=purpose,
        part=part,
        confidential_reason=confidential_reason,
        review_on=review_on,
    )
    item = AgendaItem.objects.get(pk=item.pk)
    changed = {name: value for name, value in fields.items() if getattr(item, name) != value}
    if not changed:
        raise BoardError("Nothing has changed.")
    AgendaItem.objects.filter(pk=item.pk).update(**changed)
    item.refresh_from_db()
    _record(
        "agenda_item_changed",
        actor=actor,
        role=role,
        obj=item,
        board=meeting.board,
        payload={"meeting": meeting.pk, "version": version.number, "changed": changed},
    )
    if "part" in changed:
        # An item the draft takes into private takes its papers out of the public pack now.
        build_pack_on_commit(meeting.pk)
    return item


@transaction.atomic
def agenda_item_remove(*, item: AgendaItem, actor: User) -> AgendaVersion:
    """Takes an item off the draft agenda. Its papers stay with the meeting."""
    role = require_secretary(actor, item.version.meeting.board)
    meeting, version = _item_in_draft(item)
    item = AgendaItem.objects.get(pk=item.pk)
    item.delete()
    _record(
        "agenda_item_removed",
        actor=actor,
        role=role,
        obj=version,
        board=meeting.board,
        payload={
            "meeting": meeting.pk,
            "version": version.number,
            "key": item.key,
            "title": item.title,
        },
    )
    return version


@transaction.atomic
def agenda_item_move(*, item: AgendaItem, direction: str, actor: User) -> AgendaItem:
    """Swaps an item with its neighbour above or below in the same part of the agenda."""
    role = require_secretary(actor, item.version.meeting.board)
    if direction not in ("up", "down"):
        raise BoardError("Choose whether to move the item up or down.")
    meeting, version = _item_in_draft(item)
    item = AgendaItem.objects.get(pk=item.pk)
    siblings = version.items.filter(part=item.part)
    if direction == "up":
        neighbour = siblings.filter(order__lt=item.order).order_by("-order", "-id").first()
    else:
        neighbour = siblings.filter(order__gt=item.order).order_by("order", "id").first()
    if neighbour is None:
        where = "first" if direction == "up" else "last"
        raise BoardError(f"“{item.title}” is already {where} in its part of the agenda.")
    AgendaItem.objects.filter(pk=item.pk).update(order=neighbour.order)
    AgendaItem.objects.filter(pk=neighbour.pk).update(order=item.order)
    item.refresh_from_db()
    _record(
        "agenda_item_moved",
        actor=actor,
        role=role,
        obj=item,
        board=meeting.board,
        payload={
            "meeting": meeting.pk,
            "version": version.number,
            "direction": direction,
            "swapped_with": neighbour.pk,
        },
    )
    return item


def brief_on_agenda(meeting: Meeting, brief: Brief) -> bool:
    return AgendaItem.objects.filter(
        version__meeting=meeting, version__state__in=(DRAFT, PUBLISHED), brief=brief
    ).exists()


@transaction.atomic
def agenda_add_brief(*, meeting: Meeting, brief: Brief, actor: User) -> AgendaItem:
    """Puts a brief the GP representative tabled for this meeting on its draft agenda, as a
    primary care item for discussion, presented by the representative, in the public part."""
    role = require_secretary(actor, meeting.board)
    meeting = _lock_meeting(meeting)
    if brief.board_id != meeting.board_id:
        raise BoardError("That brief was sent to another board, so it cannot go on this agenda.")
    if brief.route != Brief.Route.TABLED or brief.requested_meeting_id != meeting.pk:
        raise BoardError("That brief was not tabled for this meeting.")
    if brief_on_agenda(meeting, brief):
        raise BoardError("That brief is already on this meeting's agenda.")
    brief = Brief.objects.select_related("version", "routed_by").get(pk=brief.pk)
    version = _draft_to_edit(meeting, actor)
    fields = {
        "title": brief.version.title[:300],
        "duration_minutes": 15,
        "presenter": brief.routed_by.get_full_name()[:200],
        "purpose": Purpose.DISCUSSION,
        "part": Part.PUBLIC,
    }
    item = AgendaItem.objects.create(
        version=version, order=_next_order(version), brief=brief, **fields
    )
    _record(
        "agenda_item_added",
        actor=actor,
        role=role,
        obj=item,
        board=meeting.board,
        payload={
            "meeting": meeting.pk,
            "version": version.number,
            "key": item.key,
            "brief": brief.pk,
            "position": brief.position_id,
            **fields,
        },
    )
    return item


@transaction.atomic
def agenda_publish(*, meeting: Meeting, change_note: str = "", actor: User) -> AgendaVersion:
    """Publishes the draft: it is frozen from now on, and supersedes the version published
    before it (which stays readable). The board's seat holders are told."""
    role = require_secretary(actor, meeting.board)
    meeting = _lock_meeting(meeting)
    _require_scheduled(meeting)
    versions = _versions(meeting)
    draft, published = versions.get(DRAFT), versions.get(PUBLISHED)
    if draft is None:
        raise BoardError("There is no draft agenda to publish.")
    if not draft.items.exists():
        raise BoardError("The agenda has no items: add at least one before publishing.")
    change_note = change_note.strip()
    if published is not None and not change_note:
        raise BoardError(f"Enter what changed since version {published.number}, in a sentence.")
    check_plain({"What changed": change_note})
    if len(change_note) > 500:
        raise BoardError("What changed must be 500 characters or fewer.")
    if published is not None:
        moved = AgendaVersion.objects.filter(pk=published.pk, state=PUBLISHED).update(
            state=SUPERSEDED
        )
        if moved != 1:
            raise BoardError("Someone else published this agenda just now: reload and try again.")
    now = timezone.now()
    moved = AgendaVersion.objects.filter(pk=draft.pk, state=DRAFT).update(
        state=PUBLISHED, published_at=now, published_by=actor, change_note=change_note
    )
    if moved != 1:
        raise BoardError("Someone else published this agenda just now: reload and try again.")
    draft.refresh_from_db()
    _record(
        "agenda_published",
        actor=actor,
        role=role,
        obj=draft,
        board=meeting.board,
        payload={
            "meeting": meeting.pk,
            "version": draft.number,
            "supersedes": published.number if published else None,
            "change_note": change_note,
            "items": draft.items.count(),
        },
    )
    when = timezone.localtime(meeting.starts_at)
    first = published is None
    notify(
        kind="board.agenda_published",
        obj=meeting,
        recipients=seat_holder_ids(meeting.board),
        version=draft.number,
        subject=(f"Agenda published: {meeting}" if first else f"Agenda changed: {meeting}"),
        body=(
            f"The agenda for {meeting.title} on {when:%-d %B %Y at %H:%M} is published."
            if first
            else f"Version {draft.number} of the agenda for {meeting.title} on "
            f"{when:%-d %B %Y at %H:%M} is published. What changed: {change_note}"
        ),
        url=meeting_url(meeting),
        exclude=actor,
    )
    build_pack_on_commit(meeting.pk)
    return draft


@transaction.atomic
def agenda_version_start(*, meeting: Meeting, actor: User) -> AgendaVersion:
    """Starts a new draft from the published agenda, copying its items (the same keys, so
    papers and changes follow them)."""
    role = require_secretary(actor, meeting.board)
    meeting = _lock_meeting(meeting)
    _require_scheduled(meeting)
    versions = _versions(meeting)
    if DRAFT in versions:
        raise BoardError(
            f"Version {versions[DRAFT].number} is already being drafted: edit it, then publish it."
        )
    published = versions.get(PUBLISHED)
    if published is None:
        raise BoardError("The agenda has not been published yet: edit the draft instead.")
    try:
        with transaction.atomic():
            draft = AgendaVersion.objects.create(
                meeting=meeting, number=_next_number(meeting), created_by=actor
            )
    except IntegrityError:
        raise BoardError("Someone else started a new version just now: reload.") from None
    AgendaItem.objects.bulk_create(
        AgendaItem(
            version=draft,
            key=item.key,
            order=item.order,
            brief_id=item.brief_id,
            **{name: getattr(item, name) for name in ITEM_FIELDS},
        )
        for item in published.items.all()
    )
    _record(
        "agenda_version_started",
        actor=actor,
        role=role,
        obj=draft,
        board=meeting.board,
        payload={"meeting": meeting.pk, "version": draft.number, "from_version": published.number},
    )
    return draft


# --- Papers ----------------------------------------------------------------------------------


def papers_due_at(meeting: Meeting) -> dt.datetime:
    """Papers uploaded after this moment are late."""
    return meeting.starts_at - dt.timedelta(days=meeting.board.papers_due_days)


def papers_mark_late(meeting: Meeting) -> None:
    """Marks the meeting's papers late or on time against its deadline now: called when the
    meeting moves or the board changes its deadline, in that change's transaction."""
    late = Q(uploaded_at__gt=papers_due_at(meeting))
    meeting.papers.update(is_late=Case(When(late, then=Value(True)), default=Value(False)))


@transaction.atomic
def paper_add(*, item: AgendaItem, title: str, upload: UploadedFile, actor: User) -> Paper:
    """Attaches a checked PDF to an item of the draft or published agenda, by the item's key;
    marked late when it comes after the board's deadline for papers."""
    role = require_secretary(actor, item.version.meeting.board)
    meeting = _lock_meeting(item.version.meeting)
    _require_scheduled(meeting)
    version = AgendaVersion.objects.get(pk=item.version_id)
    if version.state == SUPERSEDED:
        raise BoardError(
            f"Version {version.number} of the agenda has been superseded: add papers to the "
            "item on the current agenda."
        )
    title = title.strip()
    if not title:
        raise BoardError("Enter the paper's title.")
    check_plain({"The title": title})
    pdf = check_pdf(upload, error=BoardError)
    now = timezone.now()
    paper = Paper(
        meeting=meeting,
        item_key=item.key,
        title=title,
        sha256=pdf.sha256,
        size=pdf.size,
        pages=pdf.pages,
        is_late=now > papers_due_at(meeting),
        uploaded_by=actor,
        uploaded_at=now,
    )
    paper.file.save(f"{pdf.sha256[:16]}.pdf", ContentFile(pdf.data), save=False)
    paper.save()
    _record(
        "paper_added",
        actor=actor,
        role=role,
        obj=paper,
        board=meeting.board,
        payload={
            "meeting": meeting.pk,
            "item_key": item.key,
            "title": title,
            "sha256": paper.sha256,
            "pages": paper.pages,
            "late": paper.is_late,
        },
    )
    build_pack_on_commit(meeting.pk)
    return paper
