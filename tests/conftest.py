"""Shared fixtures: the named cast, and flushing around the append-only audit table."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.core.management.commands import flush
from django.db import connection

from boards.models import Board, BoardSeat
from groups import services as group_services
from groups.models import ICS, GroupMembership, LeadershipGroup, Position
from icsvoice import audit
from icsvoice.models import User
from tests import factories

SHARED_ODS = Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "ods"


def suspend_audit_triggers():
    """Test-only: lets a flush or a deliberate tamper reach the audit table."""

    class _Suspended:
        def __enter__(self):
            with connection.cursor() as cursor:
                if connection.vendor == "postgresql":
                    cursor.execute("SET session_replication_role = replica")
                else:
                    for statement in audit.SQLITE_DROP_TRIGGERS:
                        cursor.execute(statement)

        def __exit__(self, *exc):
            with connection.cursor() as cursor:
                if connection.vendor == "postgresql":
                    cursor.execute("SET session_replication_role = DEFAULT")
                else:
                    for statement in audit.SQLITE_TRIGGERS:
                        cursor.execute(statement)

    return _Suspended()


@pytest.fixture(scope="session", autouse=True)
def _flush_past_audit_triggers():
    """Transactional tests end with a flush, which the audit triggers would refuse."""
    original = flush.Command.handle

    def handle(self, *args, **options):
        with suspend_audit_triggers():
            return original(self, *args, **options)

    flush.Command.handle = handle
    yield
    flush.Command.handle = original


@pytest.fixture(scope="session", autouse=True)
def _tasks_stay_in_memory():
    """Tasks queued after a commit in this process (browser and transactional tests) go to
    Celery's in-memory transport, which nothing here consumes, instead of the repository's
    var/broker or the CI's Redis. The worker tests start installations of their own
    (tests/support/stack.py) with real brokers, and the `eager` fixtures run tasks inline."""
    from icsvoice.celery import app

    # Celery reads the CELERY_BROKER_URL variable before its own setting, so a test could
    # not point the app elsewhere while it is set (CI's PostgreSQL run sets it).
    environ = os.environ.pop("CELERY_BROKER_URL", None)
    before = app.conf.broker_url, app.conf.broker_transport_options
    app.conf.broker_url, app.conf.broker_transport_options = "memory://", {}
    yield
    app.conf.broker_url, app.conf.broker_transport_options = before
    if environ is not None:
        os.environ["CELERY_BROKER_URL"] = environ


@pytest.fixture
def eager():
    """Tasks run in this process when queued, so work queued after a commit is seen whole."""
    from icsvoice.celery import app

    before = app.conf.task_always_eager, app.conf.task_eager_propagates
    app.conf.task_always_eager, app.conf.task_eager_propagates = True, True
    yield
    app.conf.task_always_eager, app.conf.task_eager_propagates = before


@pytest.fixture
def broker_down():
    """Celery's broker is a Redis address where nothing listens: queuing a task fails."""
    from icsvoice.celery import app
    from tests.support.smtp import free_port

    def forget_connections() -> None:  # Celery keeps connection and producer pools
        app._pool = None
        app.amqp._producer_pool = None

    conf = app.conf
    keys = ("broker_url", "broker_transport_options", "task_publish_retry", "task_always_eager")
    before = {key: conf[key] for key in keys}
    conf.broker_url = f"redis://127.0.0.1:{free_port()}/0"
    conf.broker_transport_options = {"max_retries": 0}
    conf.task_publish_retry = False
    conf.task_always_eager = False
    forget_connections()
    yield
    for key, value in before.items():
        conf[key] = value
    forget_connections()


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _public_pages_fresh(settings):
    """Tests change rows directly and read the public pages straight after: the cache of
    those pages is off, except in tests/boards/test_public_cache.py, which is about it."""
    settings.ICSVOICE_PUBLIC_CACHE_SECONDS = 0


