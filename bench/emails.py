"""Benchmark: 10,000 reminder emails delivered to a local SMTP sink by two worker processes.

    .venv/bin/python -m bench.emails [--count 10000] [--broker redis|filesystem]

Builds a whole installation of its own (tests/support/stack.py): a fresh database
(PostgreSQL when DATABASE_URL names one, else SQLite), a real broker, a real SMTP server on
loopback and one `celery worker --concurrency 2`. It queues the emails the way a reminder
scan does (one notify() in one transaction; the tasks are queued after commit), then times
from the commit to the last row marked sent. Target: under 60 seconds. Prints one line, and
writes it to bench/results/emails.json; exits 1 when the target is missed.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

from tests.support.smtp import smtp_sink
from tests.support.stack import redis_available, stack, wait_for

TARGET_SECONDS = 60.0
RESULTS = Path(__file__).resolve().parent / "results"

QUEUE = """
import time
from django.db import transaction
from icsvoice.models import User
from icsvoice.notifications import notify
User.objects.bulk_create(
    [User(email=f"gp{n}@example.nhs.uk", full_name=f"Dr {n}") for n in range({count})],
    batch_size=2000,
)
recipients = list(User.objects.values_list("pk", flat=True))
started = time.time()
with transaction.atomic():
    notify(
        kind="board.meeting_soon", obj=User.objects.order_by("id").first(),
        recipients=recipients, version="7d:2026-12-03", urgent=True,
        subject="The North ICB board meets in 7 days",
        body="The board meets on Thursday 3 December 2026 at 10:00. The pack is ready.",
        url="/boards/1/meetings/1/",
    )
print(json.dumps(started))
"""

SENT = """
from icsvoice.models import OutboxMessage
print(json.dumps(OutboxMessage.objects.filter(state="sent").count()))
"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument(
        "--broker",
        choices=["redis", "filesystem"],
        default="redis" if redis_available() else "filesystem",
    )
    args = parser.parse_args()
    with (
        tempfile.TemporaryDirectory() as tmp,
        smtp_sink() as (sink, port),
        # The production lease (the stack's 5 s suits the fault tests, not a long batch).
        stack(
            Path(tmp), broker=args.broker, smtp_port=port, ICSVOICE_EMAIL_LEASE_SECONDS="300"
        ) as app,
    ):
        app.worker(concurrency=2)
        app.beat()  # as in production: the scan is part of delivery
        time.sleep(3)  # the worker is up before the clock starts
        started = float(app.python(QUEUE.replace("{count}", str(args.count)), timeout=600))
        wait_for(lambda: sink.count() >= args.count, 600, f"{args.count} emails", app)
        arrived = time.time()
        wait_for(lambda: app.python(SENT) == args.count, 120, "every row marked sent", app)
        marked = time.time()
        database = app.env["DATABASE_URL"].split(":", 1)[0]
    seconds = marked - started
    result = {
        "benchmark": "emails",
        "emails": args.count,
        "workers": 2,
        "broker": args.broker,
        "database": database,
        "seconds_to_smtp": round(arrived - started, 1),
        "seconds_to_marked_sent": round(seconds, 1),
        "emails_per_second": round(args.count / seconds, 1),
        "target_seconds": TARGET_SECONDS,
        "met": seconds < TARGET_SECONDS,
    }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "emails.json").write_text(json.dumps(result, indent=2) + "\n")
    print(
        f"emails: {args.count} delivered by 2 worker processes ({args.broker}, {database}) in "
        f"{seconds:.1f} s, {result['emails_per_second']}/s; target < {TARGET_SECONDS:.0f} s: "
        + ("met" if result["met"] else "MISSED")
    )
    return 0 if result["met"] else 1


if __name__ == "__main__":
    sys.exit(main())
