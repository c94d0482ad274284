"""Benchmark data: an England-scale PostgreSQL database for the load generator (issue 9).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/icsvoice \\
        .venv/bin/python -m bench.england [--scale 1.0] [--fresh]

Builds, in a database of its own named after DATABASE_URL's (`_bench_england` at scale 1,
`_bench_england_s010` at 0.1, and so on; created with migrations, kept between runs unless
--fresh, a finished build being marked by the `bench_england_build` table written last):

- every ICS, PCN and practice from the ODS files in ../shared/data/ods through the project's
  importer when they are there, otherwise synthetic ones in the same numbers (42 ICSs, 1,250
  PCNs, 6,253 practices);
- 42 leadership groups of 20 (terms of reference in force, a chair, a register of interests),
  one ICS staff reviewer per ICS, 42 boards of 20 seats (one GP representative each);
- 40,000 people, 20,000 positions with their versions, comments and declarations, votes with
  their eligibility, participation and 400,000 ballots (named or secret, as each group's terms
  say, every count and outcome tallied by `groups.tally`), and at least 60 open votes per
  group with nobody voted yet, for the load generator to cast real votes in;
- 2,000 board meetings with 40,000 agenda items in published (and some superseded) agenda
  versions, agreed positions tabled as briefs with the board's responses, attendance and
  minutes;
- 10 million audit events, by bench.audit's filler (which runs alongside the rest).

`--scale 0.1` builds about a tenth of the people, positions, ballots, meetings, items and
events; every ICS, PCN, practice, group and board is kept. Loading uses COPY and
INSERT ... SELECT; the full scale takes under 15 minutes on a 2-core machine.

Group members, the ICS reviewers and board seat holders have a TOTP authenticator with
tests.helpers.DEMO_TOTP_SECRET. Prints each phase's time and writes
bench/results/england-build.json and bench/results/england-manifest-<suffix>.json, the
manifest (`ensure()` returns it) naming the people, objects and paths of each journey.
On SQLite it says so and exits 0: the scale is PostgreSQL's.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import os
import random
import subprocess
import sys
import time
import uuid
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from bench.audit import _admin_sql, _django, _exists, _fill_events, _manage, _url

RESULTS = Path(__file__).resolve().parent / "results"
ROOT = Path(__file__).resolve().parent.parent
ODS = ROOT.parent / "shared" / "data" / "ods"
ICB_NAMES = ROOT / "groups" / "data" / "icb_names.csv"
MARKER = "bench_england_build"
LONDON = ZoneInfo("Europe/London")

# England's scale (scale 1.0).
ICSS = 42
PCNS = 1250
PRACTICES = 6253
GROUP_SIZE = 20
BOARD_SIZE = 20
PEOPLE = 40_000
POSITIONS = 20_000
BALLOTS = 400_000
MEETINGS = 2000
AGENDA_ITEMS = 40_000
EVENTS = 10_000_000
OPEN_VOTES = 60  # per group at scale 1; at least MIN_OPEN_VOTES at any scale
MIN_OPEN_VOTES = 20

START = dt.datetime(2024, 1, 8, 9, 0, tzinfo=LONDON)  # groups formed, seats taken
TERMS_REVIEW = dt.date(2027, 3, 31)
DAY = dt.timedelta(days=1)


# --- Names and places ----------------------------------------------------------------------------


def suffix(scale: float) -> str:
    return "bench_england" if scale == 1.0 else f"bench_england_s{round(scale * 100):03d}"


def database_name(scale: float) -> str:
    stem = urlsplit(os.environ["DATABASE_URL"]).path.lstrip("/") or "icsvoice"
    return f"{stem}_{suffix(scale)}"


def database_url(scale: float) -> str:
    """The bench database's URL: DATABASE_URL's server, a database of its own."""
    return _url(database_name(scale))


def _manifest_path(scale: float) -> Path:
    return RESULTS / f"england-manifest-{suffix(scale)}.json"


# --- Sizes ---------------------------------------------------------------------------------------


def sizes(scale: float) -> dict[str, int]:
    open_votes = max(MIN_OPEN_VOTES, round(OPEN_VOTES * scale))
    return {
        "people": max(round(PEOPLE * scale), ICSS * (GROUP_SIZE + BOARD_SIZE + 1) + 500),
        "positions": max(round(POSITIONS * scale), ICSS * (open_votes + 10)),
        "ballots": round(BALLOTS * scale),
        "meetings": max(round(MEETINGS * scale), ICSS * 4),
        "agenda_items": round(AGENDA_ITEMS * scale),
        "events": round(EVENTS * scale),
        "open_votes_per_group": open_votes,
    }


# --- Text ----------------------------------------------------------------------------------------

FIRST = (  # noqa: SIM905 (a list of names is easier to read as one string)
    "Aisha Amelia Amir Anna Ben Bethan Chidi Chloe Daniel Deepa Eleanor Emma Fatima Femi Gareth "
    "Grace Hannah Harpreet Imran Isla James Jane Kamal Kate Laura Liam Maria Mark Mei Mohammed "
    "Naomi Neil Olivia Omar Priya Rachel Rajesh Rebecca Ruth Sam Sarah Sean Sophie Sunita Tom "
    "Uche Victoria William Yasmin Zara"
).split()
LAST = (  # noqa: SIM905
    "Adams Ahmed Ali Bailey Begum Bennett Brown Campbell Chen Clarke Davies Edwards Evans Foster "
    "Green Griffiths Hall Harris Hughes Hussain Jackson James Jones Kaur Khan King Lewis Mahmood "
    "Martin Mitchell Moore Morgan Murphy Nguyen Okafor Owen Patel Phillips Price Roberts "
    "Robinson Shah Singh Smith Taylor Thomas Thompson Walker Ward Watson White Williams Wilson "
    "Wood Wright Young"
).split()

TOPICS: tuple[tuple[str, str, str, str], ...] = (
    # (title, theme, summary, ask)
    (
        "Same-day access hubs in every place",
        "patients_and_clinicians",
        "Practices in each place share a same-day hub for urgent on-the-day need, so routine "
        "appointments are protected for continuity.",
        "Fund one same-day hub per place from April, staffed by the practices it serves.",
    ),
    (
        "Frailty teams built around PCNs",
        "providers_helping",
        "Community frailty teams should be aligned to PCN footprints, with named GPs.",
        "Realign community frailty staff to PCN footprints within twelve months.",
    ),
    (
        "Protected time for GP leadership roles",
        "leadership_team",
        "GP leaders at system, place and neighbourhood level need backfilled sessions.",
        "Fund two backfilled sessions a week for each place-level GP lead.",
    ),
    (
        "One primary care voice in the joint forward plan",
        "vision_and_voice",
        "The joint forward plan should carry a primary care chapter written by the group.",
        "Give the leadership group the primary care chapter of the next joint forward plan.",
    ),
    (
        "Estates: a premises plan for growing practices",
        "other",
        "Practices with growing lists have no room for additional roles staff.",
        "Publish a primary care estates plan with capital for the ten most crowded sites.",
    ),
    (
        "Digital telephony for every practice",
        "patients_and_clinicians",
        "Cloud telephony with call-back cuts the 8am rush; a third of practices lack it.",
        "Fund cloud telephony for the remaining practices this financial year.",
    ),
    (
        "Community pharmacy and practices prescribing together",
        "providers_helping",
        "Pharmacy First referrals work best with shared protocols agreed locally.",
        "Convene practices and pharmacies in each place to agree referral protocols.",
    ),
    (
        "Exit interviews for GPs leaving roles",
        "leadership_team",
        "We lose experienced GPs without learning why; exit interviews would tell us.",
        "Offer every GP leaving a practice or system role an exit interview.",
    ),
    (
        "Mental health practitioners in every PCN",
        "patients_and_clinicians",
        "Practices need mental health practitioners embedded, not a referral route.",
        "Fund one mental health practitioner per PCN through the trust's contract.",
    ),
    (
        "Realistic timelines for the access recovery plan",
        "vision_and_voice",
        "The plan's targets assume staff we do not have; trade-offs must be explicit.",
        "Agree phased targets with the group and publish the trade-offs made.",
    ),
    (
        "Diabetes care closer to home",
        "providers_helping",
        "Specialist nurses should run clinics in practices, not only in hospital.",
        "Move two diabetes specialist nurse posts into PCN clinics.",
    ),
    (
        "Continuity of care for people with complex needs",
        "patients_and_clinicians",
        "People with several long-term conditions do better with a named GP team.",
        "Adopt continuity of care as a measure in the system's outcomes framework.",
    ),
    (
        "Co-leadership at place",
        "leadership_team",
        "Each place partnership should be co-led by a GP and a place director.",
        "Appoint a GP co-lead for every place partnership board.",
    ),
    (
        "Discharge summaries that practices can act on",
        "providers_helping",
        "Discharge letters arrive late and ask practices to do hospital work.",
        "Adopt the discharge standard and audit it quarterly with the group.",
    ),
    (
        "Health inequalities funding follows deprivation",
        "vision_and_voice",
        "Practices in the most deprived areas see more need with the same funding.",
        "Weight the inequalities budget by deprivation at practice level.",
    ),
    (
        "Winter plan: primary care capacity",
        "other",
        "Winter plans count hospital beds but not general practice appointments.",
        "Include primary care capacity and its funding in the winter plan.",
    ),
)
BODY = """## The problem

