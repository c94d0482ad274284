"""The Celery app. Settings come from Django settings under the CELERY_ prefix."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "icsvoice.settings")

app = Celery("icsvoice")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
# Reminder scans live beside the rules they remind about: groups/reminders.py, boards/reminders.py.
app.autodiscover_tasks(related_name="reminders")
