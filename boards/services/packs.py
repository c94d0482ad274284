"""Writes on meeting packs: building a new version, sending the pack to the board's members,
and the beat scan that catches up with both. No person acts in any of them, so each audit
event names the system (icsvoice.audit.SYSTEM_ROLE) and no actor.

A pack is drawn outside any transaction (a long pack takes seconds, and holding the meeting's
row, or on SQLite the database's write lock, that long would stall the secretary's work);
it is then stored under the meeting's row lock, and only if what it was drawn from is still
current and no other worker stored it first. The constraint on (meeting, part, version)
backs the lock.

Only the confidential pack is emailed: it is the whole pack, and every current seat holder
is entitled to it. The public pack is for the public pages.
"""

from __future__ import annotations

import datetime as dt
import logging
import tempfile
from typing import IO, Any

from celery.exceptions import SoftTimeLimitExceeded
from django.core.files import File
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef
from django.urls import reverse
from django.utils import timezone

from boards.models import AgendaVersion, BoardSeat, Meeting, MeetingPack
from boards.packs import (
    CONFIDENTIAL,
    PUBLIC,
    PackContent,
    Rendered,
    pack_content,
    render_pack,
    sha256_of,
)
from boards.services.common import BoardError, seat_holder_ids
from icsvoice import audit
from icsvoice.models import OutboxMessage
from icsvoice.notifications import notify

logger = logging.getLogger(__name__)

PARTS = (CONFIDENTIAL, PUBLIC)
# How often a build draws again when the agenda or papers change while it draws.
DRAW_ATTEMPTS = 3


def _meeting_url(meeting: Meeting) -> str:
    return reverse("boards:meeting-detail", args=[meeting.pk]) + "#packs"


def latest_pack(meeting: Meeting, part: str) -> MeetingPack | None:
    return MeetingPack.objects.filter(meeting=meeting, part=part).order_by("-version").first()


def send_due_at(meeting: Meeting) -> dt.datetime:
    """From this moment the meeting's pack goes to the board's members."""
    return meeting.starts_at - dt.timedelta(days=meeting.board.pack_send_days)


def is_due(meeting: Meeting) -> bool:
    """The pack should be with the members by now, and the meeting is still to come."""
    return meeting.is_upcoming and timezone.now() >= send_due_at(meeting)


# --- Building --------------------------------------------------------------------------------


class _Stale(Exception):
    """What the pack was drawn from changed while it was drawn."""


def pack_build(*, meeting: Meeting, part: str) -> MeetingPack | None:
    """Builds the next version of the meeting's `part` pack if what goes into it changed
    since the latest version. None when nothing changed, no agenda is published, the
    meeting is cancelled, or another worker stored the same pack first.

    Side effects, in the storing transaction: the PDF under MEDIA_ROOT/packs/, audit
    `board.pack_built`, and a notice to the secretary if a paper could not be included.
    Sending is `pack_send_due`'s, which the build task and the scan call next."""
    if part not in MeetingPack.Part.values:
        raise BoardError("A pack is either public or confidential.")
    for _ in range(DRAW_ATTEMPTS):
        fresh = Meeting.objects.select_related("board").get(pk=meeting.pk)
        if fresh.is_cancelled:
            return None
        content = pack_content(fresh, part)
        if content is None:
            return None
        fingerprint = content.fingerprint()
        latest = latest_pack(fresh, part)
        if latest is not None and latest.fingerprint == fingerprint:
            return None
        version = latest.version + 1 if latest else 1
        with tempfile.TemporaryFile() as out:
            rendered = render_pack(content, version=version, out=out)
            try:
                return _store(
                    meeting=fresh,
                    content=content,
                    fingerprint=fingerprint,
                    version=version,
                    rendered=rendered,
                    out=out,
                )
            except _Stale:
                continue
    logger.warning(
        "The %s pack of meeting %s kept changing while it was drawn; the next scan builds it.",
        part,
        meeting.pk,
    )
    return None


