"""Defects found in review of the board side, each pinned by a test that failed before the
fix."""

from __future__ import annotations

import pytest
from django.urls import reverse

from boards.services import briefs as brief_services
from boards.services import meetings as meeting_services
from boards.services.boards import board_create
from boards.services.common import BoardError
from tests.boards import briefs_fixtures
from tests.boards.briefs_fixtures import cancelled, held
from tests.boards.briefs_fixtures import refused as briefs_refused
from tests.boards.checks import board_fingerprint
from tests.boards.conftest import pdf_upload
from tests.boards.meetings_fixtures import add_item, add_private_item, schedule
from tests.helpers import sign_in

tabled = briefs_fixtures.tabled
upcoming = briefs_fixtures.upcoming

pytestmark = pytest.mark.django_db


def _paper(item, secretary, title="Finance report, month 9"):
    return meeting_services.paper_add(item=item, title=title, upload=pdf_upload(), actor=secretary)


# --- Papers of draft items are the secretary's until the agenda is published ----------------


def test_a_paper_on_a_draft_only_item_is_not_downloadable_by_other_readers(client, cast, media):
    meeting = schedule(cast.board, cast.secretary)
    item = add_item(meeting, cast.secretary, "SECRET-DRAFT-ITEM")
    paper = _paper(item, cast.secretary)
    address = reverse("boards:paper-download", args=[paper.pk])
    for reader in (cast.board_member, cast.gp_rep, cast.reviewer):
        sign_in(client, reader)
        assert client.get(address).status_code == 404
        client.logout()
    sign_in(client, cast.secretary)
    assert client.get(address).status_code == 200
    client.logout()
    meeting_services.agenda_publish(meeting=meeting, actor=cast.secretary)
    sign_in(client, cast.board_member)
    assert client.get(address).status_code == 200


def test_a_paper_on_an_item_added_in_a_new_draft_waits_for_publication(client, cast, media):
    meeting = schedule(cast.board, cast.secretary)
    add_item(meeting, cast.secretary)
    meeting_services.agenda_publish(meeting=meeting, actor=cast.secretary)
    meeting_services.agenda_version_start(meeting=meeting, actor=cast.secretary)
    late = add_item(meeting, cast.secretary, "Added in version 2")
    paper = _paper(late, cast.secretary)
    sign_in(client, cast.board_member)
    assert client.get(reverse("boards:paper-download", args=[paper.pk])).status_code == 404


# --- A public item made private in the draft takes its papers out of public view ------------


def test_a_paper_for_an_item_the_draft_makes_private_is_not_public(client, cast, media):
    meeting = schedule(cast.board, cast.secretary)
    item = add_item(meeting, cast.secretary, "Estates strategy")
    meeting_services.agenda_publish(meeting=meeting, actor=cast.secretary)
    draft = meeting_services.agenda_version_start(meeting=meeting, actor=cast.secretary)
    in_draft = draft.items.get(key=item.key)
    meeting_services.agenda_item_change(
        item=in_draft,
        title=in_draft.title,
        duration_minutes=in_draft.duration_minutes,
        purpose=in_draft.purpose,
        part="private",
        presenter=in_draft.presenter,
        confidential_reason="Commercially sensitive.",
        review_on=meeting.starts_at.date(),
        actor=cast.secretary,
    )
    paper = _paper(in_draft, cast.secretary, title="SECRET-PRIVATE-PAPER")
    assert client.get(reverse("public:paper-download", args=[paper.pk])).status_code == 404
    page = client.get(reverse("public:meeting-detail", args=[meeting.pk]))
    assert b"SECRET-PRIVATE-PAPER" not in page.content


def test_a_private_item_s_paper_stays_private_in_public_pages(client, cast, media):
    meeting = schedule(cast.board, cast.secretary)
    item = add_private_item(meeting, cast.secretary)
    paper = _paper(item, cast.secretary, title="SECRET-PRIVATE-PAPER")
    meeting_services.agenda_publish(meeting=meeting, actor=cast.secretary)
    assert client.get(reverse("public:paper-download", args=[paper.pk])).status_code == 404


# --- A board's web address ---------------------------------------------------------------


def test_a_board_name_with_no_letters_or_digits_is_refused(cast, admin_user, client):
    before = board_fingerprint()
    with pytest.raises(BoardError, match="web address"):
        board_create(ics=cast.ics, name="*** ***", quorum=3, actor=admin_user)
    assert board_fingerprint() == before
    assert client.get(reverse("public:board-list")).status_code == 200


# --- The board's response is not recorded at a cancelled meeting --------------------------


def test_a_response_is_not_recorded_at_a_cancelled_meeting(cast, tabled):
    brief = held(tabled)
    called_off = cancelled(cast.board, cast.secretary, -2)
    with briefs_refused("cancelled"):
        brief_services.response_record(
            brief=brief, kind="adopted", reasons="Fits.", meeting=called_off, actor=cast.secretary
        )
