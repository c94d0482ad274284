"""python manage.py seed_demo: one fictional ICS with people in every role. Idempotent."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction
from django.utils import timezone

from boards.models import Board, BoardSeat, Part, Purpose
from boards.selectors import conduct as conduct_selectors
from boards.services import briefs, conduct, meetings, seat_add
from boards.services.boards import board_create
from groups.models import (
    ICS,
    PCN,
    GroupMembership,
    LeadershipGroup,
    Place,
    Position,
    Practice,
    PracticePCNMembership,
    TermsOfReference,
)
from groups.services import (
    amendment_propose,
    comment_add,
    membership_add,
    position_draft,
    reviewer_add,
    terms_adopt_initial,
    vote_cast,
    vote_close,
    vote_open,
)
from icsvoice.models import AuditEvent, User
from icsvoice.services import user_create

DEMO_PASSWORD = "icsvoice-demo-2026"  # noqa: S105 (fictional demo accounts only)
DOMAIN = "demo.icsvoice.test"
ICS_CODE = "XDM"  # fictional: real ICB codes start with Q
PLACES = ["Northfield", "Rivermouth", "Eastmoor"]
PCN_NAMES = [
    "Northfield Central PCN",
    "Northfield Rural PCN",
    "Northfield Coast PCN",
    "Rivermouth North PCN",
    "Rivermouth South PCN",
    "Rivermouth Docks PCN",
    "Eastmoor Market Towns PCN",
    "Eastmoor Valleys PCN",
]
GP_LEADS = [
    "Dr Amara Okafor",
    "Dr Ben Hargreaves",
    "Dr Carys Lloyd",
    "Dr Dev Patel",
    "Dr Eilidh Ross",
    "Dr Farid Haddad",
    "Dr Grace Mensah",
    "Dr Hugo Brennan",
    "Dr Isla Murray",
    "Dr Jonah Levi",
    "Dr Kiran Shah",
]
BOARD_MEMBERS = [
    ("Aled Price", "Chief Executive"),
    ("Beatrice Ng", "Chief Finance Officer"),
    ("Callum Reid", "Chief Medical Officer"),
    ("Dina Osei", "Chief Nursing Officer"),
    ("Edward Fox", "Non-executive member"),
    ("Fatima Rahman", "Non-executive member"),
    ("George Adeyemi", "Trust partner member"),
    ("Hannah Kaur", "Local authority partner member"),
    ("Ian Doyle", "Mental health partner member"),
    ("Julia Novak", "Director of Strategy"),
    ("Kwame Boateng", "Non-executive member"),
    ("Lena Fischer", "Director of Primary Care"),
]
START = dt.date(2025, 4, 1)


def _demo_pdf(pages: int) -> bytes:
    """A small real PDF for the demo's board paper."""
    import io

    from pypdf import PdfWriter

    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=595, height=842)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _email(local: str) -> str:
    return f"{local}@{DOMAIN}"


