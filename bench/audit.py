"""Benchmark: the audit trail review at England's scale, on PostgreSQL.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/icsvoice \\
        .venv/bin/python -m bench.audit [--events 10000000] [--chain 1000000] [--fresh]

Three targets from issue 7, each measured in its own process against databases of its own
(named after DATABASE_URL's, with `_bench_audit` and `_bench_chain`; kept between runs,
since filling them takes minutes, unless --fresh):

- pages: with 10 million events in 42 ICSs (a quarter of them in the ICS under review), the
  review's first page for each of a dozen filters, through the real view (middleware,
  filters, template), 20 times each: p95 under 200 ms for every filter.
- export: the CSV export of 1 million of those events, streamed through the real view into
  nothing: the process's peak memory under 200 MB.
- verify: recomputing a chain of 1 million real hash-chained events: under 60 seconds.

Prints one line per target and writes bench/results/audit.json; exits 1 when one is missed.
On SQLite it says so and exits 0: the targets are PostgreSQL's.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from bench.stats import percentile

RESULTS = Path(__file__).resolve().parent / "results"
ROOT = Path(__file__).resolve().parent.parent
PAGE_TARGET_MS = 200.0
EXPORT_TARGET_MB = 200.0
VERIFY_TARGET_S = 60.0
ICSS = 42
USERS = 2000
WORDS = [
    "access",
    "frailty",
    "hubs",
    "workforce",
    "estates",
    "digital",
    "prescribing",
    "pharmacy",
    "dental",
    "optometry",
    "mental",
    "health",
    "children",
    "urgent",
    "care",
    "same-day",
    "continuity",
    "funding",
    "contract",
    "enhanced",
    "service",
    "vaccination",
    "screening",
    "diabetes",
    "respiratory",
    "cardiology",
    "dermatology",
    "referrals",
    "waiting",
    "list",
    "discharge",
    "community",
    "nursing",
    "social",
    "prescribing",
    "population",
    "health",
    "inequalities",
    "deprivation",
    "rural",
    "coastal",
    "housing",
    "homeless",
    "carers",
    "dementia",
    "palliative",
    "end-of-life",
    "safeguarding",
    "learning",
    "disability",
    "autism",
    "maternity",
    "neighbourhood",
    "place",
    "system",
    "board",
    "partnership",
    "budget",
    "capital",
    "premises",
    "telephony",
    "online",
    "consultation",
]


def _url(database: str) -> str:
    base = urlsplit(os.environ["DATABASE_URL"])
    return urlunsplit(base._replace(path=f"/{database}"))


def _names() -> tuple[str, str]:
    stem = urlsplit(os.environ["DATABASE_URL"]).path.lstrip("/") or "icsvoice"
    return f"{stem}_bench_audit", f"{stem}_bench_chain"


def _manage(database_url: str, *args: str) -> None:
    subprocess.run(  # noqa: S603 (our own interpreter and arguments)
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**os.environ, "DATABASE_URL": database_url},
        check=True,
        stdout=subprocess.DEVNULL,
    )


def _admin_sql(sql: str) -> None:
    import psycopg

    with psycopg.connect(_url("postgres"), autocommit=True) as connection:
        connection.execute(sql)


def _exists(database: str) -> bool:
    import psycopg

    with psycopg.connect(_url("postgres"), autocommit=True) as connection:
        row = connection.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [database]
        ).fetchone()
    return row is not None


def _ready(database: str, events: int) -> bool:
    import psycopg

    if not _exists(database):
        return False
    with psycopg.connect(_url(database)) as connection:
        try:
            row = connection.execute("SELECT max(id) FROM icsvoice_auditevent").fetchone()
        except psycopg.Error:
            return False
    return bool(row and row[0] == events)


def _create(database: str) -> None:
    _admin_sql(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
    _admin_sql(f'CREATE DATABASE "{database}"')
    _manage(_url(database), "migrate", "--no-input")


# --- Filling -----------------------------------------------------------------------------------


def _django(database_url: str) -> None:
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "icsvoice.settings")
    import django

    django.setup()


def _people_and_places() -> None:
    """42 ICSs, each with a leadership group and a board; 2,000 people; a reviewer of ICS 1."""
    from boards.models import Board
    from groups.models import ICS, IcsReviewer, LeadershipGroup
    from icsvoice.models import User

    systems = ICS.objects.bulk_create(
        [ICS(code=f"Q{n:02d}", name=f"ICS {n:02d}") for n in range(1, ICSS + 1)]
    )
    LeadershipGroup.objects.bulk_create(
        [LeadershipGroup(ics=ics, name=f"{ics.name} leadership group") for ics in systems]
    )
    Board.objects.bulk_create(
        [Board(ics=ics, name=f"{ics.name} board", slug=f"b{ics.pk}") for ics in systems]
    )
    User.objects.bulk_create(
        [User(email=f"person{n}@example.nhs.uk", full_name=f"Person {n}") for n in range(USERS)]
    )
    reviewer = User.objects.create_user("reviewer@example.nhs.uk", full_name="Riya Reviewer")
    IcsReviewer.objects.create(ics=systems[0], user=reviewer)


def _fill_events(events: int) -> None:
    """10 million events by INSERT ... SELECT, indexes dropped first and rebuilt after (as
    a restore would). Not hash-chained: the pages do not read the chain; verify has its own."""
    from django.db import connection

    from engagement.auditlog import EVENTS, OBJECTS, ROLES

    event_names = sorted(EVENTS)
    roles = sorted(ROLES)
    objects = sorted(OBJECTS)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = "
            "'icsvoice_auditevent' AND indexname NOT LIKE '%%_pkey'"
        )
        indexes = cursor.fetchall()
        cursor.execute(
            "SELECT conname FROM pg_constraint WHERE conrelid = "
            "'icsvoice_auditevent'::regclass AND contype IN ('u', 'f')"
        )
        constraints = [row[0] for row in cursor.fetchall()]
        cursor.execute(
            "SELECT pg_get_constraintdef(oid), conname FROM pg_constraint WHERE conrelid = "
            "'icsvoice_auditevent'::regclass AND contype IN ('u', 'f')"
        )
        constraint_defs = cursor.fetchall()
        # A unique constraint's own index goes and comes back with the constraint.
        indexes = [(name, definition) for name, definition in indexes if name not in constraints]
        for name in constraints:
            cursor.execute(f'ALTER TABLE icsvoice_auditevent DROP CONSTRAINT "{name}"')
        for name, _definition in indexes:
            cursor.execute(f'DROP INDEX IF EXISTS "{name}"')
        cursor.execute("SELECT min(id) FROM icsvoice_user")
        first_user = cursor.fetchone()[0]
        batch = 1_000_000
        for start in range(1, events + 1, batch):
            stop = min(start + batch - 1, events)
            # A quarter of the events in ICS 1, the rest spread over the other 41; events
            # are skewed towards the common names (square of a uniform draw), as real
            # trails are; a title of three words and a reference unique to the event.
            cursor.execute(
                """
                INSERT INTO icsvoice_auditevent (id, occurred_at, actor_id, actor_label, role,
                  event, object_type, object_id, ics_id, group_id, board_id, payload,
                  prev_hash, hash)
                SELECT n,
                  timestamptz '2023-12-01 00:00:00+00' + n * interval '9 seconds',
                  %(first_user)s + (n * 7919) %% %(users)s,
                  'person' || ((n * 7919) %% %(users)s) || '@example.nhs.uk',
                  (%(roles)s::text[])[1 + floor(%(nroles)s * power(((n * 104729) %% 10007)
                    / 10007.0, 2))::int],
                  (%(events)s::text[])[1 + floor(%(nevents)s * power(((n * 15485863) %% 10007)
                    / 10007.0, 2))::int],
                  (%(objects)s::text[])[1 + (n * 31) %% %(nobjects)s],
                  ((n * 48271) %% 200000)::text,
                  ics,
                  CASE WHEN n %% 10 < 6 THEN ics END,
                  CASE WHEN n %% 10 >= 5 AND n %% 10 < 8 THEN ics END,
                  jsonb_build_object(
                    'title', initcap((%(words)s::text[])[1 + (n * 13) %% %(nwords)s] || ' '
                      || (%(words)s::text[])[1 + (n * 17) %% %(nwords)s] || ' '
                      || (%(words)s::text[])[1 + (n * 19) %% %(nwords)s]),
                    'ref', substr(md5(n::text), 1, 12)),
                  md5((n - 1)::text) || md5(n::text),
                  md5(n::text) || md5((n + 1)::text)
                FROM (
                  SELECT n, CASE WHEN n %% 4 = 0 THEN 1 ELSE 2 + (n %% 41) END AS ics
                  FROM generate_series(%(start)s::bigint, %(stop)s::bigint) AS n
                ) AS s
                """,
                {
                    "first_user": first_user,
                    "users": USERS,
                    "roles": roles,
                    "nroles": len(roles),
                    "events": event_names,
                    "nevents": len(event_names),
                    "objects": objects,
                    "nobjects": len(objects),
                    "words": WORDS,
                    "nwords": len(WORDS),
                    "start": start,
                    "stop": stop,
                },
            )
            print(f"  {stop:,} events", flush=True)
        cursor.execute("SET maintenance_work_mem = '1GB'")
        for definition, name in constraint_defs:
            cursor.execute(f'ALTER TABLE icsvoice_auditevent ADD CONSTRAINT "{name}" {definition}')
        for _name, definition in indexes:
            cursor.execute(definition)
            print(f"  {_name}", flush=True)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE icsvoice_auditevent")


def _fill_chain(events: int) -> None:
    """A real chain: each event's hash computed by the writer's own function, loaded by COPY."""
    from django.db import connection

    from icsvoice import audit
    from icsvoice.models import User

    User.objects.bulk_create(
        [User(email=f"person{n}@example.nhs.uk", full_name=f"Person {n}") for n in range(100)]
    )
    people = list(User.objects.values_list("id", "email"))
    start = time.time()
    prev = audit.GENESIS
    when = time.time() - events * 9
    import datetime as dt

    columns = (
        "id, occurred_at, actor_id, actor_label, role, event, object_type, object_id, ics_id, "
        "group_id, board_id, payload, prev_hash, hash"
    )
    raw = connection.connection if connection.connection else None
    if raw is None:
        connection.ensure_connection()
        raw = connection.connection
    with (
        raw.cursor() as cursor,
        cursor.copy(f"COPY icsvoice_auditevent ({columns}) FROM STDIN") as copy,
    ):
        for n in range(1, events + 1):
            actor_id, email = people[n % len(people)]
            occurred_at = dt.datetime.fromtimestamp(when + n * 9, tz=dt.UTC)
            payload = {"title": f"{WORDS[n % len(WORDS)]} {WORDS[(n * 7) % len(WORDS)]}", "ref": n}
            group_id = 1 if n % 3 else None
            fields = {
                "id": n,
                "occurred_at": occurred_at,
                "actor_id": actor_id,
                "actor_label": email,
                "role": "group_member",
                "event": "position.commented",
                "object_type": "groups.position",
                "object_id": str(n % 5000),
                "ics_id": 1,
                "group_id": group_id,
                "board_id": None,
                "payload": payload,
                "prev_hash": prev,
            }
            digest = audit._digest(**fields)
            copy.write_row(
                [
                    n,
                    occurred_at,
                    actor_id,
                    email,
                    "group_member",
                    "position.commented",
                    "groups.position",
                    str(n % 5000),
                    1,
                    group_id,
                    None,
                    json.dumps(payload),
                    prev,
                    digest,
                ]
            )
            prev = digest
    raw.commit()
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE icsvoice_auditevent")
    print(f"  chained {events:,} events in {time.time() - start:.0f} s", flush=True)


# --- Measuring ---------------------------------------------------------------------------------


def _client() -> Any:
    from django.test import Client

    from icsvoice.models import User
    from tests.helpers import give_totp

    reviewer = User.objects.get(email="reviewer@example.nhs.uk")
    give_totp(reviewer)
    client = Client(HTTP_HOST="localhost")
    client.force_login(reviewer)
    return client


def _filters() -> dict[str, dict[str, str]]:
    from boards.models import Board
    from groups.models import ICS, LeadershipGroup

    ics = ICS.objects.get(code="Q01")
    group = LeadershipGroup.objects.get(ics=ics)
    board = Board.objects.get(ics=ics)
    return {
        "none": {},
        "group": {"group": str(group.pk)},
        "board": {"board": str(board.pk)},
        "person": {"person": "person1236@example.nhs.uk"},
        "role (common)": {"role": "group_member"},
        "role (rare)": {"role": "anonymous"},
        "event (common)": {"event": "auth.sign_in_failed"},
        "event (rare)": {"event": "vote.participated"},
        "object": {"object_type": "groups.position", "object_id": "4244"},
        "a recent month": {
            "date_from[day]": "1",
            "date_from[month]": "8",
            "date_from[year]": "2026",
            "date_to[day]": "31",
            "date_to[month]": "8",
            "date_to[year]": "2026",
        },
        "a month two years ago": {
            "date_from[day]": "1",
            "date_from[month]": "1",
            "date_from[year]": "2024",
            "date_to[day]": "31",
            "date_to[month]": "1",
            "date_to[year]": "2024",
        },
        "words (common)": {"q": "frailty"},
        # ICS 1 holds the events numbered by multiples of 4: event 4's reference, md5("4")[:12].
        "words (one event)": {"q": "a87ff679a2f3"},
        "words (none)": {"q": "zebra crossing"},
        "event + group + dates": {
            "event": "position.drafted",
            "group": str(group.pk),
            "date_from[day]": "1",
            "date_from[month]": "6",
            "date_from[year]": "2025",
            "date_to[day]": "30",
            "date_to[month]": "9",
            "date_to[year]": "2025",
        },
    }


def measure_pages(runs: int) -> dict[str, Any]:
    from django.urls import reverse

    from groups.models import ICS

    client = _client()
    ics = ICS.objects.get(code="Q01")
    url = reverse("engagement:audit", args=[ics.pk])
    results = {}
    for name, params in _filters().items():
        response = client.get(url, params)  # warm: plan cache, pages in memory
        assert response.status_code == 200, (name, response.status_code)
        assert not response.context["form"].errors, (name, response.context["form"].errors)
        timings = []
        for _ in range(runs):
            started = time.perf_counter()
            response = client.get(url, params)
            timings.append((time.perf_counter() - started) * 1000)
        p95 = percentile(timings, 0.95)
        results[name] = {
            "rows": len(response.context["rows"]),
            "median_ms": round(statistics.median(timings), 1),
            "p95_ms": round(p95, 1),
        }
        print(
            f"  {name:24} {results[name]['rows']:3} rows  median "
            f"{results[name]['median_ms']:6.1f} ms  p95 {results[name]['p95_ms']:6.1f} ms",
            flush=True,
        )
    worst = max(r["p95_ms"] for r in results.values())
    return {
        "filters": results,
        "worst_p95_ms": worst,
        "target_ms": PAGE_TARGET_MS,
        "met": worst < PAGE_TARGET_MS,
    }


def measure_export() -> dict[str, Any]:
    from django.urls import reverse

    from groups.models import ICS

    client = _client()
    ics = ICS.objects.get(code="Q01")
    # ICS 1 holds a quarter of the events; this stretch of it is just over a million.
    params = {
        "date_from[day]": "1",
        "date_from[month]": "12",
        "date_from[year]": "2023",
        "date_to[day]": "31",
        "date_to[month]": "1",
        "date_to[year]": "2025",
    }
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    started = time.perf_counter()
    response = client.get(reverse("engagement:audit-csv", args=[ics.pk]), params)
    lines = 0
    size = 0
    for chunk in response.streaming_content:
        lines += chunk.count(b"\n")
        size += len(chunk)
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {
        "rows": lines - 1,
        "megabytes_written": round(size / 2**20, 1),
        "seconds": round(seconds, 1),
        "rss_before_mb": round(before, 1),
        "peak_rss_mb": round(peak, 1),
        "target_mb": EXPORT_TARGET_MB,
        "met": lines - 1 >= 1_000_000 and peak < EXPORT_TARGET_MB,
    }


def measure_verify() -> dict[str, Any]:
    from icsvoice import audit

    started = time.perf_counter()
    result = audit.verify(save_checkpoint=False)
    seconds = time.perf_counter() - started
    return {
        "events": result.checked,
        "ok": result.ok,
        "seconds": round(seconds, 1),
        "events_per_second": round(result.checked / seconds),
        "target_seconds": VERIFY_TARGET_S,
        "met": result.ok and seconds < VERIFY_TARGET_S,
    }


def _phase(name: str, database_url: str, *extra: str) -> dict[str, Any]:
    """Runs one phase in a fresh process (its own memory, its own database settings)."""
    output = subprocess.run(  # noqa: S603 (our own interpreter and arguments)
        [sys.executable, "-m", "bench.audit", "--phase", name, *extra],
        cwd=ROOT,
        env={**os.environ, "DATABASE_URL": database_url, "ICSVOICE_REQUIRE_MFA": "1"},
        check=True,
        stdout=subprocess.PIPE,
        text=True,
    ).stdout
    lines = output.strip().splitlines()
    for line in lines[:-1]:
        print(line)
    return json.loads(lines[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=10_000_000)
    parser.add_argument("--chain", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--fresh", action="store_true")
    parser.add_argument("--phase", help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.phase:
        _django(os.environ["DATABASE_URL"])
        from django.test.utils import setup_test_environment

        setup_test_environment()  # so a response carries its template context
        result: dict[str, Any]
        if args.phase == "fill-events":
            _people_and_places()
            _fill_events(args.events)
            result = {"filled": args.events}
        elif args.phase == "fill-chain":
            _fill_chain(args.chain)
            result = {"filled": args.chain}
        elif args.phase == "pages":
            result = measure_pages(args.runs)
        elif args.phase == "export":
            result = measure_export()
        else:
            result = measure_verify()
        print(json.dumps(result))
        return 0

    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        print("audit: skipped; the audit targets are PostgreSQL's (set DATABASE_URL)")
        return 0
    events_db, chain_db = _names()
    if args.fresh or not _ready(events_db, args.events):
        print(f"audit: filling {events_db} with {args.events:,} events (minutes)", flush=True)
        started = time.time()
        _create(events_db)
        _phase("fill-events", _url(events_db), "--events", str(args.events))
        print(f"  filled in {time.time() - started:.0f} s", flush=True)
    if args.fresh or not _ready(chain_db, args.chain):
        print(f"audit: chaining {args.chain:,} events in {chain_db}", flush=True)
        _create(chain_db)
        _phase("fill-chain", _url(chain_db), "--chain", str(args.chain))

    print(f"audit: first pages over {args.events:,} events, {args.runs} runs per filter")
    pages = _phase("pages", _url(events_db), "--runs", str(args.runs))
    export = _phase("export", _url(events_db))
    verify = _phase("verify", _url(chain_db))
    result = {
        "benchmark": "audit",
        "events": args.events,
        "pages": pages,
        "export": export,
        "verify": verify,
        "met": pages["met"] and export["met"] and verify["met"],
    }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "audit.json").write_text(json.dumps(result, indent=2) + "\n")
    print(
        f"audit: first page p95 over every filter {pages['worst_p95_ms']} ms with "
        f"{args.events:,} events; target < {PAGE_TARGET_MS:.0f} ms: "
        + ("met" if pages["met"] else "MISSED")
    )
    print(
        f"audit: CSV export of {export['rows']:,} events in {export['seconds']} s, peak "
        f"memory {export['peak_rss_mb']} MB; target < {EXPORT_TARGET_MB:.0f} MB: "
        + ("met" if export["met"] else "MISSED")
    )
    print(
        f"audit: verified {verify['events']:,} chained events in {verify['seconds']} s "
        f"({verify['events_per_second']:,}/s); target < {VERIFY_TARGET_S:.0f} s: "
        + ("met" if verify["met"] else "MISSED")
    )
    return 0 if result["met"] else 1


if __name__ == "__main__":
    sys.exit(main())
