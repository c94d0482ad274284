"""Site administrators set up boards; their rules are data, checked, and audited."""

from __future__ import annotations

import pytest
from django.urls import reverse

from boards.models import Board
from boards.services.boards import board_create, board_update
from boards.services.common import BoardError
from icsvoice.errors import DomainError
from icsvoice.models import AuditEvent
from tests import factories as f
from tests.boards.checks import board_fingerprint
from tests.helpers import sign_in


@pytest.fixture
def admin_user(db):
    return f.UserFactory(email="admin@example.nhs.uk", is_superuser=True, is_staff=True)


def test_a_site_admin_creates_a_board_and_changes_its_rules(cast, admin_user):
    board = board_create(
        ics=cast.ics,
        name="ICS A Quality Committee",
        quorum=4,
        quorum_rule="Four members including one non-executive.",
        actor=admin_user,
    )
    assert board.slug == "ics-a-quality-committee"
    board_update(
        board=board,
        name=board.name,
        quorum=5,
        quorum_rule=board.quorum_rule,
        papers_due_days=10,
        actor=admin_user,
    )
    changed = AuditEvent.objects.filter(event="board.rules_changed").get()
    assert changed.payload["changed"] == {"quorum": [4, 5], "papers_due_days": [7, 10]}
    assert AuditEvent.objects.filter(event="board.created").get().role == "site_admin"


@pytest.mark.parametrize(
    "change, message",
    [
        ({"quorum": 0}, "The quorum must be between 1 and 100"),
        ({"papers_due_days": 61}, "between 0 and 60 days"),
        ({"name": "  "}, "Enter the board's name"),
        ({"quorum_rule": "<script>x</script>"}, "The quorum rule"),
    ],
)
def test_rules_that_make_no_sense_are_refused(cast, admin_user, change, message):
    before = board_fingerprint()
    rules = {"name": "A board", "quorum": 6, "quorum_rule": "", "papers_due_days": 7, **change}
    with pytest.raises(DomainError, match=message):
        board_update(board=cast.board, actor=admin_user, **rules)
    assert board_fingerprint() == before


def test_only_site_admins_set_up_boards(cast):
    before = board_fingerprint()
    with pytest.raises(BoardError, match="Only a site administrator"):
        board_create(ics=cast.ics, name="Shadow board", quorum=3, actor=cast.secretary)
    assert board_fingerprint() == before


def test_the_admin_site_creates_boards_through_the_service(client, cast, admin_user):
    sign_in(client, admin_user)
    response = client.post(
        reverse("admin:boards_board_add"),
        {
            "ics": cast.ics.pk,
            "name": "ICS A Finance Committee",
            "slug": "ics-a-finance",
            "quorum": "3",
            "quorum_rule": "",
            "papers_due_days": "5",
        },
    )
    assert response.status_code == 302
    board = Board.objects.get(slug="ics-a-finance")
    assert AuditEvent.objects.filter(event="board.created", object_id=str(board.pk)).exists()
    bad = client.post(
        reverse("admin:boards_board_change", args=[board.pk]),
        {
            "name": "ICS A Finance Committee",
            "quorum": "0",
            "quorum_rule": "",
            "papers_due_days": "5",
        },
    )
    assert bad.status_code == 200
    assert "The quorum must be between 1 and 100" in bad.content.decode()
    board.refresh_from_db()
    assert board.quorum == 3
