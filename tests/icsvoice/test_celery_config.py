"""The Celery settings at-least-once delivery depends on."""

from __future__ import annotations

from django.conf import settings

from icsvoice.celery import app
from icsvoice.env import env_int


def test_tasks_are_acknowledged_late_one_at_a_time_in_json():
    conf = app.conf
    assert conf.task_acks_late is True
    assert conf.task_reject_on_worker_lost is True
    assert conf.worker_prefetch_multiplier == 1
    assert conf.task_serializer == "json" and list(conf.accept_content) == ["json"]


def test_no_task_outlives_the_visibility_timeout():
    # What the Redis branch of the settings would use in this environment.
    visibility = settings.CELERY_BROKER_TRANSPORT_OPTIONS.get(
        "visibility_timeout", env_int("CELERY_VISIBILITY_TIMEOUT", 3600)
    )
    assert app.conf.task_soft_time_limit < app.conf.task_time_limit < visibility


def test_every_scan_beat_runs_names_a_registered_task():
    app.loader.import_default_modules()
    scheduled = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert scheduled <= set(app.tasks), scheduled - set(app.tasks)
    assert {
        "icsvoice.send_due_emails",
        "icsvoice.send_digests",
        "groups.send_reminders",
        "boards.send_reminders",
        "boards.pack_scan",
    } <= scheduled