class Command(BaseCommand):
    help = "Builds one fictional ICS with a leadership group, a board and people in every role."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--banner", action="store_true", help="Print the address and sign-ins.")

    def handle(self, *args: Any, **options: Any) -> None:
        before = AuditEvent.objects.count()
        with transaction.atomic():
            self._password_hash = make_password(DEMO_PASSWORD)
            created = self._seed()
        changed = created or AuditEvent.objects.count() != before
        self.stdout.write(
            f"Demo data: {'created' if changed else 'already there, nothing changed'}."
        )
        if options["banner"]:
            self._banner()

    def _person(self, local: str, name: str, *, admin: bool = False) -> tuple[User, bool]:
        user = User.objects.filter(email=_email(local)).first()
        if user:
            return user, False
        return user_create(
            email=_email(local),
            full_name=name,
            password_hash=self._password_hash,
            is_site_admin=admin,
            actor=None,
            actor_role="system",
        ), True

    def _seed(self) -> bool:
        ics, created = ICS.objects.get_or_create(
            code=ICS_CODE, defaults={"name": "Northfield and Rivermouth (demo)"}
        )
        places = [
            Place.objects.get_or_create(ics=ics, name=n, defaults={"code": ""})[0] for n in PLACES
        ]
        pcns = [
            PCN.objects.get_or_create(
                code=f"UD{i + 1:04d}",
                defaults={
                    "name": name,
                    "ics": ics,
                    "place": places[min(i // 3, 2)],
                    "opened_on": START,
                },
            )[0]
            for i, name in enumerate(PCN_NAMES)
        ]
        for n in range(30):
            pcn = pcns[n % len(pcns)]
            place = places[min((n % len(pcns)) // 3, 2)]
            practice, _ = Practice.objects.get_or_create(
                code=f"X9{n + 1:04d}",
                defaults={
                    "name": f"{place.name} Surgery {n + 1}",
                    "postcode": f"ZZ{n % 9 + 1} {n % 9 + 1}AB",
                    "ics": ics,
                    "place": place,
                    "opened_on": dt.date(1990, 4, 1),
                },
            )
            PracticePCNMembership.objects.get_or_create(practice=practice, pcn=pcn, starts_on=START)

        admin, _ = self._person("admin", "Ada Administrator", admin=True)
        group, _ = LeadershipGroup.objects.get_or_create(
            ics=ics, name="Northfield and Rivermouth Primary Care Leadership Group"
        )
        if not group.terms.exists():
            terms_adopt_initial(
                group=group,
                actor=admin,
                terms=TermsOfReference(
                    purpose=(
                        "To give general practice in Northfield and Rivermouth one organised, "
                        "evidenced voice on the ICB board, and to shape all ICS work that "
                        "touches primary care."
                    ),
                    membership_composition="Twelve GP leads, at least one from each place.",
                    quorum_kind=TermsOfReference.QuorumKind.PERCENT,
                    quorum_value=50,
                    decision_rule=TermsOfReference.DecisionRule.SIMPLE_MAJORITY,
                    review_date=dt.date(2027, 3, 31),
                ),
            )
        chair, _ = self._person("chair", "Dr Priya Chandran")
        leads = [
            self._person("gp.lead" if i == 0 else f"gp.lead{i + 1:02d}", name)[0]
            for i, name in enumerate(GP_LEADS)
        ]
        for user, role in [(chair, GroupMembership.Role.CHAIR)] + [
            (u, GroupMembership.Role.MEMBER) for u in leads
        ]:
            if not group.memberships.filter(user=user, ends_on__isnull=True).exists():
                membership_add(group=group, user=user, role=role, starts_on=START, actor=admin)

        if not group.positions.exists():
            self._positions(group, chair, leads)

        board = Board.objects.filter(slug="northfield-rivermouth-icb").first()
        if board is None:
            board = board_create(
                ics=ics,
                name="Northfield and Rivermouth Integrated Care Board",
                slug="northfield-rivermouth-icb",
                quorum=8,
                quorum_rule="Eight members, including the chair or a non-executive member, "
                "one executive member and one partner member.",
                actor=admin,
            )
        board_chair, _ = self._person("board.chair", "Margaret Whitfield")
        rep, _ = self._person("gp.rep", "Dr Tom Ashworth")
        secretary, _ = self._person("secretary", "Sara Lindqvist")
        members = [
            self._person("board.member" if i == 0 else f"board.member{i + 1:02d}", name)[0]
            for i, (name, _) in enumerate(BOARD_MEMBERS)
        ]
        seats: list[tuple[User, str, str]] = [
            (board_chair, BoardSeat.Role.CHAIR, "Chair"),
            (rep, BoardSeat.Role.GP_REPRESENTATIVE, "Primary medical services partner member"),
            (secretary, BoardSeat.Role.SECRETARY, "Board Secretary"),
        ]
        seats += [
            (m, BoardSeat.Role.MEMBER, title)
            for m, (_, title) in zip(members, BOARD_MEMBERS, strict=True)
        ]
        for person, seat_role, title in seats:
            if not board.seats.filter(user=person, role=seat_role, ends_on__isnull=True).exists():
                seat_add(
                    board=board,
                    user=person,
                    role=seat_role,
                    title=title,
                    starts_on=START,
                    actor=admin,
                )

        reviewer, _ = self._person("reviewer", "Nadia Brooks")
        if not ics.reviewers.filter(user=reviewer, ends_on__isnull=True).exists():
            reviewer_add(ics_id=ics.pk, user=reviewer, actor=admin)
        if not board.meetings.exists():
            agreed = group.positions.filter(state=Position.State.AGREED).first()
            self._board_business(board, secretary, rep, agreed)
        return created

    def _board_business(
        self, board: Board, secretary: User, rep: User, agreed: Position | None
    ) -> None:
        """A meeting held six weeks ago (agenda, register, decision, action, draft minutes)
        and one in three weeks, where the GP representative has tabled the agreed position:
        its published agenda has a public part with a paper and a confidential item."""
        today = timezone.localdate()

        def at(days: int, hour: int) -> dt.datetime:
            day = today + dt.timedelta(days=days)
            return timezone.make_aware(dt.datetime(day.year, day.month, day.day, hour))

        place = "Rivermouth Civic Centre, Harbour Street"
        held = meetings.meeting_schedule(
            board=board,
            title="Board meeting in public",
            starts_at=at(-42, 10),
            ends_at=at(-42, 13),
            location=place,
            actor=secretary,
        )
        opening = meetings.agenda_item_add(
            meeting=held,
            title="Welcome, apologies and declarations of interest",
            duration_minutes=5,
            purpose=Purpose.INFORMATION,
            presenter="Margaret Whitfield, Chair",
            actor=secretary,
        )
        winter = meetings.agenda_item_add(
            meeting=held,
            title="Winter resilience plan 2026/27",
            duration_minutes=30,
            purpose=Purpose.DECISION,
            presenter="Chief Operating Officer",
            actor=secretary,
        )
        meetings.agenda_publish(meeting=held, actor=secretary)
        holders = conduct_selectors.seat_holders(board, held.day)
        conduct.attendance_record(
            meeting=held,
            statuses={
                user_id: ("apologies" if n == 3 else "present")
                for n, user_id in enumerate(sorted(holders))
            },
            actor=secretary,
        )
        conduct.decision_record(
            meeting=held,
            item_key=winter.key,
            text="The board approved the winter resilience plan.",
            actor=secretary,
        )
        conduct.action_add(
            meeting=held,
            item_key=winter.key,
            description="Report winter same-day demand by place to the next meeting.",
            owner=rep,
            due_on=today + dt.timedelta(days=14),
            actor=secretary,
        )
        conduct.minutes_draft(
            meeting=held,
            public_text="The chair welcomed members. No interests were declared on "
            f"item {opening.order}.\n\nThe board approved the winter resilience plan.",
            private_text="",
            actor=secretary,
        )

        coming = meetings.meeting_schedule(
            board=board,
            title="Board meeting in public",
            starts_at=at(21, 10),
            ends_at=at(21, 13),
            location=place,
            online_url="https://meet.example.nhs.uk/northfield-rivermouth-board",
            actor=secretary,
        )
        meetings.agenda_item_add(
            meeting=coming,
            title="Minutes of the last meeting and action log",
            duration_minutes=10,
            purpose=Purpose.DECISION,
            presenter="Margaret Whitfield, Chair",
            actor=secretary,
        )
        finance = meetings.agenda_item_add(
            meeting=coming,
            title="Finance report: month 7",
            duration_minutes=20,
            purpose=Purpose.ASSURANCE,
            presenter="Chief Finance Officer",
            actor=secretary,
        )
        if agreed is not None:
            brief = briefs.brief_table(board=board, position=agreed, meeting=coming, actor=rep)
            meetings.agenda_add_brief(meeting=coming, brief=brief, actor=secretary)
        meetings.agenda_item_add(
            meeting=coming,
            title="Community services procurement",
            duration_minutes=20,
            purpose=Purpose.DECISION,
            part=Part.PRIVATE,
            presenter="Director of Strategy",
            confidential_reason="Commercially sensitive until the contract is awarded.",
            review_on=today + dt.timedelta(days=120),
            actor=secretary,
        )
        meetings.paper_add(
            item=finance,
            title="Finance report, month 7",
            upload=SimpleUploadedFile("finance.pdf", _demo_pdf(pages=3), "application/pdf"),
            actor=secretary,
        )
        meetings.agenda_publish(meeting=coming, actor=secretary)

    def _positions(self, group: LeadershipGroup, chair: User, leads: list[User]) -> None:
        """Three positions at three stages: a draft under debate, a vote open, one agreed."""
        lead = leads[0]
        draft = position_draft(
            group=group,
            actor=lead,
            coauthors=[leads[1]],
            theme=Position.Theme.PROVIDERS_HELPING,
            title="Same-day access hubs in every place",
            summary="Pool same-day demand across PCNs so that practices under pressure can "
            "share the load.",
            ask="Fund one same-day access hub per place from July 2027.",
            body="## Why\n\nSame-day demand has risen every year since 2022, and practices "
            "that share it cope better.\n\n## What it costs\n\nAbout **£1.2m** a year for "
            "three hubs.",
            resource_implications="£1.2m a year from the primary care development budget.",
            timeline="Procure by April 2027; open in July 2027.",
            trade_offs="Slows the estates review by one quarter.",
            evidence_links="https://www.england.nhs.uk/gp/",
        )
        comment_add(position=draft, actor=leads[2], body="Rivermouth needs its hub first.")
        amendment_propose(
            position=draft,
            actor=leads[3],
            field="timeline",
            proposed_text="Procure by June 2027; open in September 2027.",
            reason="April is too soon to recruit the clinical staff.",
        )
        voting = position_draft(
            group=group,
            actor=leads[1],
            theme=Position.Theme.LEADERSHIP_TEAM,
            title="Protected learning time every quarter",
            summary="Every practice closes for one afternoon a quarter for shared learning.",
            ask="Commission cover from the GP out-of-hours service for four afternoons a year.",
        )
        vote = vote_open(position=voting, actor=chair)
        for voter, choice in zip(leads[1:5], ["for", "for", "against", "abstain"], strict=True):
            vote_cast(vote=vote, voter=voter, choice=choice)
        agreed = position_draft(
            group=group,
            actor=leads[4],
            theme=Position.Theme.VISION_AND_VOICE,
            title="Primary care at every place partnership board",
            summary="A GP lead sits on each place-based partnership board.",
            ask="Amend the place partnership terms of reference to include a GP lead.",
        )
        vote = vote_open(position=agreed, actor=chair)
        for i, voter in enumerate([chair, *leads]):
            vote_cast(vote=vote, voter=voter, choice="against" if i % 5 == 4 else "for")
        vote_close(vote=vote, actor=chair)

    def _banner(self) -> None:
        rows = [
            ("GP lead", "gp.lead"),
            ("Group chair", "chair"),
            ("GP board representative", "gp.rep"),
            ("Board secretary", "secretary"),
            ("Board member", "board.member"),
            ("ICS staff reviewer", "reviewer"),
            ("Site administrator", "admin"),
        ]
        width = max(len(role) for role, _ in rows)
        lines = [
            "",
            f"icsvoice is starting at {settings.SITE_URL}/",
            "",
            f"Demo sign-ins (password for all: {DEMO_PASSWORD}):",
            *[f"  {role:<{width}}  {_email(local)}" for role, local in rows],
            "",
        ]
        if not settings.ICSVOICE_REQUIRE_MFA:
            lines += [
                "Two-factor authentication is OFF for this local demo (ICSVOICE_REQUIRE_MFA=0).",
                "Production requires it for every account.",
                "",
            ]
        lines.append("Press Ctrl-C to stop the web server, the Celery worker and Celery beat.")
        self.stdout.write("\n".join(lines))