@pytest.fixture(autouse=True)
def _clean_cache():
    """Used one-time codes and rate limits live in the cache; each test starts clean."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture
def tamper():
    return suspend_audit_triggers


@pytest.fixture
def postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: run with DATABASE_URL=postgres://...")


@pytest.fixture
def shared_ods() -> Path:
    if not SHARED_ODS.is_dir():
        pytest.skip("../shared/data/ods is not beside this checkout")
    return SHARED_ODS


@dataclass
class Cast:
    ics: ICS
    other_ics: ICS
    group: LeadershipGroup
    board: Board
    gp_lead: User
    chair: User
    gp_rep: User
    secretary: User
    board_member: User
    reviewer: User
    outsider: User
    other_group: LeadershipGroup
    other_board: Board


@pytest.fixture
def cast(db) -> Cast:
    """GP lead, chair, GP representative, secretary, board member and reviewer in ICS A;
    an outsider who is a GP lead in ICS B and must see nothing of A."""
    f = factories
    ics = f.ICSFactory(code="QAA", name="ICS A")
    other_ics = f.ICSFactory(code="QBB", name="ICS B")
    group = f.LeadershipGroupFactory(ics=ics, name="ICS A Primary Care Leadership Group")
    other_group = f.LeadershipGroupFactory(
        ics=other_ics, name="ICS B Primary Care Leadership Group"
    )
    f.TermsOfReferenceFactory(group=group, version=1)
    f.TermsOfReferenceFactory(group=other_group, version=1)
    board = f.BoardFactory(ics=ics, name="ICS A Integrated Care Board", slug="ics-a")
    other_board = f.BoardFactory(ics=other_ics, name="ICS B Integrated Care Board", slug="ics-b")

    gp_lead = f.UserFactory(email="lead@a.example.nhs.uk", full_name="Dr Asha Lead")
    chair = f.UserFactory(email="chair@a.example.nhs.uk", full_name="Dr Chidi Chair")
    gp_rep = f.UserFactory(email="rep@a.example.nhs.uk", full_name="Dr Rhiannon Rep")
    secretary = f.UserFactory(email="secretary@a.example.nhs.uk", full_name="Sam Secretary")
    board_member = f.UserFactory(email="member@a.example.nhs.uk", full_name="Bo Member")
    reviewer = f.UserFactory(email="reviewer@a.example.nhs.uk", full_name="Riya Reviewer")
    outsider = f.UserFactory(email="lead@b.example.nhs.uk", full_name="Dr Otto Outsider")

    f.GroupMembershipFactory(group=group, user=gp_lead)
    f.GroupMembershipFactory(group=group, user=chair, role=GroupMembership.Role.CHAIR)
    f.GroupMembershipFactory(group=group, user=gp_rep)
    f.GroupMembershipFactory(group=other_group, user=outsider)
    f.BoardSeatFactory(board=board, user=gp_rep, role=BoardSeat.Role.GP_REPRESENTATIVE)
    f.BoardSeatFactory(board=board, user=secretary, role=BoardSeat.Role.SECRETARY)
    f.BoardSeatFactory(board=board, user=board_member, role=BoardSeat.Role.MEMBER)
    f.IcsReviewerFactory(ics=ics, user=reviewer)
    return Cast(
        ics=ics,
        other_ics=other_ics,
        group=group,
        board=board,
        gp_lead=gp_lead,
        chair=chair,
        gp_rep=gp_rep,
        secretary=secretary,
        board_member=board_member,
        reviewer=reviewer,
        outsider=outsider,
        other_group=other_group,
        other_board=other_board,
    )


@pytest.fixture
def make_agreed(cast) -> Callable[..., Position]:
    """Makes a position of the cast's group and takes it through a real vote to agreed."""

    def make(title: str = "Same-day access hubs in every place", group=None) -> Position:
        group = group or cast.group
        author = cast.gp_lead if group == cast.group else cast.outsider
        position = group_services.position_draft(
            group=group,
            actor=author,
            title=title,
            summary="Pool same-day demand across PCNs.",
            ask="Fund one same-day access hub per place from July 2027.",
        )
        chair = group.memberships.filter(role="chair").first()
        opener = chair.user if chair else author
        vote = group_services.vote_open(position=position, actor=opener)
        voters = [m.user for m in group.memberships.select_related("user")]
        for voter in voters:
            group_services.vote_cast(vote=vote, voter=voter, choice="for")
        group_services.vote_close(vote=vote, actor=opener)
        position.refresh_from_db()
        assert position.state == Position.State.AGREED
        return position

    return make


@pytest.fixture
def agreed(make_agreed) -> Position:
    return make_agreed()
