"""Celery tasks of the primary care side. Each takes ids or nothing, and is safe to run
twice or on two workers at once."""

from __future__ import annotations

from celery import shared_task

from groups.services import votes_close_due


@shared_task(name="groups.close_due_votes", ignore_result=True)
def close_due_votes() -> list[int]:
    """Beat runs this every minute: closes every vote whose deadline has passed."""
    return votes_close_due()
