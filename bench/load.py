"""Benchmark: the service under load, at England's scale, on PostgreSQL and Redis.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/icsvoice \\
        .venv/bin/python -m bench.load [--scale 1.0] [--duration 60] [--people 16] [--think 1.0]

Builds (or reuses) the England-scale database of `bench.england`, then starts gunicorn on
loopback with the production settings (DEBUG off, PostgreSQL, Redis for the cache and the
broker; plain HTTP, since there is no TLS on loopback) plus `bench.settings`' two additions: a
bare view and a header with each response's query count.

Two phases, one server:

- journeys: a closed loop of 16 simulated people for `--duration` seconds. Each is signed in
  (a GP lead of one ICS's leadership group, or an ICS reviewer) and repeats, with a think time
  of `--think` seconds on average between pages (uniform from half to one and a half times),
  a mix of real journeys: the home page, a position page, casting a vote (the form, then the
  POST), the members' agenda, the public agenda and, for reviewers, an audit trail search.
  Every person also asks for the bare view now and then, so it is measured in the same run.
- capacity: the same 16 people with no think time, first on the bare view only, then on the
  public agenda page only, `--capacity` seconds each: the ratio of their throughputs.

Reports per endpoint: requests, errors, p50, p95 and p99, throughput and queries per request;
writes bench/results/load-<scale>.md and .json and prints the table. Targets (issue 9): p95
under 150 ms for every page, the public agenda at no less than half the bare view's
throughput, no errors, and each page's queries per request the same at every scale measured
(compared with the other scale's results when they are there). Exits 1 when one is missed.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import re
import signal
import statistics
import subprocess
import sys
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from bench import england
from bench.stats import percentile

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
P95_TARGET_MS = 150.0
RATIO_TARGET = 0.5
HOST = "127.0.0.1"
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


@dataclass
class Sample:
    endpoint: str
    status: int
    seconds: float
    queries: int | None
    error: str = ""


@dataclass
class Person:
    """One simulated person: a signed-in session and the pages that are theirs to visit."""

    name: str
    user_id: int
    cookies: dict[str, str]
    journeys: list[tuple[str, int]]
    data: dict[str, Any] = field(default_factory=dict)


class Recorder:
    def __init__(self) -> None:
        self.samples: list[Sample] = []
        self.lock = threading.Lock()

    def add(self, sample: Sample) -> None:
        with self.lock:
            self.samples.append(sample)


def request(
    port: int,
    person: Person | None,
    method: str,
    path: str,
    form: dict[str, str] | None = None,
) -> tuple[int, dict[str, str], str, float]:
    """One HTTP request on a new connection (gunicorn's sync workers close each one)."""
    headers = {"Host": f"{HOST}:{port}", "User-Agent": "icsvoice-bench"}
    if person and person.cookies:
        headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in person.cookies.items())
    body = None
    if form is not None:
        body = urlencode(form)
        headers["Content-Type"] = "application/x-www-form-urlencoded"
        headers["Referer"] = f"http://{HOST}:{port}{path}"
    started = time.perf_counter()
    connection = http.client.HTTPConnection(HOST, port, timeout=30)
    try:
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        text = response.read().decode("utf-8", "replace")
    finally:
        connection.close()
    elapsed = time.perf_counter() - started
    answer = {k.lower(): v for k, v in response.getheaders()}
    if person is not None:
        for value in response.headers.get_all("Set-Cookie") or []:
            cookie = SimpleCookie()
            cookie.load(value)
            for key, morsel in cookie.items():
                person.cookies[key] = morsel.value
    return response.status, answer, text, elapsed


def timed(
    recorder: Recorder,
    port: int,
    person: Person | None,
    endpoint: str,
    method: str,
    path: str,
    form: dict[str, str] | None = None,
    ok: tuple[int, ...] = (200,),
) -> tuple[str, bool]:
    """The page's text, and whether it was the answer expected."""
    try:
        status, headers, text, elapsed = request(port, person, method, path, form)
    except (OSError, http.client.HTTPException) as exc:
        recorder.add(Sample(endpoint, 0, 0.0, None, f"{type(exc).__name__}: {exc}"))
        return "", False
    queries = headers.get("x-bench-queries")
    error = "" if status in ok else f"HTTP {status} for {method} {path}"
    recorder.add(Sample(endpoint, status, elapsed, int(queries) if queries else None, error))
    return text, not error