General practice in {ics} carries most of the system's contacts with patients, yet this
question is decided without it. Practices tell us that {summary_lower}

## What we propose

{ask}

- Practices and PCNs in every place are consulted before the board decides.
- Progress is reported to the group every quarter.

## Evidence

See the links below and the group's survey of practices.
"""
COMMENTS = (
    "Our PCN would support this; we tried something similar last winter.",
    "Can we say more about the workforce we would need, and where it comes from?",
    "I agree with the ask but the timeline looks optimistic for rural practices.",
    "The trade-offs section should name what stops if this goes ahead.",
    "Patients in our practice raised this at the participation group last month.",
    "I would like the LMC's view before we vote.",
)
REASONS = (
    "",
    "",
    "",
    "Agree with the ask; timeline is realistic.",
    "Support, subject to the funding being recurrent.",
    "Needs more detail on workforce.",
    "The trade-offs are not clear enough yet.",
)
SEAT_TITLES = (
    "Chief Executive",
    "Chief Finance Officer",
    "Chief Medical Officer",
    "Chief Nursing Officer",
    "Chief People Officer",
    "Director of Strategy",
    "Non-executive member (audit)",
    "Non-executive member (quality)",
    "Non-executive member (finance)",
    "Non-executive member (remuneration)",
    "Partner member (NHS trusts)",
    "Partner member (mental health)",
    "Partner member (local authority)",
    "Partner member (local authority)",
    "Director of Public Health",
    "Healthwatch representative",
    "VCSE sector representative",
)
PUBLIC_ITEMS: tuple[tuple[str, str, int, str], ...] = (
    # (title, purpose, minutes, presenter)
    ("Welcome, introductions and apologies", "information", 5, "Chair"),
    ("Declarations of interest", "information", 5, "Chair"),
    ("Minutes of the previous meeting", "decision", 5, "Chair"),
    ("Action log", "assurance", 5, "Board secretary"),
    ("Chair's report", "information", 10, "Chair"),
    ("Chief Executive's report", "information", 15, "Chief Executive"),
    ("Integrated performance report", "assurance", 20, "Director of Strategy"),
    ("Finance report", "assurance", 15, "Chief Finance Officer"),
    ("System quality report", "assurance", 15, "Chief Nursing Officer"),
    ("Urgent and emergency care plan", "discussion", 20, "Chief Medical Officer"),
    ("Joint forward plan refresh", "decision", 20, "Director of Strategy"),
    ("Primary care access recovery", "discussion", 15, "Chief Medical Officer"),
    ("Board assurance framework", "assurance", 10, "Board secretary"),
    ("Audit committee report", "assurance", 10, "Non-executive member (audit)"),
    ("People plan update", "information", 10, "Chief People Officer"),
    ("Population health and inequalities", "discussion", 15, "Director of Public Health"),
    ("Questions from the public", "information", 15, "Chair"),
    ("Any other business", "information", 5, "Chair"),
)
PRIVATE_ITEMS: tuple[tuple[str, str, str], ...] = (
    (
        "Contract award: community services",
        "decision",
        "Commercially sensitive: the procurement is still in progress.",
    ),
    (
        "Senior appointments",
        "decision",
        "Personal information about named individuals.",
    ),
    (
        "Legal matter",
        "information",
        "Legal advice subject to privilege.",
    ),
)
# Where an agreed position goes when it is not tabled; "" leaves it in the representative's
# queue.
OTHER_ROUTES = (
    ("written_submission", "The agenda was full; sent to members as a written submission."),
    ("written_submission", "The agenda was full; sent to members as a written submission."),
    ("written_submission", "Timing: a written submission reached the board before its decision."),
    ("deputy", "I was on leave; my deputy raised it at the meeting."),
    ("medical_director", "An operational matter: passed to the medical director to act on."),
    ("not_taken_forward", "Overtaken by the national contract changes announced since."),
    ("", ""),
)
RESPONSES = (
    ("adopted", 45, "The board agreed the ask and asked the executive to report back."),
    ("adopted_with_changes", 20, "Agreed with a later start date to fit the financial plan."),
    ("noted", 20, "Noted; to be considered in the next planning round."),
    ("deferred", 10, "Deferred until the financial position is clearer."),
    ("declined", 5, "Declined: no funding this year; the board will revisit it next year."),
)


# --- Loading helpers -----------------------------------------------------------------------------


def _copy(table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
    """COPY rows into a table on Django's connection, inside its current transaction."""
    from django.db import connection

    connection.ensure_connection()
    raw = connection.connection
    assert raw is not None
    count = 0
    quoted = ", ".join(f'"{column}"' for column in columns)
    with (
        raw.cursor() as cursor,
        cursor.copy(f"COPY {table} ({quoted}) FROM STDIN") as copy,
    ):
        for row in rows:
            copy.write_row(row)
            count += 1
    return count


def _reset_sequences(*tables: str) -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608
                f"coalesce((SELECT max(id) FROM {table}), 0) + 1, false)"
            )


def _at(day: dt.date | dt.datetime, hour: int = 9, minute: int = 0) -> dt.datetime:
    if isinstance(day, dt.datetime):
        day = day.date()
    return dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=LONDON)


class Plan:
    """Ids of the people and objects that later phases refer to, kept in memory."""

    def __init__(self, scale: float) -> None:
        self.scale = scale
        self.size = sizes(scale)
        self.rng = random.Random(9)
        self.now = dt.datetime.now(tz=dt.UTC)
        self.ics_ids: list[int] = []
        self.ics_names: dict[int, str] = {}
        self.names: list[str] = []  # full name by user id - 1
        self.members: dict[int, list[int]] = {}  # by ICS id; the chair first
        self.board_seats: dict[int, list[tuple[int, str, str]]] = {}  # (user, role, title)
        self.reviewers: dict[int, int] = {}
        self.groups: dict[int, int] = {}  # group id by ICS id
        self.boards: dict[int, int] = {}
        self.terms: dict[int, dict[str, Any]] = {}  # by group id
        # Agreed positions by ICS: (position id, version id, agreed at).
        self.agreed: dict[int, list[tuple[int, int, dt.datetime, str]]] = {}
        self.meetings: dict[int, list[tuple[int, dt.datetime]]] = {}
        self.totals: dict[str, int] = {}

    def name(self, user_id: int) -> str:
        return self.names[user_id - 1]


# --- Phases --------------------------------------------------------------------------------------


