"""Building meeting packs: a real PDF (WeasyPrint and pypdf) read back by a real reader
(poppler): cover, agenda with the pages papers start on, every paper stamped with its item,
"Page N of M" on every page, bookmarks; the public pack holds nothing private; an unchanged
input makes no new version; a damaged paper does not stop the pack."""

from __future__ import annotations

import hashlib
import re

import pytest
from pypdf import PdfReader

from boards.models import MeetingPack
from boards.packs import CONFIDENTIAL, PUBLIC, pack_content
from boards.services import meetings as services
from boards.services.packs import pack_build
from icsvoice import audit
from icsvoice.models import AuditEvent, OutboxMessage
from tests.boards.packs_fixtures import (
    add_paper,
    all_text,
    outline,
    pack_path,
    page_text,
    render_pages,
    text_pdf,
    three_items,
    with_private_item,
)

pytestmark = pytest.mark.django_db


def _front_pages(path) -> int:
    """Pages before the first paper: the cover and the agenda."""
    return next(n for n in range(1, 10) if "FINANCE page 1" in page_text(path, n)) - 1


def test_a_pack_has_a_cover_an_agenda_with_page_numbers_and_every_paper_in_order(
    cast, media, tmp_path
):
    pm = three_items(cast)
    pack = pack_build(meeting=pm.meeting, part=CONFIDENTIAL)
    path = pack_path(pack)
    assert path.is_relative_to(media / "packs")
    data = path.read_bytes()
    assert (pack.sha256, pack.size) == (hashlib.sha256(data).hexdigest(), len(data))
    front = _front_pages(path)
    assert front == 2
    assert pack.pages == len(PdfReader(path).pages) == front + 3 + 2 + 1 + 2

    cover = page_text(path, 1)
    for words in (
        "Confidential",
        "ICS A Integrated Care Board",
        "Board meeting in public",
        "Civic Centre, Room 2",
        "10:00 to 13:00 (UK time)",
        "Version 1, 10 pages",
    ):
        assert words in cover, words
    assert pm.meeting.starts_at.strftime("%-d %B %Y") in cover

    agenda = page_text(path, 2)
    starts = {
        title: int(page)
        for title, page in re.findall(
            r"(Month 9 finance|Estates plan|Site map|Winter plan): page (\d+)", agenda
        )
    }
    assert starts == {"Month 9 finance": 3, "Estates plan": 6, "Site map": 8, "Winter plan": 9}
    for title, marker in (
        ("Month 9 finance", "FINANCE"),
        ("Estates plan", "ESTATES"),
        ("Site map", "SITEMAP"),
        ("Winter plan", "WINTER"),
    ):
        assert f"{marker} page 1" in page_text(path, starts[title]), title
    assert re.search(r"1\s+10:00\s+Finance report", agenda)
    assert re.search(r"2\s+10:20\s+Estates strategy", agenda)
    assert "For decision. Presenter: Director" in agenda
    assert "For assurance" in agenda

    stamps = {3: 1, 4: 1, 5: 1, 6: 2, 7: 2, 8: 2, 9: 3, 10: 3}
    for number in range(1, pack.pages + 1):
        text = page_text(path, number)
        assert f"Page {number} of {pack.pages}" in text, number
        if number in stamps:
            assert f"Item {stamps[number]}" in text, number
    assert "ESTATES page 2" in page_text(path, 7)
    assert "WINTER page 2" in page_text(path, 10)

    assert outline(path) == [
        ("Cover", 1, []),
        ("Agenda", 2, []),
        ("1. Finance report", 3, [("Month 9 finance", 3)]),
        ("2. Estates strategy", 6, [("Estates plan", 6), ("Site map", 8)]),
        ("3. Winter plan", 9, [("Winter plan", 9)]),
    ]
    assert len(render_pages(path, tmp_path)) == pack.pages


def test_each_paper_page_keeps_its_size_and_turn_under_the_stamps(cast, media):
    pm = three_items(cast)
    pack = pack_build(meeting=pm.meeting, part=CONFIDENTIAL)
    reader = PdfReader(pack_path(pack))

    def size(index):
        page = reader.pages[index]
        width, height = float(page.cropbox.width), float(page.cropbox.height)
        return (height, width) if page.rotation % 180 else (width, height)

    assert size(2) == pytest.approx((595.3, 841.9), abs=1)  # A4 portrait
    assert size(5) == pytest.approx((841.9, 595.3), abs=1)  # A4 landscape
    assert size(7) == pytest.approx((841.9, 1190.6), abs=1)  # A3
    assert size(8) == pytest.approx((792, 612), abs=1)  # Letter, turned a quarter
    # The stamp sits at the top of the page as it is read: above the paper's own text.
    text = page_text(pack_path(pack), 9).splitlines()
    stamp = next(i for i, line in enumerate(text) if "Item 3" in line)
    paper = next(i for i, line in enumerate(text) if "WINTER page 1" in line)
    footer = next(i for i, line in enumerate(text) if "Page 9 of 10" in line)
    assert stamp < paper < footer