def cast_vote(recorder: Recorder, port: int, person: Person) -> None:
    """The vote form, then the vote: one of the person's open votes, each cast once."""
    votes: list[dict[str, Any]] = person.data["open_votes"]
    if not votes:
        return
    vote = votes.pop()
    text, _ = timed(recorder, port, person, "vote form", "GET", vote["form_path"])
    token = CSRF.search(text)
    if not token:
        return
    form = {"csrfmiddlewaretoken": token.group(1), **vote["fields"]}
    _, done = timed(
        recorder, port, person, "cast a vote", "POST", vote["post_path"], form, ok=(302, 303)
    )
    if done:
        # Acknowledged: the fault benchmark checks that each of these is in the database.
        person.data.setdefault("acknowledged", []).append(vote["vote_id"])


def run_journey(recorder: Recorder, port: int, person: Person, journey: str) -> None:
    paths = person.data["paths"]
    if journey == "vote":
        cast_vote(recorder, port, person)
    elif journey == "bare":
        timed(recorder, port, None, "bare view", "GET", "/bench/bare")
    elif journey == "public agenda":
        timed(recorder, port, None, journey, "GET", random.choice(paths[journey]))
    else:
        timed(recorder, port, person, journey, "GET", random.choice(paths[journey]))


def loop(
    recorder: Recorder,
    port: int,
    person: Person,
    until: float,
    think: float,
    only: str | None = None,
) -> None:
    names = [name for name, _ in person.journeys]
    weights = [weight for _, weight in person.journeys]
    while time.monotonic() < until:
        journey = only or random.choices(names, weights)[0]
        run_journey(recorder, port, person, journey)
        if think:
            time.sleep(random.uniform(think / 2, think * 1.5))


def phase(
    port: int,
    people: list[Person],
    seconds: float,
    think: float,
    only: str | None = None,
) -> tuple[Recorder, float]:
    recorder = Recorder()
    started = time.monotonic()
    until = started + seconds
    threads = [
        threading.Thread(target=loop, args=(recorder, port, person, until, think, only))
        for person in people
    ]
    for thread in threads:
        thread.start()
        time.sleep(think / len(people) if think else 0)  # arrivals spread, not in step
    for thread in threads:
        thread.join()
    return recorder, time.monotonic() - started


def summarise(recorder: Recorder, seconds: float) -> dict[str, dict[str, Any]]:
    by_endpoint: dict[str, list[Sample]] = defaultdict(list)
    for sample in recorder.samples:
        by_endpoint[sample.endpoint].append(sample)
    rows = {}
    for endpoint, samples in sorted(by_endpoint.items()):
        times = [s.seconds * 1000 for s in samples if not s.error]
        queries = sorted({s.queries for s in samples if s.queries is not None})
        rows[endpoint] = {
            "requests": len(samples),
            "errors": sum(1 for s in samples if s.error),
            "error_examples": sorted({s.error for s in samples if s.error})[:3],
            "p50_ms": round(percentile(times, 0.50), 1),
            "p95_ms": round(percentile(times, 0.95), 1),
            "p99_ms": round(percentile(times, 0.99), 1),
            "per_second": round(len(samples) / seconds, 1),
            "queries": queries,
            "queries_mean": round(
                statistics.fmean(q for s in samples if (q := s.queries) is not None), 1
            )
            if queries
            else None,
        }
    return rows


