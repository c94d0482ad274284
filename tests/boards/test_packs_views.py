"""Packs on the pages: the members' meeting page lists every version a reader may download,
the public meeting page only the current public pack; downloads stream the stored PDF as an
attachment to those entitled (the confidential pack to seat holders only), and refuse
everyone else the house way: another ICS 404, not entitled 403."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import pytest
from django.db import connection
from django.template import Context, Template
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from boards.models import MeetingPack
from boards.packs import CONFIDENTIAL, PUBLIC
from boards.selectors import public as public_selectors
from boards.services import meetings as services
from boards.services.packs import pack_build
from tests import factories as f
from tests.boards.packs_fixtures import (
    PackMeeting,
    add_paper,
    text_pdf,
    three_items,
    with_private_item,
)
from tests.helpers import page, sign_in

pytestmark = pytest.mark.django_db


@dataclass
class Packs:
    pm: PackMeeting
    old: MeetingPack  # confidential, version 1
    current: MeetingPack  # confidential, version 2
    public: MeetingPack  # public, version 1
    public_now: MeetingPack  # public, version 2


@pytest.fixture
def packs(cast, media) -> Packs:
    """A meeting with a private item, and two versions of each of its packs."""
    pm = three_items(cast)
    with_private_item(cast, pm)
    old = pack_build(meeting=pm.meeting, part=CONFIDENTIAL)
    public = pack_build(meeting=pm.meeting, part=PUBLIC)
    services.agenda_version_start(meeting=pm.meeting, actor=cast.secretary)
    draft_item = pm.meeting.agendas.get(state="draft").items.get(key=pm.winter.key)
    add_paper(draft_item, cast.secretary, "Winter annex", text_pdf("ANNEX", 1))
    current = pack_build(meeting=pm.meeting, part=CONFIDENTIAL)
    pack_build(meeting=pm.meeting, part=PUBLIC)  # the annex's item is public: version 2
    public_now = MeetingPack.objects.get(meeting=pm.meeting, part=PUBLIC, version=2)
    return Packs(pm, old, current, public, public_now)


def _download(client, pack, *, public=False):
    name = "public:pack-download" if public else "boards:pack-download"
    return client.get(reverse(name, args=[pack.pk]))


def _bytes(response) -> bytes:
    return b"".join(response.streaming_content)


# --- The members' meeting page ---------------------------------------------------------------


def test_a_member_sees_every_version_with_its_hash_and_download(client, cast, packs):
    pm, old, current, public, public_now = (
        packs.pm,
        packs.old,
        packs.current,
        packs.public,
        packs.public_now,
    )
    sign_in(client, cast.board_member)
    body = page(client.get(reverse("boards:meeting-detail", args=[pm.meeting.pk])))
    section = body[body.index('id="packs"') : body.index('id="meeting-record"')]
    for pack in (old, current, public, public_now):
        assert reverse("boards:pack-download", args=[pack.pk]) in section
        assert pack.sha256 in section
    assert section.index(f"Confidential, version {current.version}") < section.index(
        "Confidential, version 1"
    )
    assert section.count("Current</strong>") == 2 and section.count("Superseded</strong>") == 2
    assert f"<td>{current.pages}</td>" in section
    assert "is emailed to the board's members from" in section


def test_an_ics_reviewer_sees_only_the_public_packs(client, cast, packs):
    pm, old, current, public_now = packs.pm, packs.old, packs.current, packs.public_now
    sign_in(client, cast.reviewer)
    body = page(client.get(reverse("boards:meeting-detail", args=[pm.meeting.pk])))
    section = body[body.index('id="packs"') : body.index('id="meeting-record"')]
    assert reverse("boards:pack-download", args=[public_now.pk]) in section
    assert reverse("boards:pack-download", args=[current.pk]) not in section
    assert reverse("boards:pack-download", args=[old.pk]) not in section
    assert "Confidential, version" not in section
    assert "The confidential pack, which holds the private part of the meeting, is for the" in (
        section
    )


def test_the_page_says_plainly_when_there_is_no_pack_yet(client, cast, media):
    pm = three_items(cast, publish=False)
    sign_in(client, cast.secretary)
    address = reverse("boards:meeting-detail", args=[pm.meeting.pk])
    assert "No pack yet. The pack is made once the agenda is published." in page(
        client.get(address)
    )
    services.agenda_publish(meeting=pm.meeting, actor=cast.secretary)
    assert "No pack yet. It is being made from the published agenda" in page(client.get(address))


def test_a_pack_left_without_a_paper_says_which_on_the_page(client, cast, media):
    pm = three_items(cast)
    (media / pm.papers["sitemap"].file.name).unlink()
    pack = pack_build(meeting=pm.meeting, part=CONFIDENTIAL)
    sign_in(client, cast.gp_rep)
    body = page(client.get(reverse("boards:meeting-detail", args=[pm.meeting.pk])))
    assert "<strong>Left out:</strong> “Site map” (item 2): the file is missing" in body
    assert reverse("boards:pack-download", args=[pack.pk]) in body


def test_the_pack_section_keeps_to_two_queries(cast, packs, django_assert_max_num_queries):
    pm = packs.pm
    request = RequestFactory().get("/")
    request.user = cast.board_member
    template = Template("{% load board_packs %}{% meeting_packs meeting %}")
    with django_assert_max_num_queries(2):
        html = template.render(Context({"request": request, "meeting": pm.meeting}))
    assert html.count("Download<span") == 4


def test_the_meeting_page_does_not_grow_its_queries_with_versions(client, cast, media):
    pm = three_items(cast)
    sign_in(client, cast.secretary)
    address = reverse("boards:meeting-detail", args=[pm.meeting.pk])
    counts = []
    for annex in range(3):
        pack_build(meeting=pm.meeting, part=CONFIDENTIAL)
        pack_build(meeting=pm.meeting, part=PUBLIC)
        with CaptureQueriesContext(connection) as queries:
            assert client.get(address).status_code == 200
        counts.append(len(queries))
        add_paper(pm.winter, cast.secretary, f"Annex {annex}", text_pdf(f"ANNEX{annex}", 1))
    assert MeetingPack.objects.count() == 6
    assert counts[0] == counts[1] == counts[2], counts


# --- Downloads for the board's readers -------------------------------------------------------


def test_a_seat_holder_downloads_any_version_of_either_pack(client, cast, packs):
    old, current, public = packs.old, packs.current, packs.public
    for person in (cast.secretary, cast.board_member, cast.gp_rep):
        sign_in(client, person)
        for pack in (old, current, public):
            response = _download(client, pack)
            assert response.status_code == 200
            assert response["Content-Type"] == "application/pdf"
            assert response["Content-Disposition"].startswith("attachment; filename=")
            assert f"{pack.part} pack v{pack.version}.pdf" in response["Content-Disposition"]
            assert response["X-Content-Type-Options"] == "nosniff"
            assert hashlib.sha256(_bytes(response)).hexdigest() == pack.sha256


@pytest.mark.parametrize(
    "person, confidential, public",
    [
        ("reviewer", 403, 200),  # ICS staff read the board, but not its private papers in bulk
        ("gp_lead", 403, 403),  # same ICS, no seat and no review role
        ("outsider", 404, 404),  # another ICS: its existence is not confirmed
    ],
)
def test_others_are_refused_the_house_way(client, cast, packs, person, confidential, public):
    old, current, public_pack = packs.old, packs.current, packs.public
    sign_in(client, getattr(cast, person))
    assert _download(client, current).status_code == confidential
    assert _download(client, old).status_code == confidential
    assert _download(client, public_pack).status_code == public


def test_a_former_seat_holder_and_another_board_s_secretary_are_refused(
    client, cast, packs, other_secretary
):
    current = packs.current
    former = f.UserFactory(email="former@a.example.nhs.uk")
    seat = f.BoardSeatFactory(board=cast.board, user=former, role="member")
    seat.starts_on = seat.starts_on.replace(year=seat.starts_on.year - 2)
    seat.ends_on = seat.starts_on.replace(year=seat.starts_on.year + 1)
    seat.save()
    sign_in(client, former)  # holds nothing in ICS A any more: as another ICS's person
    assert _download(client, current).status_code == 404
    sign_in(client, other_secretary)
    assert _download(client, current).status_code == 404


def test_signing_in_is_needed_and_only_get_is_allowed(client, cast, packs):
    current = packs.current
    response = _download(client, current)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    sign_in(client, cast.secretary)
    assert client.post(reverse("boards:pack-download", args=[current.pk])).status_code == 405
    assert client.get(reverse("boards:pack-download", args=[987654])).status_code == 404


def test_a_missing_file_is_a_plain_404(client, cast, packs):
    old = packs.old
    old.file.storage.delete(old.file.name)
    sign_in(client, cast.secretary)
    assert _download(client, old).status_code == 404


def test_the_download_keeps_to_a_few_queries(client, cast, packs, django_assert_max_num_queries):
    current = packs.current
    sign_in(client, cast.board_member)
    client.get(reverse("home"))
    # The session, the person and their second factor (four with the session's refresh),
    # their roles and seats (six, as every board page), the pack and its meeting (two).
    with django_assert_max_num_queries(13):
        response = _download(client, current)
    assert response.status_code == 200
    _bytes(response)


def test_packs_are_never_served_from_media_url(client, cast, packs, settings):
    current = packs.current
    sign_in(client, cast.secretary)
    assert client.get(settings.MEDIA_URL + current.file.name).status_code == 404


# --- The public pages ------------------------------------------------------------------------


def test_the_public_page_offers_the_current_public_pack_only(client, cast, packs):
    pm, old, current, public, public_now = (
        packs.pm,
        packs.old,
        packs.current,
        packs.public,
        packs.public_now,
    )
    body = page(client.get(reverse("public:meeting-detail", args=[pm.meeting.pk])))
    assert reverse("public:pack-download", args=[public_now.pk]) in body
    assert public_now.sha256 in body
    for pack in (old, current, public):
        assert reverse("public:pack-download", args=[pack.pk]) not in body
        assert pack.sha256 not in body
    assert "Confidential" not in body[body.index('id="pack"') :]


def test_anyone_downloads_the_current_public_pack_and_nothing_else(client, cast, packs):
    old, current, public, public_now = packs.old, packs.current, packs.public, packs.public_now
    response = _download(client, public_now, public=True)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment; filename=")
    assert "no-cache" in response["Cache-Control"]
    assert hashlib.sha256(_bytes(response)).hexdigest() == public_now.sha256
    for pack in (old, current, public):  # confidential, or superseded: the same 404
        assert _download(client, pack, public=True).status_code == 404
    assert client.get(reverse("public:pack-download", args=[987654])).status_code == 404
    assert client.post(reverse("public:pack-download", args=[public_now.pk])).status_code == 405


def test_a_public_pack_out_of_step_with_the_public_agenda_is_withdrawn_at_once(client, cast, media):
    pm = three_items(cast)
    pack = pack_build(meeting=pm.meeting, part=PUBLIC)
    assert _download(client, pack, public=True).status_code == 200
    draft = services.agenda_version_start(meeting=pm.meeting, actor=cast.secretary)
    item = draft.items.get(key=pm.finance.key)
    services.agenda_item_change(
        item=item,
        title=item.title,
        duration_minutes=item.duration_minutes,
        purpose=item.purpose,
        part="private",
        confidential_reason="Names a supplier in dispute.",
        review_on=pm.meeting.day,
        actor=cast.secretary,
    )
    assert _download(client, pack, public=True).status_code == 404
    body = page(client.get(reverse("public:meeting-detail", args=[pm.meeting.pk])))
    assert "No pack yet: it is being made from the published agenda." in body
    assert reverse("public:pack-download", args=[pack.pk]) not in body
    fresh = pack_build(meeting=pm.meeting, part=PUBLIC)
    assert _download(client, fresh, public=True).status_code == 200


def test_the_public_page_says_plainly_when_there_is_no_pack(client, cast, media):
    pm = three_items(cast, publish=False)
    address = reverse("public:meeting-detail", args=[pm.meeting.pk])
    assert "No pack yet. The pack is made once the agenda is published." in page(
        client.get(address)
    )
    services.agenda_publish(meeting=pm.meeting, actor=cast.secretary)
    assert "No pack yet: it is being made from the published agenda." in page(client.get(address))
    services.meeting_cancel(meeting=pm.meeting, reason="No quorum.", actor=cast.secretary)
    assert "No pack: the meeting is cancelled." in page(client.get(address))


def test_the_public_pack_section_keeps_to_one_query(cast, packs, django_assert_max_num_queries):
    pm = packs.pm
    meeting = public_selectors.meeting(pm.meeting.pk)
    agenda = public_selectors.published_agenda(meeting)
    template = Template("{% load board_packs %}{% public_meeting_pack meeting %}")
    with django_assert_max_num_queries(1):
        html = template.render(Context({"meeting": meeting, "agenda": agenda}))
    assert "Download the meeting pack" in html


def test_the_public_download_keeps_to_a_few_queries(client, packs, django_assert_max_num_queries):
    public_now = packs.public_now
    with django_assert_max_num_queries(6):
        response = _download(client, public_now, public=True)
    assert response.status_code == 200
    _bytes(response)
