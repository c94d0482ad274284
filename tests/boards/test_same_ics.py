"""Two boards in one ICS (an ICB and one of its committees): the secretary of one may see the
ICS but touch nothing of the other board. The other-ICS tests elsewhere get their 404 from
the ICS check; these reach the board check, which must answer 403 and change nothing."""

from __future__ import annotations

import pytest
from django.urls import reverse

from boards.models import BoardSeat
from boards.services import meetings as meeting_services
from tests import factories as f
from tests.boards.checks import board_fingerprint
from tests.boards.conftest import pdf_upload
from tests.boards.meetings_fixtures import add_item, schedule, table
from tests.helpers import sign_in


@pytest.fixture
def committee_secretary(cast):
    committee = f.BoardFactory(ics=cast.ics, name="ICS A Quality Committee", slug="ics-a-q")
    person = f.UserFactory(email="committee.secretary@a.example.nhs.uk")
    f.BoardSeatFactory(board=committee, user=person, role=BoardSeat.Role.SECRETARY)
    return person


def test_a_secretary_of_another_board_in_the_ics_is_refused_everywhere(
    client, cast, committee_secretary, agreed, media
):
    meeting = schedule(cast.board, cast.secretary)
    item = add_item(meeting, cast.secretary)
    paper = meeting_services.paper_add(
        item=item, title="Finance", upload=pdf_upload(), actor=cast.secretary
    )
    brief = table(meeting, agreed, cast.gp_rep)
    seat = cast.board.seats.get(role=BoardSeat.Role.MEMBER)
    board = cast.board.pk
    pages = [
        ("boards:board-detail", board),
        ("boards:seat-list", board),
        ("boards:seat-add", board),
        ("boards:seat-end", seat.pk),
        ("boards:meeting-list", board),
        ("boards:meeting-create", board),
        ("boards:meeting-detail", meeting.pk),
        ("boards:meeting-edit", meeting.pk),
        ("boards:agenda-edit", meeting.pk),
        ("boards:agenda-item-add", meeting.pk),
        ("boards:paper-upload", item.pk),
        ("boards:paper-download", paper.pk),
        ("boards:meeting-attendance", meeting.pk),
        ("boards:declaration-add", meeting.pk),
        ("boards:minutes-edit", meeting.pk),
        ("boards:action-log", board),
        ("boards:response-list", board),
        ("boards:brief-detail", brief.pk),
        ("boards:brief-response", brief.pk),
    ]
    sign_in(client, committee_secretary)
    before = board_fingerprint()
    for name, pk in pages:
        address = reverse(name, args=[pk])
        assert client.get(address).status_code == 403, name
        assert client.post(address, {"title": "Taken over"}).status_code in (403, 405), name
    assert board_fingerprint() == before
    # The same pages answer their own secretary, so the 403s above are the board check.
    client.logout()
    sign_in(client, cast.secretary)
    for name, pk in pages:
        assert client.get(reverse(name, args=[pk])).status_code == 200, name
