"""The engagement side's Celery tasks (its reminder scan is in reminders.py)."""

from __future__ import annotations

from celery import shared_task

from engagement.services.interviews import leavers_erase


@shared_task(name="engagement.erase_leavers", ignore_result=True)
def erase_leavers() -> int:
    """Beat runs this hourly: erases the name and address of every leaver who answered or
    lapsed 90 days ago. Safe to run twice."""
    return leavers_erase()