@transaction.atomic
def _store(
    *,
    meeting: Meeting,
    content: PackContent,
    fingerprint: str,
    version: int,
    rendered: Rendered,
    out: IO[bytes],
) -> MeetingPack | None:
    meeting = Meeting.objects.select_for_update().select_related("board").get(pk=meeting.pk)
    if meeting.is_cancelled:
        return None
    now = pack_content(meeting, content.part)
    if now is None or now.fingerprint() != fingerprint:
        raise _Stale
    latest = latest_pack(meeting, content.part)
    if latest is not None and latest.fingerprint == fingerprint:
        return None  # another worker stored this very pack
    if (latest.version if latest else 0) + 1 != version:
        raise _Stale  # another worker stored a version in between: the cover's number is wrong
    assert content.agenda_id is not None  # pack_content always names the version
    sha256, size = sha256_of(out)
    pack = MeetingPack(
        meeting=meeting,
        part=content.part,
        version=version,
        agenda_id=content.agenda_id,
        fingerprint=fingerprint,
        sha256=sha256,
        pages=rendered.pages,
        size=size,
        problems=[problem.as_dict() for problem in rendered.problems],
        built_at=timezone.now(),
    )
    out.seek(0)
    pack.file.save(f"{meeting.pk}/{content.part}-v{version}-{sha256[:12]}.pdf", File(out), False)
    try:
        with transaction.atomic():
            pack.save()
    except IntegrityError:  # the lock makes this unreachable; the constraint is the backstop
        pack.file.delete(save=False)
        return None
    try:
        _announce_built(meeting, pack)
    except BaseException:
        pack.file.delete(save=False)  # the row rolls back: its file must not outlive it
        raise
    return pack


def _announce_built(meeting: Meeting, pack: MeetingPack) -> None:
    audit.record(
        event="board.pack_built",
        actor=None,
        role=audit.SYSTEM_ROLE,
        obj=pack,
        ics_id=meeting.board.ics_id,
        payload={
            "meeting": meeting.pk,
            "part": pack.part,
            "version": pack.version,
            "agenda": pack.agenda_id,
            "fingerprint": pack.fingerprint,
            "sha256": pack.sha256,
            "pages": pack.pages,
            "size": pack.size,
            "problems": pack.problems,
        },
    )
    problems = _new_problems(meeting, pack)
    if problems:
        _tell_secretary(meeting, pack, problems)


def _new_problems(meeting: Meeting, pack: MeetingPack) -> list[dict[str, Any]]:
    """The pack's problems the secretary has not been told of: not on the previous version
    of this part, nor (for the public pack, whose papers the confidential pack holds too)
    on the latest confidential pack."""
    earlier = MeetingPack.objects.filter(meeting=meeting).exclude(pk=pack.pk)
    known = earlier.filter(part=pack.part).order_by("-version").first()
    told = [known] if known else []
    if pack.part == PUBLIC:
        confidential = earlier.filter(part=CONFIDENTIAL).order_by("-version").first()
        told += [confidential] if confidential else []
    seen = {(p["paper"], p["reason"]) for other in told for p in other.problems}
    return [p for p in pack.problems if (p["paper"], p["reason"]) not in seen]


def _tell_secretary(meeting: Meeting, pack: MeetingPack, problems: list[dict[str, Any]]) -> None:
    left_out = "; ".join(f"“{p['title']}” (item {p['item']}): {p['reason']}" for p in problems)
    count = len(problems)
    notify(
        kind="boards.pack_problem",
        obj=pack,
        recipients=seat_holder_ids(meeting.board, BoardSeat.Role.SECRETARY),
        version=pack.version,
        subject=f"{count} paper{'s' if count != 1 else ''} left out of the pack: {meeting}",
        body=(
            f"Version {pack.version} of the {pack.get_part_display().lower()} pack for "
            f"{meeting} was built without {left_out}. A page in the pack says the paper "
            "could not be included. Add a readable copy of the paper to its item: the pack "
            "is built again with it."
        ),
        url=_meeting_url(meeting),
        urgent=True,
    )


# --- Sending ---------------------------------------------------------------------------------


@transaction.atomic
def pack_send(*, pack: MeetingPack) -> int:
    """Emails every current seat holder of the board a link to this confidential pack, once:
    as `boards.pack_sent`, or as `boards.pack_changed` when an earlier version went out.
    Nothing before the board's `pack_send_days` before the meeting, and nothing for a public
    pack, a superseded version, a version already sent, or a meeting that is cancelled or
    has started. Returns the number of emails queued."""
    meeting = Meeting.objects.select_for_update().select_related("board").get(pk=pack.meeting_id)
    return _send(meeting, pack)


def pack_send_due(*, meeting: Meeting) -> int:
    """Sends the meeting's latest confidential pack if it is due and not yet sent (see
    `pack_send`); the number of emails queued."""
    if not is_due(meeting):
        return 0
    latest = latest_pack(meeting, CONFIDENTIAL)
    if latest is None:
        return 0
    if latest.sent_at is None:
        return pack_send(pack=latest)
    return _send_to_newcomers(meeting, latest)


