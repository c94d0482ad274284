"""The Celery app. Settings come from Django settings under the CELERY_ prefix."""

import logging
import os
from typing import Any

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "icsvoice.settings")

app = Celery("icsvoice")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
# Reminder scans live beside the rules they remind about: groups/reminders.py, boards/reminders.py.
app.autodiscover_tasks(related_name="reminders")


log = logging.getLogger(__name__)


def queue(task: Any, *args: Any) -> bool:
    """Queues `task` with `args`; False, with a warning logged, if the broker cannot take
    it. For work that a beat scan finds again anyway, so a broker outage must not turn the
    change that queued it into an error."""
    try:
        task.delay(*args)
    except Exception:
        log.warning(
            "Could not queue %s %r; its scan will find the work", task.name, args, exc_info=True
        )
        return False
    return True