def test_building_records_the_pack_and_its_audit_event_as_the_system(cast, media):
    pm = three_items(cast)
    pack = pack_build(meeting=pm.meeting, part=CONFIDENTIAL)
    assert (pack.version, pack.part, pack.problems, pack.sent_at) == (1, CONFIDENTIAL, [], None)
    assert pack.agenda.number == 1 and pack.agenda.meeting == pm.meeting
    assert pack.fingerprint == pack_content(pm.meeting, CONFIDENTIAL).fingerprint()
    event = AuditEvent.objects.get(event="board.pack_built")
    assert (event.actor_id, event.role, event.object_id) == (None, audit.SYSTEM_ROLE, str(pack.pk))
    assert event.payload["sha256"] == pack.sha256 and event.payload["version"] == 1
    assert event.ics_id == cast.ics.pk


def test_no_pack_before_the_agenda_is_published_or_for_a_cancelled_meeting(cast, media):
    pm = three_items(cast, publish=False)
    assert pack_build(meeting=pm.meeting, part=CONFIDENTIAL) is None
    services.agenda_publish(meeting=pm.meeting, actor=cast.secretary)
    services.meeting_cancel(meeting=pm.meeting, reason="The chair is unwell.", actor=cast.secretary)
    assert pack_build(meeting=pm.meeting, part=PUBLIC) is None
    assert not MeetingPack.objects.exists()


def test_an_unchanged_input_makes_no_new_version_and_a_change_makes_the_next(cast, media):
    pm = three_items(cast)
    first = pack_build(meeting=pm.meeting, part=CONFIDENTIAL)
    assert pack_build(meeting=pm.meeting, part=CONFIDENTIAL) is None
    assert MeetingPack.objects.count() == 1

    add_paper(pm.winter, cast.secretary, "Winter annex", text_pdf("ANNEX", 1))
    second = pack_build(meeting=pm.meeting, part=CONFIDENTIAL)
    assert (second.version, second.pages) == (2, first.pages + 1)
    assert "ANNEX page 1" in page_text(pack_path(second), second.pages)
    assert pack_build(meeting=pm.meeting, part=CONFIDENTIAL) is None

    services.meeting_change(
        meeting=pm.meeting,
        title=pm.meeting.title,
        starts_at=pm.meeting.starts_at,
        ends_at=pm.meeting.ends_at,
        location="Town Hall, Council Chamber",
        actor=cast.secretary,
    )
    third = pack_build(meeting=pm.meeting, part=CONFIDENTIAL)
    assert third.version == 3
    assert "Town Hall, Council Chamber" in page_text(pack_path(third), 1)
    # Older versions stay as they were, file and all.
    assert pack_path(first).read_bytes() != pack_path(third).read_bytes()
    assert hashlib.sha256(pack_path(first).read_bytes()).hexdigest() == first.sha256
    assert list(
        MeetingPack.objects.filter(part=CONFIDENTIAL)
        .order_by("version")
        .values_list("version", flat=True)
    ) == [1, 2, 3]


def test_the_public_pack_holds_no_private_item_or_paper(cast, media):
    pm = three_items(cast)
    with_private_item(cast, pm)
    public = pack_build(meeting=pm.meeting, part=PUBLIC)
    confidential = pack_build(meeting=pm.meeting, part=CONFIDENTIAL)

    text = all_text(pack_path(public))
    raw = pack_path(public).read_bytes()
    for secret in ("Hospital site disposal", "Disposal terms", "SECRETDISPOSAL"):
        assert secret not in text
        assert secret.encode() not in raw
    assert "Public" in page_text(pack_path(public), 1)
    assert "Confidential item" in text
    assert "Taken in private: Commercially sensitive negotiations." in text
    assert "FINANCE page 1" in text and "WINTER page 2" in text
    assert [title for title, _, _ in outline(pack_path(public))] == [
        "Cover",
        "Agenda",
        "1. Finance report",
        "2. Estates strategy",
        "3. Winter plan",
    ]
    assert public.pages == confidential.pages - 1

    secret = all_text(pack_path(confidential))
    assert "Hospital site disposal" in secret and "SECRETDISPOSAL page 1" in secret
    assert outline(pack_path(confidential))[-1] == (
        "4. Hospital site disposal",
        confidential.pages,
        [("Disposal terms", confidential.pages)],
    )
    assert "Item 4" in page_text(pack_path(confidential), confidential.pages)


