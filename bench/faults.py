"""Benchmark: faults under load, on PostgreSQL and Redis (`make bench-faults`).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/icsvoice \\
        .venv/bin/python -m bench.faults [--scale 0.1] [--duration 90]

The England-scale database of `bench.england` (a tenth by default), gunicorn with the
production settings as in `bench.load`, a real `celery worker` and `celery beat` on Redis, and
a real SMTP server on loopback. 16 simulated people browse and vote for `--duration` seconds
while three faults are made, one after another, each a second after a batch of 1,000 emails
is queued, so that it lands while they go out:

1. SIGKILL to the Celery worker's whole process group (the main process and its pool), then
   a new worker;
2. Redis shut down without saving, then started again (the broker's queued tasks are lost);
3. PostgreSQL restarted (every connection is cut).

After each, the time until the service answers again: /healthz (the database) and a GP's
signed-in home page both 200. After the load, the emails are given up to 4 minutes to arrive.

Targets (issue 9): no lost writes (every vote the service acknowledged with its redirect is
in the database); every email delivered, and no repeats beyond the documented window (an
email sent just before a fault, whose "sent" mark the fault stopped, goes again with the same
Message-ID: at most one per worker process per fault); the service answering within 10
seconds of each fault. Writes bench/results/faults-scale-<scale>.json and .md; exits 1 when
one is missed.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from bench import england, load
from tests.support.smtp import smtp_sink
from tests.support.stack import Stack

RECOVERY_TARGET_S = 10.0
EMAILS = 1000
CONCURRENCY = 2
SUBJECT = "The board meets in 7 days"
REDIS_START = [
    "redis-server",
    "--daemonize",
    "yes",
    "--bind",
    "127.0.0.1",
    "-::1",
    "--port",
    "6379",
    "--save",
    "",
    "--appendonly",
    "no",
    "--dir",
    "/var/lib/redis",
    "--logfile",
    "/var/log/redis/ci.log",
]  # fmt: skip (the same command as .ci/run)

QUEUE = """
from django.db import transaction
from icsvoice.models import User
from icsvoice.notifications import notify
recipients = list(User.objects.order_by("id").values_list("pk", flat=True)[:{count}])
with transaction.atomic():
    notify(
        kind="board.meeting_soon", obj=User.objects.get(pk=recipients[0]),
        recipients=recipients, version="{version}", urgent=True,
        subject="{subject}", body="The board meets on Thursday.",
        url="/",
    )
