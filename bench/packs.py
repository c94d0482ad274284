"""Benchmark: a meeting pack of 20 papers and 300 paper pages, built in under 20 seconds with
peak memory under 500 MB.

    .venv/bin/python -m bench.packs [--papers 20] [--pages 300] [--keep]

Sets up an installation of its own in a temporary folder (a media folder, an in-memory
broker that nobody reads, and a SQLite database, or a fresh PostgreSQL database dropped
afterwards when DATABASE_URL names a PostgreSQL server), then, in separate processes:

1. setup: migrates, makes a board, a secretary and a meeting with one agenda item per paper
   (the last three in private), and uploads the papers through the services. The papers are
   real text, tables and shading drawn by WeasyPrint (portrait A4, and landscape for every
   fourth), from 4 to 30 pages each.
2. build: a fresh process that times `pack_build` of the confidential pack (every item,
   every paper) and reads its peak resident memory (getrusage ru_maxrss), so the setup's
   own work does not count.

Prints one line, writes bench/results/packs.json; exits 1 when a target is missed.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path

TARGET_SECONDS = 20.0
TARGET_MB = 500.0
ROOT = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).resolve().parent / "results"


def page_counts(papers: int, pages: int) -> list[int]:
    """`papers` lengths in a spread (about 4 to 26 pages for 20 papers), adding up to
    `pages`."""
    if pages < papers:
        raise SystemExit(f"{pages} pages are too few for {papers} papers.")
    counts = [4 + (i * 11) % 23 for i in range(papers)]
    step = 1 if sum(counts) < pages else -1
    index = 0
    while sum(counts) != pages:
        if counts[index % papers] + step >= 1:
            counts[index % papers] += step
        index += 1
    return counts


def _paper_html(landscape: bool, pages: int) -> str:
    size = "A4 landscape" if landscape else "A4"
    paragraph = (
        "The board is asked to note the position at month nine and to approve the recovery "
        "actions set out below. Primary care access continues to improve, with same-day "
        "appointments up on last year; the risks are the winter surge and workforce gaps. "
    ) * 3
    rows = "".join(
        f"<tr><td>Measure {r}</td><td>{1200 + r * 37}</td><td>{1180 + r * 41}</td>"
        f'<td><div class="bar" style="width: {20 + (r * 13) % 70}%"></div></td></tr>'
        for r in range(12)
    )
    body = "".join(
        f"<section><h1>Section {n}</h1><p>{paragraph}</p><p>{paragraph}</p>"
        f"<table><tr><th>Measure</th><th>Plan</th><th>Actual</th><th>Trend</th></tr>{rows}"
        "</table></section>"
        for n in range(1, pages + 1)
    )
    return (
        f"<style>@page {{ size: {size}; margin: 18mm }} body {{ font-family: sans-serif; "
        "font-size: 9.5pt } section { break-after: page } table { width: 100%; "
        "border-collapse: collapse } td, th { border: 0.5pt solid #999; padding: 2pt } "
        "th { background: #d8dde0 } .bar { height: 6pt; background: #005eb8 }</style>" + body
    )


def setup(papers: int, pages: int) -> int:
    """Makes the meeting and its papers; returns the meeting's id."""
    import io

    import django

    django.setup()
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.core.management import call_command
    from pypdf import PdfReader, PdfWriter
    from weasyprint import HTML

    from boards.models import BoardSeat
    from boards.services import meetings as services
    from boards.services.boards import board_create
    from groups.models import ICS
    from icsvoice.models import User

    call_command("migrate", verbosity=0, interactive=False)
    counts = page_counts(papers, pages)
    most = max(counts)
    masters = {
        landscape: PdfReader(io.BytesIO(HTML(string=_paper_html(landscape, most)).write_pdf()))
        for landscape in (False, True)
    }
    ics = ICS.objects.create(code="QBE", name="Bench ICS")
    board = board_create(ics=ics, name="Bench Integrated Care Board", quorum=6, actor=None)
    secretary = User.objects.create_user("secretary@bench.example.nhs.uk", full_name="Sam Sec")
    BoardSeat.objects.create(board=board, user=secretary, role=BoardSeat.Role.SECRETARY)
    import datetime as dt

    from django.utils import timezone

    starts = timezone.now() + dt.timedelta(days=30)
    meeting = services.meeting_schedule(
        board=board,
        title="Board meeting in public",
        starts_at=starts,
        ends_at=starts + dt.timedelta(hours=4),
        location="Civic Centre",
        actor=secretary,
    )
    for number, count in enumerate(counts, start=1):
        private = number > papers - 3
        item = services.agenda_item_add(
            meeting=meeting,
            title=f"Item {number}: report",
            duration_minutes=10,
            purpose="information",
            presenter="Director",
            part="private" if private else "public",
            confidential_reason="Commercially sensitive." if private else "",
            review_on=(starts + dt.timedelta(days=180)).date() if private else None,
            actor=secretary,
        )
        writer = PdfWriter()
        master = masters[number % 4 == 0]
        for index in range(count):
            writer.add_page(master.pages[index])
        out = io.BytesIO()
        writer.write(out)
        services.paper_add(
            item=item,
            title=f"Paper {number}",
            upload=SimpleUploadedFile(f"paper{number}.pdf", out.getvalue(), "application/pdf"),
            actor=secretary,
        )
    services.agenda_publish(meeting=meeting, actor=secretary)
    return meeting.pk