def test_an_item_the_draft_takes_into_private_leaves_the_public_pack(cast, media):
    pm = three_items(cast)
    first = pack_build(meeting=pm.meeting, part=PUBLIC)
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
    second = pack_build(meeting=pm.meeting, part=PUBLIC)
    assert second.version == first.version + 1
    text = all_text(pack_path(second))
    assert "FINANCE" not in text and "Month 9 finance" not in text
    assert "ESTATES page 1" in text


def test_a_damaged_or_missing_paper_is_left_out_with_a_page_saying_so(cast, media, tmp_path):
    pm = three_items(cast)
    estates = pm.papers["estates"]
    (media / estates.file.name).write_bytes(b"%PDF-1.7\n" + b"\x00garbage" * 50)
    winter = pm.papers["winter"]
    (media / winter.file.name).unlink()

    pack = pack_build(meeting=pm.meeting, part=CONFIDENTIAL)
    path = pack_path(pack)
    assert pack.pages == 2 + 3 + 1 + 1 + 1  # a page in place of each paper left out
    assert pack.problems == [
        {
            "paper": estates.pk,
            "title": "Estates plan",
            "item": 2,
            "reason": "the file has changed since it was uploaded",
        },
        {"paper": winter.pk, "title": "Winter plan", "item": 3, "reason": "the file is missing"},
    ]
    stand_in = page_text(path, 6)
    assert "Estates plan" in stand_in and "Item 2" in stand_in
    assert "This paper could not be included in the pack" in stand_in
    assert "Page 6 of 8" in stand_in
    assert "SITEMAP page 1" in page_text(path, 7)
    assert "the file is missing" in page_text(path, 8)
    assert "FINANCE page 3" in page_text(path, 5)
    assert "Estates plan: could not be included" in page_text(path, 2)
    assert outline(path)[3] == ("2. Estates strategy", 6, [("Estates plan", 6), ("Site map", 7)])
    assert len(render_pages(path, tmp_path)) == pack.pages

    told = OutboxMessage.objects.get(kind="boards.pack_problem")
    assert (told.recipient, told.version, told.urgent) == (cast.secretary, "1", True)
    assert "“Estates plan” (item 2): the file has changed" in told.body
    assert "“Winter plan” (item 3): the file is missing" in told.body


def test_a_paper_pypdf_cannot_read_is_left_out_and_the_secretary_told(cast, media):
    pm = three_items(cast)
    paper = pm.papers["finance"]
    broken = (
        b"%PDF-1.7\n1 0 obj << /Type /Catalog /Pages 9 0 R >> endobj\ntrailer << /Root 1 0 R >>\n"
    )
    (media / paper.file.name).write_bytes(broken)
    type(paper).objects.filter(pk=paper.pk).update(sha256=hashlib.sha256(broken).hexdigest())

    pack = pack_build(meeting=pm.meeting, part=PUBLIC)
    assert pack.problems == [
        {
            "paper": paper.pk,
            "title": "Month 9 finance",
            "item": 1,
            "reason": "it is damaged and cannot be read",
        }
    ]
    assert "it is damaged and cannot be read" in page_text(pack_path(pack), 3)
    assert "ESTATES page 1" in page_text(pack_path(pack), 4)
    told = OutboxMessage.objects.get(kind="boards.pack_problem")
    assert (told.recipient, told.version, told.object_id) == (cast.secretary, "1", str(pack.pk))


def test_the_secretary_hears_of_each_left_out_paper_once(cast, media):
    pm = three_items(cast)
    (media / pm.papers["sitemap"].file.name).unlink()
    first = pack_build(meeting=pm.meeting, part=CONFIDENTIAL)
    pack_build(meeting=pm.meeting, part=PUBLIC)  # the same paper: already told
    add_paper(pm.finance, cast.secretary, "Month 9 annex", text_pdf("ANNEX", 1))
    pack_build(meeting=pm.meeting, part=CONFIDENTIAL)  # still without it: already told
    told = OutboxMessage.objects.filter(kind="boards.pack_problem")
    assert [(m.object_id, m.version) for m in told] == [(str(first.pk), "1")]

    (media / pm.papers["winter"].file.name).unlink()
    add_paper(pm.finance, cast.secretary, "Month 9 annex 2", text_pdf("ANNEX2", 1))
    third = pack_build(meeting=pm.meeting, part=CONFIDENTIAL)
    assert len(third.problems) == 2
    news = told.get(object_id=str(third.pk))
    assert news.version == "3" and "Winter plan" in news.body and "Site map" not in news.body
    assert OutboxMessage.objects.filter(kind="boards.pack_problem").count() == 2