print(json.dumps(len(recipients)))
"""

OUTBOX = """
from django.db.models import Count
from icsvoice.models import OutboxMessage
rows = OutboxMessage.objects.filter(kind="board.meeting_soon", version__startswith="{version}")
print(json.dumps(dict(rows.values_list("state").annotate(n=Count("id")))))
"""

VOTES = """
from groups.models import VoteParticipation
wanted = {wanted}
found = set(
    VoteParticipation.objects.filter(vote_id__in={{v for v, _ in wanted}})
    .values_list("vote_id", "voter_id")
)
print(json.dumps([pair for pair in wanted if tuple(pair) not in found]))
"""


def _postgres_version() -> str:
    return sorted(os.listdir("/etc/postgresql"))[-1]


def serving(port: int, person: load.Person) -> bool:
    try:
        health = load.request(port, None, "GET", "/healthz")[0]
        home = load.request(port, person, "GET", "/")[0]
    except OSError:
        return False
    return health == 200 and home == 200


def wait_serving(port: int, person: load.Person, since: float, limit: float = 60.0) -> float:
    """Seconds from `since` until the service answers again (or `limit` if it never does)."""
    while time.monotonic() - since < limit:
        if serving(port, person):
            return round(time.monotonic() - since, 2)
        time.sleep(0.1)
    return limit


def ours(sink: Any) -> list[str]:
    """The Message-IDs of the emails this run queued (beat's reminders may send others)."""
    return [m["Message-ID"] for m in sink.messages() if m["Subject"] == SUBJECT]


def restart_redis() -> None:
    subprocess.run(["redis-cli", "-h", "127.0.0.1", "shutdown", "nosave"], check=False)  # noqa: S607
    time.sleep(1)
    subprocess.run(REDIS_START, check=True)  # noqa: S603


def restart_postgres() -> None:
    subprocess.run(  # noqa: S603
        ["pg_ctlcluster", "--skip-systemctl-redirect", _postgres_version(), "main", "restart"],  # noqa: S607
        check=True,
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=0.1)
    parser.add_argument("--duration", type=float, default=90.0)
    parser.add_argument("--people", type=int, default=16)
    parser.add_argument("--think", type=float, default=0.5)
    parser.add_argument("--port", type=int, default=8766)
    args = parser.parse_args()
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        print("faults: needs PostgreSQL (set DATABASE_URL=postgres://...); skipped")
        return 0

    manifest = england.ensure(args.scale)
    env = load.server_env(england.database_url(args.scale))
    os.environ.update({k: env[k] for k in load.SHARED})
    people = load.people_from(manifest, args.people)
    version = f"faults-{time.time_ns()}"
    with smtp_sink() as (sink, smtp_port), tempfile.TemporaryDirectory() as tmp:
        env.update(
            {
                "EMAIL_HOST": "127.0.0.1",
                "EMAIL_PORT": str(smtp_port),
                "EMAIL_USE_TLS": "0",
                "EMAIL_TIMEOUT": "10",
                "ICSVOICE_EMAIL_LEASE_SECONDS": "10",
                "ICSVOICE_SCAN_SECONDS": "5",
                "CELERY_VISIBILITY_TIMEOUT": "30",
                "PYTHONUNBUFFERED": "1",
            }
        )
        import redis

        redis.Redis.from_url(env["CELERY_BROKER_URL"]).flushdb()
        stack = Stack(Path(tmp), env)
        server = load.start_server(env, args.port, 2 * (os.cpu_count() or 1) + 1)
        faults: list[dict[str, Any]] = []
        try:
            worker = stack.worker(CONCURRENCY)
            stack.beat()
            pool = ThreadPoolExecutor(max_workers=1)
            running = pool.submit(load.phase, args.port, people, args.duration, args.think)
            watcher = people[1]
            step = args.duration / 4

            queued = 0

            def fault(name: str, make: Any) -> None:
                nonlocal queued
                time.sleep(step)
                # A batch of emails going out as the fault lands (queuing takes about 2 s,
                # and a worker sends the batch in about 4).
                queued += stack.python(  # type: ignore[operator]
                    QUEUE.format(count=EMAILS, version=f"{version}-{len(faults)}", subject=SUBJECT)
                )
                time.sleep(1)
                started = time.monotonic()
                make()
                faults.append(
                    {"fault": name, "serving_again_s": wait_serving(args.port, watcher, started)}
                )
                print(f"  {name}: serving again after {faults[-1]['serving_again_s']} s")

            def kill_worker() -> None:
                nonlocal worker
                Stack.kill(worker)
                worker = stack.worker(CONCURRENCY)

            fault("SIGKILL the Celery worker", kill_worker)
            fault("restart Redis", restart_redis)
            fault("restart PostgreSQL", restart_postgres)
            samples, seconds = running.result()
            pool.shutdown()

            deadline = time.monotonic() + 240
            states: dict[str, int] = {}
            while time.monotonic() < deadline:
                states = stack.python(OUTBOX.format(version=version))  # type: ignore[assignment]
                if states.get("sent", 0) >= queued and len(set(ours(sink))) >= queued:
                    break
                time.sleep(2)
            acknowledged = [
                (vote_id, person.user_id)
                for person in people
                for vote_id in person.data.get("acknowledged", [])
            ]
            lost: list[Any] = stack.python(VOTES.format(wanted=json.dumps(acknowledged)))  # type: ignore[assignment]
        finally:
            stack.stop_all()
            load.stop_server(server)
        ids = ours(sink)
        delivered = len(set(ids))
        repeats = len(ids) - delivered

    rows = load.summarise(samples, seconds)
    errors = sum(row["errors"] for row in rows.values())
    allowed = CONCURRENCY * len(faults)
    problems = [
        f"{f['fault']}: serving again after {f['serving_again_s']} s "
        f"(target {RECOVERY_TARGET_S:.0f})"
        for f in faults
        if f["serving_again_s"] > RECOVERY_TARGET_S
    ]
    if lost:
        problems.append(f"{len(lost)} acknowledged votes are not in the database: {lost[:5]}")
    if states.get("sent", 0) < queued or delivered < queued:
        problems.append(f"emails not all sent within 4 minutes: {states}")
    if repeats > allowed:
        problems.append(f"{repeats} repeated emails (at most {allowed}: one per process per fault)")
    result = {
        "scale": args.scale,
        "duration_seconds": round(seconds, 1),
        "faults": faults,
        "votes_acknowledged": len(acknowledged),
        "votes_lost": lost,
        "emails_queued": queued,
        "emails": states,
        "emails_received": len(ids),
        "emails_repeated": repeats,
        "requests": sum(row["requests"] for row in rows.values()),
        "request_errors": errors,
        "journeys": rows,
        "problems": problems,
    }
    summary = [
        f"# Faults under load at scale {args.scale}: {args.people} people, {seconds:.0f} s",
        "",
        "| fault | serving again after |",
        "| --- | ---: |",
        *[f"| {f['fault']} | {f['serving_again_s']} s |" for f in faults],
        "",
        f"Votes acknowledged: {len(acknowledged)}; missing from the database: {len(lost)}.",
        f"Emails: {queued} queued, {states.get('sent', 0)} marked sent, {len(ids)} received, "
        f"{repeats} repeated (allowed {allowed}).",
        f"Requests: {result['requests']:,}, of which {errors} failed during the faults.",
        "",
        *load.table(rows),
        "",
        "Targets: " + ("all met." if not problems else "MISSED: " + "; ".join(problems)),
    ]
    load.RESULTS.mkdir(parents=True, exist_ok=True)
    name = f"faults-{load.label(args.scale)}"
    (load.RESULTS / f"{name}.json").write_text(json.dumps(result, indent=2) + "\n")
    (load.RESULTS / f"{name}.md").write_text("\n".join(summary) + "\n")
    print("\n".join(summary))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