def start_server(env: dict[str, str], port: int, workers: int) -> subprocess.Popen[bytes]:
    server = subprocess.Popen(  # noqa: S603 (our own gunicorn and arguments)
        [
            str(ROOT / ".venv" / "bin" / "gunicorn"),
            "icsvoice.wsgi",
            "--bind",
            f"{HOST}:{port}",
            "--workers",
            str(workers),
            "--timeout",
            "60",
            "--no-control-socket",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
        start_new_session=True,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if request(port, None, "GET", "/healthz")[0] == 200:
                return server
        except OSError:
            pass
        if server.poll() is not None:
            raise SystemExit("gunicorn did not start: see the lines above")
        time.sleep(0.2)
    stop_server(server)
    raise SystemExit("gunicorn did not answer /healthz within 60 seconds")


def stop_server(server: subprocess.Popen[bytes]) -> None:
    os.killpg(server.pid, signal.SIGTERM)
    try:
        server.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)
        server.wait()


# What this process shares with the server, to make sessions the server can read.
SHARED = ("DATABASE_URL", "DJANGO_SETTINGS_MODULE", "DJANGO_SECRET_KEY", "REDIS_URL")


def server_env(database_url: str) -> dict[str, str]:
    redis = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0").rsplit("/", 1)[0]
    return {
        **os.environ,
        "DATABASE_URL": database_url,
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": os.environ.get("DJANGO_SECRET_KEY", "bench-" + "k" * 60),
        # Its own Redis databases: the cache, and a broker no worker reads (emptied after).
        "REDIS_URL": f"{redis}/8",
        "CELERY_BROKER_URL": f"{redis}/9",
        "ICSVOICE_HTTPS": "0",
    }


# Who the 16 are: most are GP leads (the position page and votes are theirs); board seat
# holders read the members' agenda; ICS staff reviewers search the audit trail. Each person is
# in a different ICS, the first reviewer in the ICS holding a quarter of all audit events.
ROLES = ["reviewer", "gp", "gp", "seat", "gp", "gp", "reviewer", "gp"]
JOURNEYS = {
    "gp": [("home", 3), ("position", 3), ("vote", 2), ("public agenda", 2), ("bare", 1)],
    "seat": [("home", 2), ("agenda", 4), ("public agenda", 2), ("bare", 1)],
    "reviewer": [("home", 2), ("audit search", 4), ("public agenda", 2), ("bare", 1)],
}


def people_from(manifest: dict[str, Any], count: int) -> list[Person]:
    """Signed-in sessions made the way Django's test client makes them, in the bench database:
    the server reads them like any other session."""
    import django

    django.setup()
    from django.test import Client

    from icsvoice.models import User

    people: list[Person] = []
    systems = manifest["icss"]
    for n in range(count):
        system = systems[n % len(systems)]
        role = ROLES[n % len(ROLES)]
        user_id = {
            "gp": system["member_user_ids"][1 + n // len(systems)],  # not the chair
            "seat": system["gp_representative_user_id"],
            "reviewer": system["reviewer_user_id"],
        }[role]
        client = Client()
        client.force_login(User.objects.get(pk=user_id))
        meetings = [m for m in system["meetings"] if m["primary_care_items"]] or system["meetings"]
        ics = system["ics_id"]
        paths = {
            "home": ["/"],
            "position": [f"/positions/{pk}/" for pk in system["agreed_position_ids"][:5]]
            + [f"/positions/{pk}/" for pk in system["debate_position_ids"][:5]],
            "agenda": [m["agenda"] for m in meetings[:5]],
            "public agenda": [m["public_agenda"] for m in meetings[:5]],
            "audit search": [
                f"/review/{ics}/audit/",
                f"/review/{ics}/audit/?q=frailty",
                f"/review/{ics}/audit/?event=position.drafted",
            ],
        }
        votes = [
            {
                "vote_id": vote["vote_id"],
                "form_path": vote["get"],
                "post_path": vote["post"],
                "fields": {"choice": random.choice(["for", "against", "abstain"])},
            }
            for vote in system["open_votes"]
        ]
        people.append(
            Person(
                name=f"{role} {user_id} in ICS {ics}",
                user_id=user_id,
                cookies={key: morsel.value for key, morsel in client.cookies.items()},
                journeys=JOURNEYS[role],
                data={"paths": paths, "open_votes": votes if role == "gp" else []},
            )
        )
    return people


def label(scale: float) -> str:
    return f"scale-{scale:g}"


def compare_queries(rows: dict[str, dict[str, Any]], scale: float) -> list[str]:
    """Each endpoint's queries per request against the other scale's last run, if any."""
    problems = []
    for other in sorted(RESULTS.glob("load-*.json")):
        if other.name == f"load-{label(scale)}.json":
            continue
        earlier = json.loads(other.read_text())
        for endpoint, row in rows.items():
            then = earlier.get("journeys", {}).get(endpoint, {}).get("queries")
            # The most any request made (a page's count varies a little with what it shows:
            # a secret ballot, a position in debate); it must not grow with the data.
            if then and row["queries"] and max(then) != max(row["queries"]):
                problems.append(
                    f"{endpoint}: at most {max(row['queries'])} queries here, {max(then)} at "
                    f"scale {earlier['scale']}"
                )
    return problems


def table(rows: dict[str, dict[str, Any]]) -> list[str]:
    lines = [
        "| endpoint | requests | errors | p50 ms | p95 ms | p99 ms | per second | queries |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for endpoint, row in rows.items():
        queries = "-".join(str(q) for q in (row["queries"][:1] + row["queries"][-1:]))
        if row["queries"] and row["queries"][0] == row["queries"][-1]:
            queries = str(row["queries"][0])
        lines.append(
            f"| {endpoint} | {row['requests']:,} | {row['errors']} | {row['p50_ms']} | "
            f"{row['p95_ms']} | {row['p99_ms']} | {row['per_second']} | {queries} |"
        )
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--duration", type=float, default=60.0)
    parser.add_argument("--capacity", type=float, default=15.0)
    parser.add_argument("--people", type=int, default=16)
    parser.add_argument("--think", type=float, default=1.0)
    parser.add_argument("--workers", type=int, default=2 * (os.cpu_count() or 1) + 1)
    parser.add_argument("--port", type=int, default=8765)
    args = parser.parse_args()
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        print("load: needs PostgreSQL (set DATABASE_URL=postgres://...); skipped")
        return 0

    manifest = england.ensure(args.scale)
    database_url = england.database_url(args.scale)
    env = server_env(database_url)
    os.environ.update({k: env[k] for k in SHARED})
    people = people_from(manifest, args.people)
    server = start_server(env, args.port, args.workers)
    try:
        # Warm up: every worker imports, connects and fills its template cache.
        phase(args.port, people, 10, 0.05)
        journeys, seconds = phase(args.port, people, args.duration, args.think)
        bare, bare_seconds = phase(args.port, people, args.capacity, 0, only="bare")
        agenda, agenda_seconds = phase(args.port, people, args.capacity, 0, only="public agenda")
    finally:
        stop_server(server)
    rows = summarise(journeys, seconds)
    bare_rate = len(bare.samples) / bare_seconds
    agenda_rate = len(agenda.samples) / agenda_seconds
    ratio = round(agenda_rate / bare_rate, 2) if bare_rate else 0.0
    capacity: dict[str, Any] = {
        "bare view per second": round(bare_rate, 1),
        "public agenda per second": round(agenda_rate, 1),
        "ratio": ratio,
        "errors": sum(1 for s in bare.samples + agenda.samples if s.error),
        "bare": summarise(bare, bare_seconds),
        "public agenda": summarise(agenda, agenda_seconds),
    }

    problems = [
        f"{endpoint}: p95 {row['p95_ms']} ms (target {P95_TARGET_MS:.0f})"
        for endpoint, row in rows.items()
        if row["p95_ms"] > P95_TARGET_MS
    ]
    problems += [
        f"{endpoint}: {row['errors']} errors, e.g. {row['error_examples']}"
        for endpoint, row in rows.items()
        if row["errors"]
    ]
    if capacity["errors"]:
        problems.append(f"capacity phase: {capacity['errors']} errors")
    if ratio < RATIO_TARGET:
        problems.append(
            f"public agenda at {capacity['ratio']} of the bare view's throughput "
            f"(target {RATIO_TARGET})"
        )
    problems += compare_queries(rows, args.scale)

    result = {
        "scale": args.scale,
        "people": args.people,
        "think_seconds": args.think,
        "duration_seconds": round(seconds, 1),
        "gunicorn_workers": args.workers,
        "built": manifest.get("totals", {}),
        "journeys": rows,
        "capacity": capacity,
        "problems": problems,
    }
    summary = [
        f"# Load at scale {args.scale}: {args.people} people, think {args.think} s, "
        f"{seconds:.0f} s, gunicorn {args.workers} workers",
        "",
        *table(rows),
        "",
        f"Capacity, no think time: bare view {capacity['bare view per second']}/s, public "
        f"agenda {capacity['public agenda per second']}/s, ratio {capacity['ratio']} "
        f"(target at least {RATIO_TARGET}).",
        "",
        "Targets: " + ("all met." if not problems else "MISSED: " + "; ".join(problems)),
    ]
    RESULTS.mkdir(parents=True, exist_ok=True)
    name = f"load-{label(args.scale)}"
    (RESULTS / f"{name}.json").write_text(json.dumps(result, indent=2) + "\n")
    (RESULTS / f"{name}.md").write_text("\n".join(summary) + "\n")
    print("\n".join(summary))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
