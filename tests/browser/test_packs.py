"""Meeting packs in a real browser: a board member finds every version on the meeting's page
and downloads one, an ICS staff reviewer sees only the public pack, and a member of the
public downloads the public pack without signing in. Every page passes axe at 320 and 1280
pixels."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from boards.models import MeetingPack
from boards.packs import CONFIDENTIAL, PUBLIC
from boards.services.packs import pack_build
from tests.boards.packs_fixtures import add_paper, text_pdf, three_items, with_private_item

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def packed(cast, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    pm = three_items(cast)
    with_private_item(cast, pm)
    for part in (CONFIDENTIAL, PUBLIC):
        pack_build(meeting=pm.meeting, part=part)
    winter = pm.meeting.agendas.get(state="published").items.get(key=pm.winter.key)
    add_paper(winter, cast.secretary, "Winter annex", text_pdf("ANNEX", 1))
    for part in (CONFIDENTIAL, PUBLIC):
        pack_build(meeting=pm.meeting, part=part)
    return pm


def test_a_member_finds_every_version_and_downloads_the_pack(visitor, cast, packed):
    page = visitor.page
    visitor.sign_in_as(cast.board_member)
    visitor.goto(f"/meetings/{packed.meeting.pk}/")
    packs = page.locator("#packs + p + table")
    assert packs.get_by_role("row").count() == 5  # the header and four versions
    visitor.check("meeting-packs-member")
    current = MeetingPack.objects.get(meeting=packed.meeting, part=CONFIDENTIAL, version=2)
    link = page.get_by_role("link", name="Download the confidential pack, version 2,")
    with page.expect_download() as info:
        link.click()
    download = info.value
    assert download.suggested_filename.endswith("confidential pack v2.pdf")
    assert hashlib.sha256(Path(download.path()).read_bytes()).hexdigest() == current.sha256


def test_a_reviewer_sees_only_the_public_packs(visitor, cast, packed):
    visitor.sign_in_as(cast.reviewer)
    visitor.goto(f"/meetings/{packed.meeting.pk}/")
    section = visitor.page.locator("main").inner_text()
    assert "Public, version 2" in section and "Confidential, version" not in section
    visitor.check("meeting-packs-reviewer")


def test_the_public_download_the_public_pack_without_signing_in(visitor, cast, packed):
    page = visitor.page
    visitor.goto(f"/public/meetings/{packed.meeting.pk}/")
    visitor.check("public-meeting-pack")
    current = MeetingPack.objects.get(meeting=packed.meeting, part=PUBLIC, version=2)
    with page.expect_download() as info:
        page.get_by_role("link", name="Download the meeting pack").click()
    data = Path(info.value.path()).read_bytes()
    assert hashlib.sha256(data).hexdigest() == current.sha256
    assert b"SECRETDISPOSAL" not in data
