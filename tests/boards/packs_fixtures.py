"""Helpers for the meeting pack tests: papers with real text (drawn by WeasyPrint) in
several page sizes, a published meeting of three items made through the services, and
readers for the PDF a pack is: text per page (poppler's pdftotext), bookmarks (pypdf) and
page images (poppler's pdftoppm)."""

from __future__ import annotations

import io
import subprocess
from dataclasses import dataclass
from pathlib import Path

from django.core.files.uploadedfile import SimpleUploadedFile
from pypdf import PdfReader, PdfWriter
from weasyprint import HTML

from boards.models import AgendaItem, Meeting, MeetingPack, Paper
from boards.services import meetings as services
from tests.boards.meetings_fixtures import add_item, add_private_item, schedule


def text_pdf(marker: str, pages: int, size: str = "A4", rotate: int = 0) -> bytes:
    """A PDF whose page n says "<marker> page n", in a CSS page size ('A4 landscape')."""
    body = "".join(
        f'<p class="{"next" if n > 1 else ""}">{marker} page {n}</p>' for n in range(1, pages + 1)
    )
    data = HTML(
        string=(
            f"<style>@page {{ size: {size}; margin: 30mm 20mm }} p {{ font-size: 16pt }}"
            ".next { break-before: page }</style>" + body
        )
    ).write_pdf()
    if not rotate:
        return data
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(data)))
    for page in writer.pages:
        page.rotate(rotate)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def upload(data: bytes, name: str = "paper.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, "application/pdf")


def add_paper(item: AgendaItem, secretary, title: str, data: bytes) -> Paper:
    return services.paper_add(item=item, title=title, upload=upload(data), actor=secretary)


@dataclass
class PackMeeting:
    meeting: Meeting
    finance: AgendaItem
    estates: AgendaItem
    winter: AgendaItem
    papers: dict[str, Paper]


def three_items(cast, *, publish: bool = True, days: int = 21) -> PackMeeting:
    """Three public items whose papers differ in size: A4 portrait (3 pages); A4 landscape
    (2 pages) and A3 (1 page) on one item; US Letter turned a quarter (2 pages)."""
    meeting = schedule(cast.board, cast.secretary, days=days)
    finance = add_item(meeting, cast.secretary, "Finance report", presenter="Chief Finance Officer")
    estates = add_item(
        meeting, cast.secretary, "Estates strategy", purpose="decision", presenter="Director"
    )
    winter = add_item(meeting, cast.secretary, "Winter plan", purpose="assurance", presenter="")
    papers = {
        "finance": add_paper(finance, cast.secretary, "Month 9 finance", text_pdf("FINANCE", 3)),
        "estates": add_paper(
            estates, cast.secretary, "Estates plan", text_pdf("ESTATES", 2, "A4 landscape")
        ),
        "sitemap": add_paper(estates, cast.secretary, "Site map", text_pdf("SITEMAP", 1, "A3")),
        "winter": add_paper(
            winter, cast.secretary, "Winter plan", text_pdf("WINTER", 2, "letter", rotate=90)
        ),
    }
    if publish:
        services.agenda_publish(meeting=meeting, actor=cast.secretary)
    return PackMeeting(meeting, finance, estates, winter, papers)


def with_private_item(cast, pm: PackMeeting) -> Paper:
    """A private item with a paper, published as version 2 of the agenda."""
    services.agenda_version_start(meeting=pm.meeting, actor=cast.secretary)
    item = add_private_item(pm.meeting, cast.secretary, "Hospital site disposal")
    paper = add_paper(item, cast.secretary, "Disposal terms", text_pdf("SECRETDISPOSAL", 1))
    services.agenda_publish(
        meeting=pm.meeting, change_note="A private item added.", actor=cast.secretary
    )
    return paper


# --- Reading a pack --------------------------------------------------------------------------


def pack_path(pack: MeetingPack) -> Path:
    return Path(pack.file.path)


def page_text(path: Path, number: int) -> str:
    """The text of one page (from 1), as poppler reads it."""
    return subprocess.run(
        ["pdftotext", "-layout", "-f", str(number), "-l", str(number), str(path), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout


def all_text(path: Path) -> str:
    return subprocess.run(
        ["pdftotext", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout


def outline(path: Path) -> list[tuple[str, int, list[tuple[str, int]]]]:
    """The bookmarks: (title, page from 1, [(child title, page from 1)])."""
    reader = PdfReader(path)
    found: list[tuple[str, int, list[tuple[str, int]]]] = []
    for entry in reader.outline:
        if isinstance(entry, list):
            title, page, _ = found[-1]
            found[-1] = (
                title,
                page,
                [(c.title, reader.get_destination_page_number(c) + 1) for c in entry],
            )
        else:
            found.append((entry.title, reader.get_destination_page_number(entry) + 1, []))
    return found


def render_pages(path: Path, out: Path) -> list[Path]:
    """Every page as a PNG by pdftoppm, which must report nothing wrong."""
    result = subprocess.run(
        ["pdftoppm", "-r", "24", "-png", str(path), str(out / "page")],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr == "", result.stderr
    return sorted(out.glob("page-*.png"))
