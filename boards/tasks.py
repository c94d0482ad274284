"""Celery tasks of the board side. Each takes ids or nothing, calls a service, and is safe
to run twice or on two workers at once. Reminder scans are in boards/reminders.py."""

from __future__ import annotations

from celery import shared_task
from django.db import OperationalError, transaction

from boards.models import Meeting
from boards.services.packs import PARTS, pack_build, pack_send_due, packs_scan
from icsvoice.celery import queue


@shared_task(
    name="boards.build_pack",
    ignore_result=True,
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=5,
)
def build_pack(meeting_id: int) -> list[int]:
    """Builds whichever of the meeting's packs (confidential, public) are out of date, then
    sends the confidential one if it is due (a change announced as one); the ids of the
    versions made. Nothing for a meeting that is gone or unchanged."""
    meeting = Meeting.objects.select_related("board").filter(pk=meeting_id).first()
    if meeting is None:
        return []
    built = [pack_build(meeting=meeting, part=part) for part in PARTS]
    pack_send_due(meeting=meeting)
    return [pack.pk for pack in built if pack is not None]


@shared_task(name="boards.pack_scan", ignore_result=True)
def pack_scan() -> dict[str, int]:
    """Beat runs this every minute: stale packs of upcoming meetings are built, due packs
    are sent."""
    return packs_scan()


def build_pack_on_commit(meeting_id: int) -> None:
    """Once the caller's transaction commits, asks a worker to rebuild the meeting's packs.
    A broker that cannot take the task is logged, not raised: the change itself is saved,
    and the scan builds the pack within a minute or so."""
    transaction.on_commit(lambda: queue(build_pack, meeting_id))