def build(meeting_id: int) -> dict[str, float | int]:
    """Builds the confidential pack in this (fresh) process: seconds and peak memory."""
    import resource
    import time

    import django

    django.setup()
    from boards.models import Meeting
    from boards.packs import CONFIDENTIAL
    from boards.services.packs import pack_build

    meeting = Meeting.objects.get(pk=meeting_id)
    started = time.perf_counter()
    pack = pack_build(meeting=meeting, part=CONFIDENTIAL)
    seconds = time.perf_counter() - started
    if pack is None:
        raise SystemExit("No pack was built.")
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # kilobytes on Linux
    return {
        "seconds": round(seconds, 2),
        "peak_mb": round(peak_kb / 1024, 1),
        "pack_pages": pack.pages,
        "pack_bytes": pack.size,
        "problems": len(pack.problems),
    }


def _run(env: dict[str, str], *args: str) -> object:
    done = subprocess.run(  # noqa: S603 - this very module, in this Python
        [sys.executable, "-m", "bench.packs", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    if done.returncode != 0:
        raise SystemExit(f"bench.packs {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def _postgres(server: str, statement: str) -> None:
    import psycopg

    with psycopg.connect(f"{server.rsplit('/', 1)[0]}/postgres", autocommit=True) as admin:
        admin.execute(statement)  # type: ignore[arg-type]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--papers", type=int, default=20)
    parser.add_argument("--pages", type=int, default=300)
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    parser.add_argument("--setup", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--build", type=int, metavar="MEETING", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.setup:
        print(json.dumps(setup(args.papers, args.pages)))
        return 0
    if args.build:
        print(json.dumps(build(args.build)))
        return 0

    tmp = Path(tempfile.mkdtemp(prefix="icsvoice-bench-packs-"))
    server = os.environ.get("DATABASE_URL", "")
    pg_name = (
        f"icsvoice_bench_packs_{uuid.uuid4().hex[:10]}" if server.startswith("postgres") else ""
    )
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL"}
        and not key.startswith("ICSVOICE_")
    }
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "icsvoice.settings",
            "ICSVOICE_VAR_DIR": str(tmp / "var"),
            "ICSVOICE_MEDIA_ROOT": str(tmp / "media"),
            "DATABASE_URL": (
                f"{server.rsplit('/', 1)[0]}/{pg_name}"
                if pg_name
                else f"sqlite:///{tmp / 'bench.sqlite3'}"
            ),
            "CELERY_BROKER_URL": "memory://",
            "ICSVOICE_LOG_LEVEL": "WARNING",
        }
    )
    if pg_name:
        _postgres(server, f'CREATE DATABASE "{pg_name}"')
    try:
        meeting_id = _run(env, "--setup", "--papers", str(args.papers), "--pages", str(args.pages))
        measured = _run(env, "--build", str(meeting_id))
    finally:
        if pg_name:
            _postgres(server, f'DROP DATABASE IF EXISTS "{pg_name}" WITH (FORCE)')
        if not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)
    assert isinstance(measured, dict)
    met = measured["seconds"] < TARGET_SECONDS and measured["peak_mb"] < TARGET_MB
    result = {
        "benchmark": "packs",
        "papers": args.papers,
        "paper_pages": args.pages,
        "database": "postgresql" if pg_name else "sqlite",
        **measured,
        "target_seconds": TARGET_SECONDS,
        "target_mb": TARGET_MB,
        "met": met and measured["problems"] == 0,
    }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "packs.json").write_text(json.dumps(result, indent=2) + "\n")
    print(
        f"packs: {args.papers} papers, {args.pages} pages ({measured['pack_pages']} in the pack, "
        f"{result['database']}, "
        f"{measured['pack_bytes'] / 1e6:.1f} MB) built in {measured['seconds']:.1f} s "
        f"(target < {TARGET_SECONDS:.0f} s), peak memory {measured['peak_mb']:.0f} MB "
        f"(target < {TARGET_MB:.0f} MB): " + ("met" if result["met"] else "MISSED")
    )
    return 0 if result["met"] else 1


if __name__ == "__main__":
    sys.exit(main())