def phase_people(plan: Plan) -> None:
    """ICSs (ids 1 to 42, by ICB code, as the importer would create them), the people, and a
    TOTP authenticator for everyone who signs in during a load run."""
    from allauth.mfa.models import Authenticator
    from allauth.mfa.totp.internal.auth import TOTP
    from django.contrib.auth.hashers import make_password
    from django.db import transaction

    from groups.models import ICS
    from icsvoice.models import User
    from tests.helpers import DEMO_TOTP_SECRET

    with ICB_NAMES.open(encoding="utf-8", newline="") as handle:
        names = sorted((row["code"], row["name"]) for row in csv.DictReader(handle))
    rng = plan.rng
    people = plan.size["people"]
    plan.names = [f"{rng.choice(FIRST)} {rng.choice(LAST)}" for _ in range(people)]
    # Who is who: the group members, board seats and reviewers first, the rest after.
    next_id = 1
    with transaction.atomic():
        systems = ICS.objects.bulk_create([ICS(code=code, name=name) for code, name in names])
        plan.ics_ids = [ics.pk for ics in systems]
        assert plan.ics_ids == list(range(1, ICSS + 1)), "a fresh database numbers ICSs from 1"
        plan.ics_names = {ics.pk: ics.name for ics in systems}
        for ics_id in plan.ics_ids:
            plan.members[ics_id] = list(range(next_id, next_id + GROUP_SIZE))
            next_id += GROUP_SIZE
        for ics_id in plan.ics_ids:
            seats = [(next_id, "chair", "Chair"), (next_id + 1, "secretary", "Board secretary")]
            seats.append((next_id + 2, "gp_representative", "Primary medical services partner"))
            seats += [(next_id + 3 + n, "member", title) for n, title in enumerate(SEAT_TITLES)]
            plan.board_seats[ics_id] = seats
            next_id += BOARD_SIZE
        for ics_id in plan.ics_ids:
            plan.reviewers[ics_id] = next_id
            next_id += 1
        password = make_password(None)
        joined = START - 30 * DAY
        # bench.audit's filler names its actors person<n>@example.nhs.uk for the user with
        # the n-th id from the first: so are these.
        _copy(
            "icsvoice_user",
            (
                "id",
                "password",
                "is_superuser",
                "email",
                "full_name",
                "is_active",
                "is_staff",
                "date_joined",
                "email_digest",
            ),
            (
                (
                    n + 1,
                    password,
                    False,
                    f"person{n}@example.nhs.uk",
                    plan.names[n],
                    True,
                    False,
                    joined + n * dt.timedelta(minutes=7),
                    n % 9 == 0,
                )
                for n in range(people)
            ),
        )
        _reset_sequences("icsvoice_user")
        signing_in = [u for ids in plan.members.values() for u in ids]
        signing_in += [u for seats in plan.board_seats.values() for u, _r, _t in seats]
        signing_in += list(plan.reviewers.values())
        first = TOTP.activate(User.objects.get(pk=signing_in[0]), DEMO_TOTP_SECRET).instance
        Authenticator.objects.bulk_create(
            [
                Authenticator(user_id=user_id, type=first.type, data=first.data)
                for user_id in signing_in[1:]
            ],
            batch_size=5000,
        )
    plan.totals["people"] = people
    plan.totals["authenticators"] = len(signing_in)


def phase_groups(plan: Plan) -> None:
    """42 leadership groups with terms of reference in force, 20 members each (one chair),
    a register of interests, and one ICS staff reviewer per ICS."""
    from django.db import transaction

    from groups.models import (
        GroupMembership,
        IcsReviewer,
        Interest,
        InterestCategory,
        LeadershipGroup,
        TermsOfReference,
    )

    rng = plan.rng
    categories = list(InterestCategory.values)
    with transaction.atomic():
        groups = LeadershipGroup.objects.bulk_create(
            [
                LeadershipGroup(
                    ics_id=ics_id,
                    name=f"{plan.ics_names[ics_id]} Primary Care Leadership Group",
                    created_at=START - 14 * DAY,
                )
                for ics_id in plan.ics_ids
            ]
        )
        for group in groups:
            plan.groups[group.ics_id] = group.pk
        assert list(plan.groups.values()) == plan.ics_ids, "groups numbered as their ICSs"
        terms = []
        for n, ics_id in enumerate(plan.ics_ids):
            secret = n % 7 == 3
            rule = ("simple_majority", "simple_majority", "two_thirds", "consensus")[n % 4]
            quorum = (("percent", 50), ("percent", 60), ("count", 8))[n % 3]
            fields = {
                "quorum_kind": quorum[0],
                "quorum_value": quorum[1],
                "decision_rule": rule,
                "abstentions": "quorum_only" if n % 5 else "as_cast",
                "voting_window_hours": 168 if n % 2 else 240,
                "ballot": "secret" if secret else "named",
                "results_hidden_until_close": True if secret else n % 3 != 1,
            }
            plan.terms[plan.groups[ics_id]] = fields
            chair = plan.members[ics_id][0]
            terms.append(
                TermsOfReference(
                    group_id=plan.groups[ics_id],
                    version=1,
                    state=TermsOfReference.State.IN_FORCE,
                    purpose=(
                        f"To give general practice in {plan.ics_names[ics_id]} one organised, "
                        "evidenced voice in all of the ICS's work, through the GP member of "
                        "the board."
                    ),
                    membership_composition=(
                        "A GP lead from each place, PCN clinical directors nominated by their "
                        "peers, and the LMC's nominee; twenty in all."
                    ),
                    review_date=TERMS_REVIEW,
                    proposed_by_id=chair,
                    proposed_at=START - 10 * DAY,
                    adopted_at=START - 7 * DAY,
                    **fields,
                )
            )
        TermsOfReference.objects.bulk_create(terms)
        memberships = [
            GroupMembership(
                group_id=plan.groups[ics_id],
                user_id=user_id,
                role="chair" if n == 0 else "member",
                starts_on=START.date(),
            )
            for ics_id in plan.ics_ids
            for n, user_id in enumerate(plan.members[ics_id])
        ]
        GroupMembership.objects.bulk_create(memberships)
        IcsReviewer.objects.bulk_create(
            [
                IcsReviewer(ics_id=ics_id, user_id=user_id, starts_on=START.date())
                for ics_id, user_id in plan.reviewers.items()
            ]
        )
        Interest.objects.bulk_create(
            [
                Interest(
                    group_id=plan.groups[ics_id],
                    member_id=user_id,
                    category=rng.choice(categories),
                    description=rng.choice(
                        (
                            "Partner in a GP practice in the ICS.",
                            "Clinical director of a PCN.",
                            "Shareholder in a GP federation.",
                            "Spouse works for the community trust.",
                            "Trustee of a local hospice.",
                            "Sessional work for the out-of-hours provider.",
                        )
                    ),
                    starts_on=START.date(),
                    recorded_by_id=user_id,
                    recorded_at=START,
                )
                for ics_id in plan.ics_ids
                for user_id in plan.members[ics_id]
            ]
        )
    plan.totals["groups"] = len(groups)
    plan.totals["memberships"] = len(memberships)


def phase_boards(plan: Plan) -> None:
    """42 boards, each with 20 current seats: a chair, a secretary, the one GP
    representative and 17 members."""
    from django.db import transaction
    from django.utils.text import slugify

    from boards.models import Board, BoardSeat

    with transaction.atomic():
        boards = Board.objects.bulk_create(
            [
                Board(
                    ics_id=ics_id,
                    name=f"NHS {plan.ics_names[ics_id]} Integrated Care Board",
                    slug=f"{slugify(plan.ics_names[ics_id])[:70]}-icb",
                    quorum=8,
                    quorum_rule=(
                        "Eight members, including the chair or vice chair, an executive "
                        "member and a partner member."
                    ),
                )
                for ics_id in plan.ics_ids
            ]
        )
        for board in boards:
            plan.boards[board.ics_id] = board.pk
        assert list(plan.boards.values()) == plan.ics_ids, "boards numbered as their ICSs"
        BoardSeat.objects.bulk_create(
            [
                BoardSeat(
                    board_id=plan.boards[ics_id],
                    user_id=user_id,
                    role=role,
                    title=title,
                    starts_on=START.date(),
                )
                for ics_id in plan.ics_ids
                for user_id, role, title in plan.board_seats[ics_id]
            ]
        )
    plan.totals["boards"] = len(boards)


