"""Papers: only real, readable PDFs within the size limit, stored against the item's key,
flagged late after the board's deadline, and downloaded only by the board's readers."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from boards.models import Meeting, Paper
from boards.selectors import meetings as selectors
from boards.services import meetings as services
from icsvoice.models import AuditEvent
from tests.boards.conftest import pdf_bytes, pdf_upload
from tests.boards.meetings_fixtures import add_item, events, refused, schedule
from tests.helpers import sign_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def meeting(cast):
    return schedule(cast.board, cast.secretary, days=21)


@pytest.fixture
def item(cast, meeting):
    return add_item(meeting, cast.secretary)


def _add(item, secretary, upload=None, title="Finance report, month 9"):
    return services.paper_add(
        item=item, title=title, upload=upload or pdf_upload(pdf_bytes(pages=3)), actor=secretary
    )


def test_the_secretary_adds_a_paper_to_an_item(cast, item, media):
    paper = _add(item, cast.secretary)
    assert (paper.meeting, paper.item_key, paper.pages) == (item.version.meeting, item.key, 3)
    assert paper.size == len(pdf_bytes(pages=3)) and len(paper.sha256) == 64
    assert not paper.is_late
    assert paper.file.name.startswith("papers/")
    assert (media / paper.file.name).read_bytes().startswith(b"%PDF-")
    assert events()[-1] == "board.paper_added"
    assert AuditEvent.objects.get(event="board.paper_added").payload["late"] is False


def test_a_paper_after_the_deadline_is_late(cast, media):
    soon = schedule(cast.board, cast.secretary, days=3)  # papers due 7 days before
    paper = _add(add_item(soon, cast.secretary), cast.secretary)
    assert paper.is_late


def test_the_deadline_is_the_board_s_own(cast, media):
    cast.board.papers_due_days = 2
    cast.board.save()
    soon = schedule(cast.board, cast.secretary, days=3)
    assert not _add(add_item(soon, cast.secretary), cast.secretary).is_late
    Meeting.objects.filter(pk=soon.pk).update(starts_at=timezone.now() + dt.timedelta(days=1))
    soon.refresh_from_db()
    item = soon.agendas.get().items.get()
    assert _add(item, cast.secretary).is_late


def test_moving_the_meeting_or_the_deadline_marks_papers_afresh(cast, media, admin_user):
    meeting = schedule(cast.board, cast.secretary, days=21)
    paper = _add(add_item(meeting, cast.secretary), cast.secretary)
    assert not paper.is_late
    services.meeting_change(
        meeting=meeting,
        title=meeting.title,
        starts_at=timezone.now() + dt.timedelta(days=3),
        location=meeting.location,
        actor=cast.secretary,
    )
    paper.refresh_from_db()
    assert paper.is_late  # the meeting came forward past the paper's upload
    from boards.services.boards import board_update

    board_update(
        board=cast.board,
        name=cast.board.name,
        quorum=cast.board.quorum,
        quorum_rule=cast.board.quorum_rule,
        papers_due_days=1,
        actor=admin_user,
    )
    paper.refresh_from_db()
    assert not paper.is_late  # a shorter deadline makes it on time again


@pytest.mark.parametrize(
    ("upload", "match"),
    [
        (
            SimpleUploadedFile("paper.pdf", b"Just some text, not a PDF.", "application/pdf"),
            "must be a PDF",
        ),
        (pdf_upload(pdf_bytes(password="secret")), "password-protected"),
        (pdf_upload(b"%PDF-1.7\n1 0 obj << /Type /Catalog >> garbage"), "damaged"),
    ],
    ids=["text-named-pdf", "encrypted", "damaged"],
)
def test_files_that_are_not_readable_pdfs_are_refused(cast, item, media, upload, match):
    with refused(match):
        _add(item, cast.secretary, upload)
    assert not list(media.rglob("*.pdf"))


def test_a_paper_over_the_size_limit_is_refused(cast, item, media, settings):
    settings.ICSVOICE_MAX_PDF_BYTES = 1024
    with refused("smaller than 1 KB"):
        _add(item, cast.secretary, pdf_upload(pdf_bytes(pages=1) + b"%" * 2048))


def test_a_paper_needs_a_title_and_the_secretary(cast, item, media):
    with refused("Enter the paper's title"):
        _add(item, cast.secretary, title=" ")
    with refused("Only this board's secretary"):
        _add(item, cast.board_member)
    with refused("Only this board's secretary"):
        _add(item, cast.gp_rep)


def test_papers_follow_the_item_into_new_versions(cast, item, media):
    meeting = item.version.meeting
    paper = _add(item, cast.secretary)
    services.agenda_publish(meeting=meeting, actor=cast.secretary)
    v2 = services.agenda_version_start(meeting=meeting, actor=cast.secretary)
    copy = v2.items.get()
    second = _add(copy, cast.secretary, title="Appendix")
    page = selectors.meeting_page(meeting, with_draft=True)
    assert page.published is not None and page.draft is not None
    assert [p.pk for p in page.published.rows[0].papers] == [paper.pk, second.pk]
    assert [p.pk for p in page.draft.rows[0].papers] == [paper.pk, second.pk]
    services.agenda_publish(meeting=meeting, change_note="Appendix added.", actor=cast.secretary)
    item.version.refresh_from_db()
    with refused("has been superseded"):
        _add(item, cast.secretary)


# --- Download --------------------------------------------------------------------------------


def test_readers_download_the_paper_as_an_attachment(client, cast, item, media):
    paper = _add(item, cast.secretary)
    # Readers other than the secretary see papers once the agenda they are on is published.
    services.agenda_publish(meeting=item.version.meeting, actor=cast.secretary)
    for reader in (cast.secretary, cast.board_member, cast.gp_rep, cast.reviewer):
        sign_in(client, reader)
        response = client.get(reverse("boards:paper-download", args=[paper.pk]))
        assert response.status_code == 200
        assert response["Content-Type"] == "application/pdf"
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["Content-Disposition"].startswith("attachment;")
        assert b"".join(response.streaming_content).startswith(b"%PDF-")
        client.logout()


def test_others_cannot_download(client, cast, item, media, other_secretary):
    paper = _add(item, cast.secretary)
    address = reverse("boards:paper-download", args=[paper.pk])
    assert client.get(address).status_code == 302  # to sign in
    sign_in(client, cast.outsider)
    assert client.get(address).status_code == 404
    client.logout()
    sign_in(client, other_secretary)
    assert client.get(address).status_code == 404
    client.logout()
    sign_in(client, cast.gp_lead)  # in ICS A, but no seat on the board
    assert client.get(address).status_code == 403
    assert client.post(address).status_code in (403, 405)
    client.logout()
    sign_in(client, cast.secretary)
    assert client.get(reverse("boards:paper-download", args=[paper.pk + 999])).status_code == 404


def test_a_missing_file_is_not_found(client, cast, item, media):
    paper = _add(item, cast.secretary)
    (media / paper.file.name).unlink()
    sign_in(client, cast.secretary)
    assert client.get(reverse("boards:paper-download", args=[paper.pk])).status_code == 404
    assert Paper.objects.count() == 1
