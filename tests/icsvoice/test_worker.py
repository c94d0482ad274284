"""Real Celery workers and beat, on the filesystem transport (the embedded default) and on
Redis (production), sending the outbox to a real SMTP server.

The fault test kills the worker with SIGKILL several times in the middle of a batch of 1,000
emails. Every email must arrive. The only ones allowed to arrive twice are those caught in
the window between the SMTP server accepting an email and its row being marked sent
(icsvoice/mailer.py): at most one per worker process per kill, and a repeat carries the same
Message-ID as the first, so it is recognisable as the same email.
"""

from __future__ import annotations

import os
from collections import Counter

import pytest

from tests.support.smtp import smtp_sink
from tests.support.stack import redis_available, stack, wait_for

pytestmark = pytest.mark.timeout(600)

# CI runs the suite twice: on PostgreSQL with Redis (CELERY_BROKER_URL names it), then on
# the embedded default. Each run starts real workers on its own broker; a run by hand with
# no broker configured tries both.
LEG = os.environ.get("CELERY_BROKER_URL", "")
BROKERS = [
    pytest.param(
        "filesystem",
        marks=pytest.mark.skipif(
            LEG.startswith("redis"), reason="the embedded run starts the filesystem broker"
        ),
    ),
    pytest.param(
        "redis",
        marks=pytest.mark.skipif(
            not redis_available() or (LEG != "" and not LEG.startswith("redis")),
            reason="needs Redis on 127.0.0.1:6379 (the PostgreSQL and Redis run)",
        ),
    ),
]

MAKE_PEOPLE = """
from icsvoice.models import User
User.objects.bulk_create(
    [User(email=f"person{n}@example.nhs.uk", full_name=f"Person {n}") for n in range({count})]
)
print(json.dumps(User.objects.count()))
"""

NOTIFY_ALL = """
from django.db import transaction
from icsvoice.models import User
from icsvoice.notifications import notify
with transaction.atomic():
    owner = User.objects.order_by("id").first()
    made = notify(
        kind="test.announcement", obj=owner, recipients=User.objects.values_list("pk", flat=True),
        subject="The board meets on Thursday", body="The pack is ready.", url="/", urgent=True,
    )
print(json.dumps(made))
"""

STATES = """
from django.db.models import Count
from icsvoice.models import OutboxMessage
rows = OutboxMessage.objects.values("state").annotate(n=Count("id"))
print(json.dumps({row["state"]: row["n"] for row in rows}))
"""

MESSAGE_IDS = """
from icsvoice.models import OutboxMessage
print(json.dumps([row.message_id for row in OutboxMessage.objects.all()]))
"""


@pytest.mark.parametrize("broker", BROKERS)
def test_a_committed_notice_reaches_the_smtp_server_through_a_real_worker(tmp_path, broker):
    with smtp_sink() as (sink, port), stack(tmp_path, broker=broker, smtp_port=port) as app:
        assert app.python(MAKE_PEOPLE.replace("{count}", "3")) == 3
        # Queued after commit while no worker runs: the task waits in the broker.
        assert app.python(NOTIFY_ALL) == 3
        worker = app.worker()
        wait_for(lambda: sink.count() >= 3, 60, "three emails", app)
        wait_for(lambda: app.python(STATES) == {"sent": 3}, 30, "rows marked sent", app)
        assert sorted(sink.message_ids()) == sorted(app.python(MESSAGE_IDS))
        assert worker.poll() is None


def test_beat_and_a_worker_send_rows_whose_task_was_never_queued(tmp_path):
    """The safety net: a row written without its task (the broker was down at commit) is
    found by beat's scan and sent."""
    broker = "redis" if LEG.startswith("redis") else "filesystem"
    with smtp_sink() as (sink, port), stack(tmp_path, broker=broker, smtp_port=port) as app:
        app.python(MAKE_PEOPLE.replace("{count}", "2"))
        app.python(
            "from icsvoice.models import OutboxMessage, User\n"
            "for user in User.objects.all():\n"
            "    OutboxMessage.objects.create(kind='test.lost', object_type='icsvoice.user',"
            " object_id=str(user.pk), recipient=user, subject='Lost task', body='b')\n"
            "print(json.dumps(1))"
        )
        app.worker()
        app.beat()
        wait_for(lambda: sink.count() >= 2, 90, "the scan to send both", app)
        wait_for(lambda: app.python(STATES) == {"sent": 2}, 30, "rows marked sent", app)


def test_killing_the_worker_mid_batch_loses_nothing_and_doubles_only_the_window(tmp_path):
    # The broker this run of the suite is about: Redis for production, else the embedded one.
    broker = "redis" if LEG.startswith("redis") else "filesystem"
    kills, concurrency, total = 3, 2, 1000
    with smtp_sink() as (sink, port), stack(tmp_path, broker=broker, smtp_port=port) as app:
        sink.delay = 0.004  # about 2 s of sending per worker process: time to kill it
        assert app.python(MAKE_PEOPLE.replace("{count}", str(total))) == total
        assert app.python(NOTIFY_ALL) == total
        worker = app.worker(concurrency)
        for threshold in (150, 400, 650):
            wait_for(lambda t=threshold: sink.count() >= t, 120, f"{threshold} emails", app)
            app.kill(worker)
            worker = app.worker(concurrency)
        # Rows whose task died with the worker are found by beat's scan.
        app.beat()
        wait_for(lambda: app.python(STATES) == {"sent": total}, 240, "every row to be sent", app)
        expected = app.python(MESSAGE_IDS)
        arrived = Counter(sink.message_ids())
        assert set(arrived) == set(expected), "an email was lost"
        doubled = {message_id: n for message_id, n in arrived.items() if n > 1}
        assert all(n == 2 for n in doubled.values()), doubled
        assert len(doubled) <= kills * concurrency, doubled
        print(f"{broker}: {total} emails, {kills} kills, {len(doubled)} sent twice (the window)")
