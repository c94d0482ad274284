import pytest
from django.core.management import call_command
from django.db.models import Count
from django.urls import reverse

from boards.models import Board, BoardSeat
from groups.models import ICS, PCN, GroupMembership, LeadershipGroup, Place, Practice
from icsvoice import audit
from icsvoice.models import AuditEvent, User
from tests.helpers import sign_in


def _snapshot():
    return {
        model.__name__: model.objects.count()
        for model in (
            ICS,
            Place,
            PCN,
            Practice,
            LeadershipGroup,
            GroupMembership,
            Board,
            BoardSeat,
            User,
            AuditEvent,
        )
    }


@pytest.fixture(autouse=True)
def _private_media(settings, tmp_path):
    """The demo's board paper is written under a throwaway media folder."""
    settings.MEDIA_ROOT = tmp_path


def test_seed_demo_builds_the_fictional_ics(db, capsys):
    call_command("seed_demo")
    assert "Demo data: created." in capsys.readouterr().out
    ics = ICS.objects.get(code="XDM")
    assert ics.places.count() == 3
    assert ics.pcns.count() == 8
    assert ics.practices.count() == 30
    group = ics.leadership_groups.get()
    memberships = group.memberships.current()
    assert memberships.count() == 12
    assert memberships.filter(role=GroupMembership.Role.CHAIR).count() == 1
    assert group.terms.get().state == "in_force"
    board = ics.boards.get()
    seats = dict(board.seats.current().values_list("role").annotate(n=Count("id")))
    assert sum(seats.values()) == 15
    assert seats[BoardSeat.Role.GP_REPRESENTATIVE] == 1
    assert seats[BoardSeat.Role.SECRETARY] == 1
    assert ics.reviewers.current().count() == 1
    states = sorted(group.positions.values_list("state", flat=True))
    assert states == ["agreed", "draft", "voting"]
    held, coming = board.meetings.order_by("starts_at")
    assert held.attendance.filter(counts_for_quorum=True).count() >= board.quorum
    assert held.minutes.state == "draft"
    published = coming.agendas.get(state="published")
    tabled = published.items.get(brief__isnull=False)
    assert tabled.brief.position.state == "agreed"
    assert published.items.filter(part="private").count() == 1
    assert coming.papers.get().pages == 3
    assert audit.verify().ok


def test_seed_demo_twice_changes_nothing(db, capsys):
    call_command("seed_demo")
    first = _snapshot()
    call_command("seed_demo")
    assert "already there, nothing changed" in capsys.readouterr().out
    assert _snapshot() == first


def test_each_demo_person_sees_their_roles_on_the_home_page(client, db):
    call_command("seed_demo")
    expected = {
        "gp.lead": "GP lead",
        "chair": "Chair",
        "gp.rep": "GP board representative",
        "secretary": "Board secretary",
        "board.member": "Board member",
        "reviewer": "ICS staff reviewer",
        "admin": "Site administrator",
    }
    for local, role in expected.items():
        client.logout()
        sign_in(client, User.objects.get(email=f"{local}@demo.icsvoice.test"))
        body = client.get(reverse("home")).content.decode()
        assert role in body, local


def test_banner_prints_the_address_and_a_sign_in_per_role(db, capsys, settings):
    settings.ICSVOICE_REQUIRE_MFA = False
    call_command("seed_demo", "--banner")
    out = capsys.readouterr().out
    assert settings.SITE_URL in out
    for local in ("gp.lead", "chair", "gp.rep", "secretary", "board.member", "reviewer", "admin"):
        assert f"{local}@demo.icsvoice.test" in out
    assert "Two-factor authentication is OFF" in out