def _send_to_newcomers(meeting: Meeting, pack: MeetingPack) -> int:
    """Someone seated after the pack went out gets it too: every current seat holder who
    has no email for this version yet (the outbox's unique key keeps it to once)."""
    told = set(
        OutboxMessage.objects.filter(
            object_type=meeting._meta.label_lower,
            object_id=str(meeting.pk),
            kind__in=["boards.pack_sent", "boards.pack_changed"],
            version=str(pack.version),
        ).values_list("recipient_id", flat=True)
    )
    newcomers = seat_holder_ids(meeting.board) - told
    if not newcomers:
        return 0
    kind, subject, body = _pack_notice(meeting, pack)
    with transaction.atomic():
        return notify(
            kind=kind,
            obj=meeting,
            recipients=newcomers,
            version=pack.version,
            subject=subject,
            body=body,
            url=_meeting_url(meeting),
            urgent=True,
        )


def _pack_notice(
    meeting: Meeting, pack: MeetingPack, replaces: MeetingPack | None = None
) -> tuple[str, str, str]:
    """(kind, subject, body) of the email that sends a pack, or announces the version that
    `replaces` an earlier one already sent."""
    when = timezone.localtime(meeting.starts_at)
    on = f"{meeting.title} on {when:%-d %B %Y at %H:%M}"
    pages = f"{pack.pages} page{'s' if pack.pages != 1 else ''}"
    if replaces is None:
        return (
            "boards.pack_sent",
            f"Meeting pack: {meeting}",
            f"The pack for {on} is ready: the agenda and every paper, {pages}. It holds the "
            "private part of the meeting, so it is for the board's members only. Download it "
            "from the meeting's page.",
        )
    return (
        "boards.pack_changed",
        f"Meeting pack changed: {meeting}",
        f"The pack for {on} has changed since version {replaces.version} was sent: the "
        f"agenda, a paper or the meeting's details. Version {pack.version} ({pages}) "
        "replaces it. Download it from the meeting's page.",
    )


def _send(meeting: Meeting, pack: MeetingPack) -> int:
    if pack.part != CONFIDENTIAL or not is_due(meeting):
        return 0
    latest = latest_pack(meeting, CONFIDENTIAL)
    if latest is None or latest.pk != pack.pk:
        return 0
    sent_at = timezone.now()
    moved = MeetingPack.objects.filter(pk=pack.pk, sent_at__isnull=True).update(sent_at=sent_at)
    if moved != 1:
        return 0
    pack.sent_at = sent_at
    before = (
        MeetingPack.objects.filter(meeting=meeting, part=CONFIDENTIAL, sent_at__isnull=False)
        .exclude(pk=pack.pk)
        .order_by("-version")
        .first()
    )
    recipients = seat_holder_ids(meeting.board)
    kind, subject, body = _pack_notice(meeting, pack, replaces=before)
    queued = notify(
        kind=kind,
        obj=meeting,
        recipients=recipients,
        version=pack.version,
        subject=subject,
        body=body,
        url=_meeting_url(meeting),
        urgent=True,  # a pack is for a meeting days away: never held for a digest
    )
    audit.record(
        event="board.pack_sent",
        actor=None,
        role=audit.SYSTEM_ROLE,
        obj=pack,
        ics_id=meeting.board.ics_id,
        payload={
            "meeting": meeting.pk,
            "part": pack.part,
            "version": pack.version,
            "kind": kind,
            "recipients": len(recipients),
        },
    )
    return queued


# --- The scan --------------------------------------------------------------------------------


def packs_scan() -> dict[str, int]:
    """Beat's catch-up, every minute: builds the packs of upcoming meetings with a published
    agenda that are out of date (a build task that was lost, a board renamed), then sends
    packs that are due and not sent. Safe to run twice at once: builds store under the
    meeting's lock, and a send is a compare-and-swap on the pack's `sent_at`."""
    meetings = (
        Meeting.objects.filter(state=Meeting.State.SCHEDULED, starts_at__gt=timezone.now())
        .filter(
            Exists(
                AgendaVersion.objects.filter(
                    meeting=OuterRef("pk"), state=AgendaVersion.State.PUBLISHED
                )
            )
        )
        .select_related("board")
        .order_by("starts_at", "pk")
    )
    built = sent = failed = 0
    for meeting in meetings:
        for part in PARTS:
            try:
                built += pack_build(meeting=meeting, part=part) is not None
            except SoftTimeLimitExceeded:
                raise  # the task's time is up: the next scan carries on
            except Exception:  # one meeting's failure must not hold up every other meeting
                failed += 1
                logger.exception("Building the %s pack of meeting %s failed.", part, meeting.pk)
        try:
            sent += pack_send_due(meeting=meeting)
        except SoftTimeLimitExceeded:
            raise
        except Exception:  # as above: the other meetings' packs still go
            failed += 1
            logger.exception("Sending the pack of meeting %s failed.", meeting.pk)
    return {"built": built, "sent": sent, "failed": failed}