def _ballots(
    rng: random.Random, rules: Any, eligible: list[int], desired: str
) -> tuple[list[tuple[int, str]], Any]:
    """Who voted how, so that the vote comes out as `desired` under the rules (tallied by
    the app's own `groups.tally`)."""
    from groups.tally import Count, tally

    for _attempt in range(50):
        n = len(eligible)
        if desired == "inquorate":
            from groups.tally import quorum_needed

            needed = quorum_needed(rules, n)
            turnout = rng.randint(max(1, needed // 2), max(1, needed - 1))
        else:
            turnout = rng.randint(max(1, n - 5), n)
        voters = rng.sample(eligible, turnout)
        if desired == "agreed":
            weights = (0.85, 0.1, 0.05) if rules.decision_rule != "consensus" else (0.9, 0, 0.1)
        elif desired == "not_agreed":
            weights = (0.35, 0.55, 0.1)
        else:
            weights = (0.6, 0.25, 0.15)
        choices = rng.choices(("for", "against", "abstain"), weights=weights, k=turnout)
        cast = list(zip(voters, choices, strict=True))
        count = Count(
            eligible=n,
            in_favour=choices.count("for"),
            against=choices.count("against"),
            abstain=choices.count("abstain"),
        )
        result = tally(rules, count)
        if result.outcome.value == desired:
            return cast, (count, result)
    raise AssertionError(f"could not make a {desired} vote")


def phase_positions(plan: Plan) -> None:
    """Positions with their versions, co-authors, comments and declarations; votes in rounds
    with eligibility, participation and ballots, each closed vote tallied by the app's rules;
    and the open votes nobody has voted in yet."""
    from django.db import transaction

    from groups.tally import Rules
    from icsvoice.text import render_markdown

    rng = plan.rng
    now = plan.now
    per_group = plan.size["positions"] // ICSS
    extra = plan.size["positions"] - per_group * ICSS
    open_per_group = plan.size["open_votes_per_group"]
    bodies: dict[tuple[int, int], tuple[str, str]] = {}

    # 1. What happens to each position: its kind and how many closed rounds it went through.
    positions: list[dict[str, Any]] = []
    for n, ics_id in enumerate(plan.ics_ids):
        count = per_group + (1 if n < extra else 0)
        kinds = ["open"] * open_per_group
        others = count - open_per_group
        drafts = max(2, others * 6 // 100)
        withdrawn = max(1, others * 4 // 100)
        kinds += ["draft"] * drafts + ["withdrawn"] * withdrawn
        kinds += ["voted"] * (others - drafts - withdrawn)
        for kind in kinds:
            if kind == "voted":
                rounds = 1
            elif kind == "open":
                rounds = 1 if rng.random() < 0.25 else 0
            else:
                rounds = 1 if rng.random() < 0.5 else 0
            positions.append({"ics": ics_id, "kind": kind, "rounds": rounds})
    average_turnout = 15.5  # inquorate rounds bring it down
    expected = sum(p["rounds"] for p in positions) * average_turnout
    voted = [p for p in positions if p["kind"] == "voted"]
    while expected < plan.size["ballots"] and voted:
        p = rng.choice(voted)
        if p["rounds"] < 4:
            p["rounds"] += 1
            expected += average_turnout

    # 2. Rows.
    position_rows: list[tuple[Any, ...]] = []
    version_rows: list[tuple[Any, ...]] = []
    coauthor_rows: list[tuple[int, int]] = []
    comment_rows: list[tuple[Any, ...]] = []
    declaration_rows: list[tuple[Any, ...]] = []
    vote_rows: list[tuple[Any, ...]] = []
    eligibility_rows: list[tuple[Any, ...]] = []
    participation_rows: list[tuple[int, int]] = []
    ballot_rows: list[tuple[Any, ...]] = []
    secret_rows: list[tuple[Any, ...]] = []
    version_id = 0
    vote_id = 0
    span_end = now - 20 * DAY
    rules_of = {
        g: Rules(
            **{k: t[k] for k in ("quorum_kind", "quorum_value", "decision_rule", "abstentions")}
        )
        for g, t in plan.terms.items()
    }
    categories = ("financial", "non_financial_professional", "non_financial_personal", "indirect")
    for position_id, p in enumerate(positions, start=1):
        ics_id = p["ics"]
        group_id = plan.groups[ics_id]
        terms = plan.terms[group_id]
        rules = rules_of[group_id]
        members = plan.members[ics_id]
        chair = members[0]
        window = dt.timedelta(hours=terms["voting_window_hours"])
        kind, rounds = p["kind"], p["rounds"]
        topic_n = rng.randrange(len(TOPICS))
        title, theme, summary, ask = TOPICS[topic_n]
        author = rng.choice(members)
        # Each round: opens a week after its version, closes after the window, and the next
        # version follows a fortnight after that.
        cycle = 7 * DAY + window + 14 * DAY
        if kind == "open":
            opened_open = now - rng.uniform(0, 4) * DAY
            created = opened_open - 7 * DAY - rounds * cycle
        else:
            latest = span_end - rounds * cycle - (14 * DAY if kind != "voted" else dt.timedelta(0))
            created = START + 21 * DAY + (latest - START - 21 * DAY) * rng.random()
        if (ics_id, topic_n) not in bodies:
            body = BODY.format(
                ics=plan.ics_names[ics_id], summary_lower=summary[0].lower() + summary[1:], ask=ask
            )
            bodies[(ics_id, topic_n)] = (body, render_markdown(body))
        body, body_html = bodies[(ics_id, topic_n)]
        title = f"{title} ({created.year})"
        # Versions: one per closed round, and one more for a draft revised after its last
        # round or for the open round.
        n_versions = max(1, rounds + (1 if kind in ("open", "draft") and rounds else 0))
        if kind == "open" and rounds == 0:
            n_versions = 1
        version_ids = []
        when = created
        declarer = None
        if kind == "voted" and rng.random() < 0.05:
            declarer = rng.choice([m for m in members if m != author])
            declaration_rows.append(
                (
                    position_id,
                    declarer,
                    rng.choice(categories),
                    "Partner in a practice that would host the service.",
                    declarer,
                    created + DAY,
                )
            )
        outcome = ""
        agreed_at = None
        last_version = 0
        for number in range(1, n_versions + 1):
            version_id += 1
            version_ids.append(version_id)
            version_rows.append(
                (
                    version_id,
                    position_id,
                    number,
                    title,
                    summary,
                    ask if number == 1 else f"{ask} Phased over two years.",
                    body,
                    body_html,
                    "About £1.2 million a year across the ICS, recurrent.",
                    "Start in April; every place covered within eighteen months.",
                    "Some routine clinics would move to make room; we name them in the case.",
                    "https://www.england.nhs.uk/primary-care/",
                    "First draft" if number == 1 else f"Revised after round {number - 1}",
                    author,
                    when,
                )
            )
            last_version = version_id
            if number <= rounds:
                # A closed round on this version.
                vote_id += 1
                final = number == rounds and kind == "voted"
                if final:
                    desired = rng.choices(("agreed", "not_agreed", "inquorate"), (80, 12, 8))[0]
                else:
                    desired = rng.choices(("not_agreed", "inquorate"), (70, 30))[0]
                opened = when + 7 * DAY
                closes = opened + window
                eligible = [m for m in members if m != declarer]
                cast, (count, result) = _ballots(rng, rules, eligible, desired)
                early = len(cast) == len(eligible)
                closed = closes - 2 * DAY if early else closes + dt.timedelta(minutes=2)
                vote_rows.append(
                    (
                        vote_id,
                        group_id,
                        position_id,
                        version_id,
                        None,
                        group_id,
                        number,
                        terms["ballot"],
                        terms["results_hidden_until_close"],
                        "closed",
                        chair,
                        opened,
                        closes,
                        closed,
                        chair if early else None,
                        desired,
                        count.eligible,
                        count.in_favour,
                        count.against,
                        count.abstain,
                        result.quorum_needed,
                        result.explanation[:300],
                    )
                )
                for member in members:
                    recused = member == declarer
                    eligibility_rows.append((vote_id, member, recused, opened if recused else None))
                for k, (voter, choice) in enumerate(cast):
                    participation_rows.append((vote_id, voter))
                    if terms["ballot"] == "secret":
                        secret_rows.append(
                            (uuid.UUID(int=rng.getrandbits(128), version=4), vote_id, choice)
                        )
                    else:
                        cast_at = opened + (k + 1) * (closes - opened - 3 * DAY) / (len(cast) + 1)
                        ballot_rows.append((vote_id, voter, choice, rng.choice(REASONS), cast_at))
                outcome = desired
                if desired == "agreed":
                    agreed_at = closed
                when = closed + 14 * DAY
        state = {"open": "voting", "draft": "draft", "withdrawn": "withdrawn"}.get(kind, outcome)
        updated = when
        if kind == "open":
            vote_id += 1
            opened = opened_open
            vote_rows.append(
                (
                    vote_id,
                    group_id,
                    position_id,
                    last_version,
                    None,
                    group_id,
                    rounds + 1,
                    terms["ballot"],
                    terms["results_hidden_until_close"],
                    "open",
                    chair,
                    opened,
                    # Open long enough for any load run in the coming weeks; ensure() moves it on.
                    now + 45 * DAY,
                    None,
                    None,
                    "",
                    len(members),
                    0,
                    0,
                    0,
                    0,
                    "",
                )
            )
            for member in members:
                eligibility_rows.append((vote_id, member, False, None))
            p["open_vote"] = vote_id
            updated = opened
        if agreed_at is not None:
            plan.agreed.setdefault(ics_id, []).append((position_id, last_version, agreed_at, title))
        p["state"] = state
        position_rows.append(
            (position_id, group_id, state, theme, author, created, updated, last_version)
        )
        for coauthor in rng.sample([m for m in members if m != author], rng.choice((0, 0, 1, 2))):
            coauthor_rows.append((position_id, coauthor))
        for c in range(rng.choice((0, 1, 1, 2, 3))):
            comment_rows.append(
                (
                    position_id,
                    version_ids[0],
                    rng.choice(members),
                    rng.choice(COMMENTS),
                    created + (c + 1) * DAY,
                )
            )

    with transaction.atomic():
        _copy(
            "groups_position",
            (
                "id",
                "group_id",
                "state",
                "theme",
                "created_by_id",
                "created_at",
                "updated_at",
                "current_version_id",
            ),
            position_rows,
        )
        _copy(
            "groups_positionversion",
            (
                "id",
                "position_id",
                "number",
                "title",
                "summary",
                "ask",
                "body",
                "body_html",
                "resource_implications",
                "timeline",
                "trade_offs",
                "evidence_links",
                "change_note",
                "created_by_id",
                "created_at",
            ),
            version_rows,
        )
        _copy("groups_position_coauthors", ("position_id", "user_id"), coauthor_rows)
        _copy(
            "groups_comment",
            ("position_id", "version_id", "author_id", "body", "created_at"),
            comment_rows,
        )
        _copy(
            "groups_positiondeclaration",
            (
                "position_id",
                "member_id",
                "category",
                "description",
                "recorded_by_id",
                "declared_at",
            ),
            declaration_rows,
        )
        _copy(
            "groups_vote",
            (
                "id",
                "group_id",
                "position_id",
                "version_id",
                "terms_proposal_id",
                "terms_id",
                "round",
                "ballot",
                "results_hidden_until_close",
                "state",
                "opened_by_id",
                "opened_at",
                "closes_at",
                "closed_at",
                "closed_by_id",
                "outcome",
                "eligible_count",
                "in_favour",
                "against",
                "abstain",
                "quorum_needed",
                "explanation",
            ),
            vote_rows,
        )
        _copy(
            "groups_voteeligibility",
            ("vote_id", "member_id", "recused", "recused_at"),
            eligibility_rows,
        )
        _copy("groups_voteparticipation", ("vote_id", "voter_id"), participation_rows)
        _copy("groups_ballot", ("vote_id", "voter_id", "choice", "reason", "cast_at"), ballot_rows)
        _copy("groups_secretballot", ("id", "vote_id", "choice"), secret_rows)
        _reset_sequences("groups_position", "groups_positionversion", "groups_vote")
    plan.totals.update(
        {
            "positions": len(position_rows),
            "position_versions": len(version_rows),
            "comments": len(comment_rows),
            "declarations": len(declaration_rows),
            "votes": len(vote_rows),
            "open_votes": sum(1 for p in positions if "open_vote" in p),
            "vote_eligibility": len(eligibility_rows),
            "vote_participations": len(participation_rows),
            "ballots_named": len(ballot_rows),
            "ballots_secret": len(secret_rows),
            "ballots": len(ballot_rows) + len(secret_rows),
        }
    )


def phase_meetings(plan: Plan) -> None:
    """Board meetings about every four weeks (eight at a tenth of the scale), each with a
    published agenda (a few republished, the furthest one still a draft); agreed positions
    tabled as briefs on agenda items, the board's responses, attendance and minutes."""
    from django.db import transaction

    from icsvoice.text import render_markdown

    rng = plan.rng
    now = plan.now
    per_board = plan.size["meetings"] // ICSS
    extra = plan.size["meetings"] - per_board * ICSS
    spacing = 28 * DAY if per_board > 20 else 56 * DAY
    meeting_rows: list[tuple[Any, ...]] = []
    version_rows: list[tuple[Any, ...]] = []
    item_rows: list[tuple[Any, ...]] = []
    brief_rows: list[tuple[Any, ...]] = []
    response_rows: list[tuple[Any, ...]] = []
    attendance_rows: list[tuple[Any, ...]] = []
    minutes_rows: list[tuple[Any, ...]] = []
    meeting_id = version_id = brief_id = 0
    # Meetings per board, then items per agenda version to land near the items asked for.
    n_meetings = {
        ics_id: per_board + (1 if n < extra else 0) for n, ics_id in enumerate(plan.ics_ids)
    }
    superseded_every = 12
    versions_total = sum(m + m // superseded_every for m in n_meetings.values())
    # About one and a half items per agenda are tabled positions.
    items_per_version = max(
        8, min(len(PUBLIC_ITEMS) + 3, round(plan.size["agenda_items"] / versions_total - 1.5))
    )
    n_private = 2 if items_per_version < 14 else 3
    public_template = list(PUBLIC_ITEMS)
    while len(public_template) > items_per_version - n_private:
        public_template.pop(len(public_template) - 3)  # drop from the middle, keep the ends
    public_html = render_markdown(
        "The board received the reports and took the decisions recorded below.\n\n"
        "- Questions from the public were answered and are published with these minutes.\n"
    )
    for n, ics_id in enumerate(plan.ics_ids):
        board_id = plan.boards[ics_id]
        seats = plan.board_seats[ics_id]
        chair, secretary, gp_rep = seats[0][0], seats[1][0], seats[2][0]
        count = n_meetings[ics_id]
        # The next meeting is 2 to 6 days away; one more follows; the rest are past.
        first_upcoming = _at(now + (2 + n % 5) * DAY, 10)
        starts = [first_upcoming + (j - (count - 2)) * spacing for j in range(count)]
        agreed = sorted(plan.agreed.get(ics_id, []), key=lambda a: a[2])
        queue_at = 0
        ids: list[int] = []
        for j, start in enumerate(starts):
            meeting_id += 1
            ids.append(meeting_id)
            is_past = start + dt.timedelta(hours=4) < now
            is_last = j == count - 1
            meeting_rows.append(
                (
                    meeting_id,
                    board_id,
                    "Board meeting in public",
                    start,
                    start + dt.timedelta(hours=3, minutes=30),
                    f"Board room, {plan.ics_names[ics_id]} ICB headquarters",
                    f"https://meet.example.nhs.uk/{board_id}-{meeting_id}",
                    "scheduled",
                    "",
                    None,
                    secretary,
                    start - 60 * DAY,
                )
            )
            # Briefs for this meeting: agreed positions routed in time for it, at most two.
            tabled: list[tuple[int, str]] = []
            while queue_at < len(agreed) and agreed[queue_at][2] + 3 * DAY < start - 10 * DAY:
                position_id, version, agreed_at, title = agreed[queue_at]
                queue_at += 1
                if len(tabled) >= 2 or rng.random() < 0.15:
                    route, reason = rng.choice(OTHER_ROUTES)
                    if route:
                        # Another route, with the representative's reason.
                        brief_id += 1
                        brief_rows.append(
                            (
                                brief_id,
                                board_id,
                                position_id,
                                version,
                                route,
                                reason,
                                None,
                                gp_rep,
                                agreed_at + 3 * DAY,
                                None,
                                "",
                                None,
                            )
                        )
                    continue
                brief_id += 1
                due = (starts[j + 1] if j + 1 < count else start + 56 * DAY).date()
                account = ""
                account_at = None
                if is_past:
                    account = (
                        "I presented the group's position and answered questions; the board "
                        "asked for the costs to be checked by finance."
                    )
                    account_at = start + DAY
                brief_rows.append(
                    (
                        brief_id,
                        board_id,
                        position_id,
                        version,
                        "tabled",
                        "",
                        meeting_id,
                        gp_rep,
                        agreed_at + 3 * DAY,
                        due,
                        account,
                        account_at,
                    )
                )
                tabled.append((brief_id, title))
                if is_past:
                    kind = rng.choices([r[0] for r in RESPONSES], [r[1] for r in RESPONSES])[0]
                    reasons = {r[0]: r[2] for r in RESPONSES}[kind]
                    response_rows.append(
                        (brief_id, meeting_id, kind, reasons, secretary, start + 3 * DAY)
                    )
            # Agenda versions: published a week before (a few republished), the furthest
            # meeting's still a draft.
            numbers = [1, 2] if (j % superseded_every == 5 and not is_last) else [1]
            keys = [uuid.UUID(int=rng.getrandbits(128), version=4) for _ in range(40)]
            for number in numbers:
                version_id += 1
                if is_last:
                    state, published_at, published_by = "draft", None, None
                elif number < len(numbers):
                    state, published_at, published_by = "superseded", start - 12 * DAY, secretary
                else:
                    state, published_at, published_by = "published", start - 8 * DAY, secretary
                version_rows.append(
                    (
                        version_id,
                        meeting_id,
                        number,
                        state,
                        "" if number == 1 else "Questions from the public added; papers updated.",
                        secretary,
                        start - 20 * DAY + number * DAY,
                        published_by,
                        published_at,
                    )
                )
                items = list(public_template)
                if number == 1 and len(numbers) == 2:
                    items = items[:-2] + items[-1:]  # version 2 added an item
                order = 0
                for k, (title, purpose, minutes, presenter) in enumerate(items):
                    order += 1
                    item_rows.append(
                        (
                            version_id,
                            keys[k],
                            order,
                            title,
                            minutes,
                            presenter,
                            purpose,
                            "public",
                            "",
                            None,
                            None,
                        )
                    )
                    if title == "Chief Executive's report":
                        for b, (brief, brief_title) in enumerate(tabled):
                            order += 1
                            item_rows.append(
                                (
                                    version_id,
                                    keys[30 + b],
                                    order,
                                    f"Primary care position: {brief_title}",
                                    20,
                                    plan.name(gp_rep),
                                    "decision",
                                    "public",
                                    "",
                                    None,
                                    brief,
                                )
                            )
                for k, (title, purpose, reason) in enumerate(PRIVATE_ITEMS[:n_private]):
                    order += 1
                    item_rows.append(
                        (
                            version_id,
                            keys[20 + k],
                            order,
                            title,
                            20,
                            "Chief Executive",
                            purpose,
                            "private",
                            reason,
                            (start + 180 * DAY).date(),
                            None,
                        )
                    )
            if is_past:
                for user_id, _role, title in seats:
                    status = "present" if rng.random() < 0.88 else "apologies"
                    attendance_rows.append(
                        (
                            meeting_id,
                            user_id,
                            title,
                            status,
                            status == "present" and _role != "secretary",
                            secretary,
                            start,
                        )
                    )
        for j, (mid, start) in enumerate(zip(ids, starts, strict=True)):
            if start + dt.timedelta(hours=4) >= now:
                continue
            approved_at_meeting = ids[j + 1] if j + 1 < len(ids) and starts[j + 1] < now else None
            minutes_rows.append(
                (
                    mid,
                    "approved" if approved_at_meeting else "draft",
                    "The board received the reports and took the decisions recorded below.\n\n"
                    "- Questions from the public were answered and are published with these "
                    "minutes.\n",
                    public_html,
                    "Private business was minuted separately.",
                    "<p>Private business was minuted separately.</p>",
                    secretary,
                    start + 5 * DAY,
                    approved_at_meeting,
                    chair if approved_at_meeting else None,
                    starts[j + 1] + dt.timedelta(hours=1) if approved_at_meeting else None,
                )
            )
        plan.meetings[ics_id] = list(zip(ids, starts, strict=True))

    with transaction.atomic():
        _copy(
            "boards_meeting",
            (
                "id",
                "board_id",
                "title",
                "starts_at",
                "ends_at",
                "location",
                "online_url",
                "state",
                "cancel_reason",
                "cancelled_at",
                "created_by_id",
                "created_at",
            ),
            meeting_rows,
        )
        _copy(
            "boards_brief",
            (
                "id",
                "board_id",
                "position_id",
                "version_id",
                "route",
                "route_reason",
                "requested_meeting_id",
                "routed_by_id",
                "routed_at",
                "response_due_on",
                "account",
                "account_at",
            ),
            brief_rows,
        )
        _copy(
            "boards_boardresponse",
            ("brief_id", "meeting_id", "kind", "reasons", "recorded_by_id", "recorded_at"),
            response_rows,
        )
        _copy(
            "boards_agendaversion",
            (
                "id",
                "meeting_id",
                "number",
                "state",
                "change_note",
                "created_by_id",
                "created_at",
                "published_by_id",
                "published_at",
            ),
            version_rows,
        )
        _copy(
            "boards_agendaitem",
            (
                "version_id",
                "key",
                "order",
                "title",
                "duration_minutes",
                "presenter",
                "purpose",
                "part",
                "confidential_reason",
                "review_on",
                "brief_id",
            ),
            item_rows,
        )
        _copy(
            "boards_attendance",
            (
                "meeting_id",
                "person_id",
                "role",
                "status",
                "counts_for_quorum",
                "recorded_by_id",
                "recorded_at",
            ),
            attendance_rows,
        )
        _copy(
            "boards_minutes",
            (
                "meeting_id",
                "state",
                "public_text",
                "public_html",
                "private_text",
                "private_html",
                "drafted_by_id",
                "updated_at",
                "approved_at_meeting_id",
                "approved_by_id",
                "approved_at",
            ),
            minutes_rows,
        )
        _reset_sequences("boards_meeting", "boards_brief", "boards_agendaversion")
    plan.totals.update(
        {
            "meetings": len(meeting_rows),
            "agenda_versions": len(version_rows),
            "agenda_items": len(item_rows),
            "briefs": len(brief_rows),
            "board_responses": len(response_rows),
            "attendance": len(attendance_rows),
            "minutes": len(minutes_rows),
        }
    )


def phase_places(plan: Plan) -> None:
    """Practices and PCNs: the ODS files through the project's importer (which finds the ICSs
    already made and writes its one audit event, after the filler's), or synthetic ones in
    England's numbers; then each group member's practice."""
    from django.db import transaction

    from groups.models import PCN, GroupMembership, Practice, PracticePCNMembership

    practices_file, pcns_file = ODS / "epraccur.csv", ODS / "ePCN.xlsx"
    if practices_file.exists() and pcns_file.exists():
        from groups.ods import ods_import

        report = ods_import(practices_path=practices_file, pcns_path=pcns_file)
        plan.totals["ods_source"] = 1
        print(f"    ODS import: {report.active_english_practices:,} active practices", flush=True)
    else:
        rng = plan.rng
        with transaction.atomic():
            pcns = PCN.objects.bulk_create(
                [
                    PCN(
                        code=f"U{n:05d}",
                        name=f"{plan.ics_names[plan.ics_ids[n % ICSS]]} PCN {n // ICSS + 1}",
                        ics_id=plan.ics_ids[n % ICSS],
                        postcode="LS1 4AP",
                        opened_on=dt.date(2019, 7, 1),
                    )
                    for n in range(PCNS)
                ],
                batch_size=5000,
            )
            practices = Practice.objects.bulk_create(
                [
                    Practice(
                        code=f"Y{n:05d}",
                        name=f"{rng.choice(LAST)} Street Surgery",
                        postcode="LS1 4AP",
                        status=Practice.Status.ACTIVE,
                        opened_on=dt.date(1974, 4, 1),
                        ics_id=plan.ics_ids[n % ICSS],
                    )
                    for n in range(PRACTICES)
                ],
                batch_size=5000,
            )
            by_ics: dict[int, list[PCN]] = {}
            for pcn in pcns:
                by_ics.setdefault(pcn.ics_id or 0, []).append(pcn)
            PracticePCNMembership.objects.bulk_create(
                [
                    PracticePCNMembership(
                        practice=practice,
                        pcn=rng.choice(by_ics[practice.ics_id]),
                        starts_on=dt.date(2019, 7, 1),
                    )
                    for practice in practices
                ],
                batch_size=5000,
            )
        plan.totals["ods_source"] = 0
    with transaction.atomic():
        active: dict[int, list[int]] = {}
        for pk, ics_id in Practice.objects.filter(status=Practice.Status.ACTIVE).values_list(
            "pk", "ics_id"
        ):
            active.setdefault(ics_id, []).append(pk)
        memberships = list(GroupMembership.objects.all())
        for membership in memberships:
            membership.practice_id = plan.rng.choice(active[plan.ics_ids[membership.group_id - 1]])
        GroupMembership.objects.bulk_update(memberships, ["practice"], batch_size=1000)
    plan.totals["icss"] = len(plan.ics_ids)
    plan.totals["pcns"] = PCN.objects.count()
    plan.totals["practices"] = Practice.objects.count()
    plan.totals["practices_active"] = Practice.objects.filter(status="A").count()
    plan.totals["practice_pcn_memberships"] = PracticePCNMembership.objects.count()


def _events_process(scale: float) -> subprocess.Popen[str]:
    """bench.audit's filler, in a process of its own so it runs beside the rest."""
    return subprocess.Popen(  # noqa: S603 (our own interpreter and arguments)
        [sys.executable, "-m", "bench.england", "--phase", "events", "--scale", str(scale)],
        cwd=ROOT,
        env={**os.environ},
        stdout=subprocess.PIPE,
        text=True,
    )


def build(scale: float) -> dict[str, Any]:
    """Fills the (migrated, empty) database DATABASE_URL names; returns phase times and
    totals. Runs in its own process."""
    from django.db import connection

    plan = Plan(scale)
    phases: dict[str, float] = {}

    def timed(name: str, step: Any) -> None:
        started = time.perf_counter()
        step(plan)
        phases[name] = round(time.perf_counter() - started, 1)
        print(f"  {name:10} {phases[name]:7.1f} s", flush=True)

    with connection.cursor() as cursor:
        cursor.execute("SET synchronous_commit = off")
    timed("people", phase_people)
    # The filler needs the people (its actors) and nothing else; it writes events 1 to N,
    # so nothing else may write an event until it is done.
    events_started = time.perf_counter()
    filler = _events_process(scale)
    try:
        timed("groups", phase_groups)
        timed("boards", phase_boards)
        timed("positions", phase_positions)
        timed("meetings", phase_meetings)
    except BaseException:
        filler.kill()
        raise
    started = time.perf_counter()
    output, _ = filler.communicate()
    if filler.returncode != 0:
        raise RuntimeError("the audit event filler failed")
    for line in output.strip().splitlines():
        print(f"  {line}")
    phases["events (wait)"] = round(time.perf_counter() - started, 1)
    phases["events (alongside)"] = round(time.perf_counter() - events_started, 1)
    print(f"  events     {phases['events (alongside)']:7.1f} s (alongside the rest)", flush=True)
    timed("places", phase_places)
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
        cursor.execute("SELECT count(*) FROM icsvoice_auditevent")
        plan.totals["audit_events"] = cursor.fetchone()[0]
    phases["analyze"] = round(time.perf_counter() - started, 1)
    print(f"  {'analyze':10} {phases['analyze']:7.1f} s", flush=True)
    return {"phases": phases, "totals": plan.totals}


def _mark(scale: float, result: dict[str, Any]) -> None:
    import psycopg

    with psycopg.connect(database_url(scale)) as connection:
        connection.execute(
            f"CREATE TABLE {MARKER} (scale float NOT NULL, built_at timestamptz NOT NULL, "
            "result json NOT NULL)"
        )
        connection.execute(
            f"INSERT INTO {MARKER} VALUES (%s, now(), %s)",  # noqa: S608
            [scale, json.dumps(result)],
        )


def _built(scale: float) -> dict[str, Any] | None:
    """The finished build's record, or None when there is none."""
    import psycopg

    if not _exists(database_name(scale)):
        return None
    with psycopg.connect(database_url(scale)) as connection:
        try:
            row = connection.execute(f"SELECT scale, result FROM {MARKER}").fetchone()  # noqa: S608
        except psycopg.Error:
            return None
    if row is None or row[0] != scale:
        return None
    result: dict[str, Any] = row[1]
    return result


# --- The manifest --------------------------------------------------------------------------------


def refresh() -> None:
    """Readies the open votes for a load run: no ballots yet, and open for weeks to come."""
    from django.db import connection, transaction
    from django.utils import timezone

    from groups.models import Ballot, SecretBallot, Vote, VoteParticipation

    with transaction.atomic():
        open_votes = Vote.objects.filter(state=Vote.State.OPEN, position__isnull=False)
        Ballot.objects.filter(vote__in=open_votes).delete()
        SecretBallot.objects.filter(vote__in=open_votes).delete()
        VoteParticipation.objects.filter(vote__in=open_votes).delete()
        open_votes.update(closes_at=timezone.now() + dt.timedelta(days=45))
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE groups_ballot, groups_voteparticipation, groups_secretballot")


def manifest(scale: float, result: dict[str, Any]) -> dict[str, Any]:
    """What the load generator needs, per ICS: people, objects and the paths of each journey."""
    from django.urls import reverse
    from django.utils import timezone

    from boards.models import AgendaItem, AgendaVersion, Board, BoardSeat, Meeting
    from groups.models import GroupMembership, IcsReviewer, LeadershipGroup, Position, Vote
    from tests.helpers import DEMO_TOTP_SECRET

    now = timezone.now()
    icss = []
    for group in LeadershipGroup.objects.select_related("ics").order_by("ics_id"):
        ics = group.ics
        members = list(
            GroupMembership.objects.current()
            .filter(group=group)
            .order_by("role", "user_id")  # the chair first
            .values_list("user_id", "role")
        )
        terms = group.terms.get(state="in_force")
        board = Board.objects.get(ics=ics)
        seats = {
            role: user_id
            for user_id, role in BoardSeat.objects.current()
            .filter(board=board)
            .exclude(role="member")
            .values_list("user_id", "role")
        }
        seat_members = list(
            BoardSeat.objects.current()
            .filter(board=board, role="member")
            .order_by("user_id")
            .values_list("user_id", flat=True)
        )
        agreed = list(
            Position.objects.filter(group=group, state="agreed")
            .order_by("-updated_at")
            .values_list("pk", flat=True)[:10]
        )
        debate = list(
            Position.objects.filter(group=group, state__in=("draft", "voting"))
            .order_by("-updated_at")
            .values_list("pk", flat=True)[:10]
        )
        open_votes = [
            {
                "vote_id": vote_id,
                "position_id": position_id,
                "get": reverse("groups:vote-detail", args=[vote_id]),
                "post": reverse("groups:vote-cast", args=[vote_id]),
            }
            for vote_id, position_id in Vote.objects.filter(
                group=group, state="open", position__isnull=False
            )
            .order_by("pk")
            .values_list("pk", "position_id")
        ]
        published = AgendaVersion.objects.filter(state="published")
        meetings = []
        upcoming = list(
            Meeting.objects.filter(board=board, starts_at__gte=now, agendas__in=published)
            .order_by("starts_at")
            .values_list("pk", "starts_at")[:1]
        )
        past = list(
            Meeting.objects.filter(board=board, starts_at__lt=now, agendas__in=published)
            .order_by("-starts_at")
            .values_list("pk", "starts_at")[:3]
        )
        for meeting_id, starts_at in upcoming + past:
            meetings.append(
                {
                    "meeting_id": meeting_id,
                    "starts_at": starts_at.isoformat(),
                    "upcoming": starts_at >= now,
                    "primary_care_items": AgendaItem.objects.filter(
                        version__meeting_id=meeting_id,
                        version__state="published",
                        brief__isnull=False,
                    ).count(),
                    "agenda": reverse("boards:meeting-detail", args=[meeting_id]),
                    "public_agenda": reverse("public:meeting-detail", args=[meeting_id]),
                }
            )
        reviewer = IcsReviewer.objects.get(ics=ics).user_id
        # The example agenda: the next meeting, or the latest with a tabled position.
        shown = next((m for m in meetings if m["primary_care_items"]), meetings[0])
        icss.append(
            {
                "ics_id": ics.pk,
                "ics_code": ics.code,
                "ics_name": ics.name,
                "group_id": group.pk,
                "ballot": terms.ballot,
                "decision_rule": terms.decision_rule,
                "chair_user_id": members[0][0],
                "member_user_ids": [user_id for user_id, _role in members],
                "reviewer_user_id": reviewer,
                "board_id": board.pk,
                "board_slug": board.slug,
                "board_chair_user_id": seats.get("chair"),
                "board_secretary_user_id": seats.get("secretary"),
                "gp_representative_user_id": seats.get("gp_representative"),
                "board_member_user_ids": seat_members,
                "agreed_position_ids": agreed,
                "debate_position_ids": debate,
                "open_votes": open_votes,
                "meetings": meetings,
                "paths": {
                    "home": reverse("home"),
                    "group": reverse("groups:group-detail", args=[group.pk]),
                    "position": reverse("groups:position-detail", args=[agreed[0]]),
                    "position_in_debate": reverse("groups:position-detail", args=[debate[0]]),
                    "vote": open_votes[0]["get"],
                    "vote_cast": open_votes[0]["post"],
                    "agenda": shown["agenda"],
                    "public_agenda": shown["public_agenda"],
                    "public_board": reverse("public:board-detail", args=[board.slug]),
                    "audit_search": reverse("engagement:audit", args=[ics.pk]) + "?q=frailty",
                },
            }
        )
    return {
        "scale": scale,
        "database": result["database"],
        "database_url": os.environ["DATABASE_URL"],
        "built": result,
        "totals": result["totals"],
        "totp_secret": DEMO_TOTP_SECRET,
        "journeys": {
            "home": {"path": "/", "as": "member_user_ids (or anyone signed in)"},
            "position": {"path": "/positions/<position_id>/", "as": "member_user_ids"},
            "vote": {
                "get": "/votes/<vote_id>/",
                "post": "/votes/<vote_id>/cast/",
                "as": "member_user_ids (each once per vote)",
                "fields": {
                    "choice": ["for", "against", "abstain"],
                    "reason": "optional text; leave it out where ballot is 'secret'",
                    "csrfmiddlewaretoken": "from the GET page's form",
                },
                "success": "302 to the vote page; a second named ballot changes the vote, a "
                "second secret one is refused with a message (still a 302)",
            },
            "agenda": {
                "path": "/meetings/<meeting_id>/",
                "as": "board seat holders or reviewer_user_id",
            },
            "public_agenda": {"path": "/public/meetings/<meeting_id>/", "as": "anyone"},
            "audit_search": {
                "path": "/review/<ics_id>/audit/?q=<words>",
                "as": "reviewer_user_id",
            },
        },
        "icss": icss,
    }


# --- Running it ----------------------------------------------------------------------------------


def _phase(name: str, scale: float) -> dict[str, Any]:
    """Runs one phase in a fresh process against the bench database, showing its progress;
    its last line is JSON."""
    process = subprocess.Popen(  # noqa: S603 (our own interpreter and arguments)
        [sys.executable, "-m", "bench.england", "--phase", name, "--scale", str(scale)],
        cwd=ROOT,
        env={**os.environ, "DATABASE_URL": database_url(scale)},
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    last = ""
    for line in process.stdout:
        if last:
            print(last, flush=True)
        last = line.rstrip("\n")
    if process.wait() != 0:
        raise RuntimeError(f"england: the {name} phase failed")
    result: dict[str, Any] = json.loads(last)
    return result


def ensure(scale: float, fresh: bool = False) -> dict[str, Any]:
    """Builds the bench database for `scale` unless a finished build is there (or `fresh`),
    readies its open votes, and returns the manifest (also written to bench/results/)."""
    name = database_name(scale)
    result = None if fresh else _built(scale)
    if result is None:
        print(f"england: building {name} at scale {scale}", flush=True)
        started = time.perf_counter()
        _admin_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        _admin_sql(f'CREATE DATABASE "{name}"')
        _manage(database_url(scale), "migrate", "--no-input")
        migrate = round(time.perf_counter() - started, 1)
        print(f"  {'migrate':10} {migrate:7.1f} s", flush=True)
        result = _phase("build", scale)
        result["phases"] = {"migrate": migrate, **result["phases"]}
        result["seconds"] = round(time.perf_counter() - started, 1)
        result["scale"] = scale
        result["database"] = name
        _mark(scale, result)
        print(f"england: built in {result['seconds']:.0f} s", flush=True)
        RESULTS.mkdir(exist_ok=True)
        (RESULTS / "england-build.json").write_text(json.dumps(result, indent=2) + "\n")
    else:
        print(f"england: {name} is built (at scale {scale}); reusing it", flush=True)
    data = _phase("manifest", scale)
    RESULTS.mkdir(exist_ok=True)
    _manifest_path(scale).write_text(json.dumps(data, indent=2) + "\n")
    return data


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--fresh", action="store_true")
    parser.add_argument("--phase", help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.phase:
        _django(os.environ["DATABASE_URL"])
        if args.phase == "events":
            from django.db import connection

            with connection.cursor() as cursor:
                cursor.execute("SET synchronous_commit = off")
            started = time.perf_counter()
            _fill_events(sizes(args.scale)["events"])
            print(f"events filled in {time.perf_counter() - started:.0f} s", flush=True)
            return 0
        if args.phase == "build":
            print(json.dumps(build(args.scale)))
            return 0
        refresh()
        import psycopg

        with psycopg.connect(os.environ["DATABASE_URL"]) as marker:
            row = marker.execute(f"SELECT result FROM {MARKER}").fetchone()  # noqa: S608
        assert row is not None
        print(json.dumps(manifest(args.scale, row[0])))
        return 0

    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        print("england: skipped; the England-scale database is PostgreSQL's (set DATABASE_URL)")
        return 0
    data = ensure(args.scale, fresh=args.fresh)
    built = data["built"]
    print(f"england: {data['database']} at scale {args.scale}, built in {built['seconds']} s")
    for name, seconds in built["phases"].items():
        print(f"  {name:20} {seconds:7.1f} s")
    totals = ", ".join(f"{key} {value:,}" for key, value in data["totals"].items())
    print(f"  totals: {totals}")
    print(f"  manifest: {_manifest_path(args.scale).relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
