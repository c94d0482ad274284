"""The meeting pack's content and its PDF.

`pack_content()` reads what goes into a pack from the meeting's current published agenda,
through the same reads the pages use: the confidential pack is the agenda the board's members
see (both parts, every paper), the public pack is the agenda the public pages show (the
public part in full, private items only as their place and reason, and only papers the
public may download). Its `fingerprint` is a SHA-256 of all of it, so an unchanged input is
never built twice.

`render_pack()` writes the PDF: a cover and the agenda drawn by WeasyPrint, then each paper
in agenda order merged with pypdf, every paper page stamped with its item number, a
"Page N of M" footer on every page, and bookmarks for the cover, the agenda and each item
(its papers beneath it). A paper that cannot be read is replaced by a page that says so, and
reported back as a problem; it never stops the pack.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
from contextlib import ExitStack
from dataclasses import dataclass, field
from typing import IO, Any

from celery.exceptions import SoftTimeLimitExceeded
from django.core.files.storage import default_storage
from django.template.loader import render_to_string
from django.utils import timezone

from boards.models import AgendaVersion, Meeting, MeetingPack, Part, Purpose
from boards.selectors import meetings as meeting_selectors
from boards.selectors import public as public_selectors

CONFIDENTIAL = MeetingPack.Part.CONFIDENTIAL
PUBLIC = MeetingPack.Part.PUBLIC
A4 = (595.28, 841.89)  # points: the page that stands in for a paper left out


# --- What goes in ----------------------------------------------------------------------------


@dataclass(frozen=True)
class PackPaper:
    id: int
    title: str
    sha256: str
    file_name: str


@dataclass(frozen=True)
class PackItem:
    number: int
    starts_at: dt.datetime
    key: str
    title: str
    presenter: str
    purpose: str
    is_confidential: bool
    papers: tuple[PackPaper, ...]


@dataclass(frozen=True)
class WithheldItem:
    """A private item in the public pack: its place and the reason, nothing else."""

    number: int
    starts_at: dt.datetime
    reason: str


@dataclass(frozen=True)
class PackContent:
    part: str
    board_name: str
    meeting_id: int
    title: str
    starts_at: dt.datetime
    ends_at: dt.datetime | None
    location: str
    online_url: str
    agenda_id: int | None  # the AgendaVersion; None when only the fingerprint is wanted
    agenda_number: int
    items: tuple[PackItem, ...]
    withheld: tuple[WithheldItem, ...]
    agenda_ends_at: dt.datetime

    @property
    def is_confidential(self) -> bool:
        return self.part == CONFIDENTIAL

    @property
    def part_label(self) -> str:
        return str(MeetingPack.Part(self.part).label)

    @property
    def papers(self) -> list[tuple[PackItem, PackPaper]]:
        return [(item, paper) for item in self.items for paper in item.papers]

    def fingerprint(self) -> str:
        """SHA-256 over every input of the pack, papers by their own SHA-256."""

        def at(moment: dt.datetime | None) -> str | None:
            return moment.astimezone(dt.UTC).isoformat() if moment else None

        body = {
            "part": self.part,
            "board": self.board_name,
            "meeting": [
                self.meeting_id,
                self.title,
                at(self.starts_at),
                at(self.ends_at),
                self.location,
                self.online_url,
            ],
            "agenda": self.agenda_number,
            "items": [
                [
                    i.number,
                    i.key,
                    at(i.starts_at),
                    i.title,
                    i.presenter,
                    i.purpose,
                    i.is_confidential,
                    [[p.id, p.title, p.sha256] for p in i.papers],
                ]
                for i in self.items
            ],
            "withheld": [[w.number, at(w.starts_at), w.reason] for w in self.withheld],
            "ends": at(self.agenda_ends_at),
        }
        text = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _paper(p: Any) -> PackPaper:
    return PackPaper(id=p.pk, title=p.title, sha256=p.sha256, file_name=p.file.name)


def _purpose(value: str) -> str:
    return str(Purpose(value).label) if value in Purpose.values else value


def _meeting_fields(meeting: Meeting) -> dict[str, Any]:
    return {
        "board_name": meeting.board.name,
        "meeting_id": meeting.pk,
        "title": meeting.title,
        "starts_at": meeting.starts_at,
        "ends_at": meeting.ends_at,
        "location": meeting.location,
    }


def public_content(
    meeting: Meeting, agenda: public_selectors.PublicAgenda, agenda_id: int | None = None
) -> PackContent:
    """The public pack's content from the public pages' own agenda
    (`boards.selectors.public.published_agenda`): the public part with the papers the public
    may download, private items as their place and reason. No queries."""
    return PackContent(
        part=PUBLIC,
        **_meeting_fields(meeting),
        online_url="",  # the members' joining link is never public
        agenda_id=agenda_id,
        agenda_number=agenda.version_number,
        items=tuple(
            PackItem(
                number=row.number,
                starts_at=row.starts_at,
                key=str(row.item.key),
                title=row.item.title,
                presenter=row.item.presenter,
                purpose=_purpose(row.item.purpose),
                is_confidential=False,
                papers=tuple(_paper(p) for p in row.papers),
            )
            for row in agenda.public
        ),
        withheld=tuple(WithheldItem(r.number, r.starts_at, r.reason) for r in agenda.private),
        agenda_ends_at=agenda.ends_at,
    )


def pack_content(meeting: Meeting, part: str) -> PackContent | None:
    """What the meeting's `part` pack holds now, or None before an agenda is published. The
    meeting needs its board loaded. Four queries."""
    if part == PUBLIC:
        agenda = public_selectors.published_agenda(meeting)
        if agenda is None:
            return None
        version_id = (
            AgendaVersion.objects.filter(
                meeting=meeting,
                state=AgendaVersion.State.PUBLISHED,
                number=agenda.version_number,
            )
            .values_list("id", flat=True)
            .first()
        )
        if version_id is None:  # published again since: that publish queues its own build
            return None
        return public_content(meeting, agenda, version_id)
    version = (
        AgendaVersion.objects.filter(meeting=meeting, state=AgendaVersion.State.PUBLISHED)
        .prefetch_related("items")
        .first()
    )
    if version is None:
        return None
    laid_out = meeting_selectors.lay_out(
        version,
        version.items.all(),
        meeting=meeting,
        papers=meeting_selectors.papers_by_key(meeting),
    )
    assert laid_out.ends_at is not None  # lay_out always times the agenda
    return PackContent(
        part=CONFIDENTIAL,
        **_meeting_fields(meeting),
        online_url=meeting.online_url,
        agenda_id=version.pk,
        agenda_number=version.number,
        items=tuple(
            PackItem(
                number=row.number,
                starts_at=row.starts_at,
                key=str(row.item.key),
                title=row.item.title,
                presenter=row.item.presenter,
                purpose=_purpose(row.item.purpose),
                is_confidential=row.item.part == Part.PRIVATE,
                papers=tuple(_paper(p) for p in row.papers),
            )
            for row in laid_out.rows
        ),
        withheld=(),
        agenda_ends_at=laid_out.ends_at,
    )


# --- The PDF ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    """A paper left out of the pack, and why (as a sentence ending)."""

    paper: int
    title: str
    item: int
    reason: str

    def as_dict(self) -> dict[str, Any]:
        return {"paper": self.paper, "title": self.title, "item": self.item, "reason": self.reason}


@dataclass(frozen=True)
class Rendered:
    pages: int
    problems: list[Problem]


@dataclass
class _Source:
    """One paper as it goes into the pack: its readable pages, or the reason it cannot be."""

    item: PackItem
    paper: PackPaper
    reader: Any = None  # a pypdf PdfReader
    sizes: list[tuple[float, float]] = field(default_factory=list)
    reason: str = ""
    start: int = 0  # the pack page it begins on, from 1

    @property
    def page_count(self) -> int:
        return len(self.sizes) if self.reason == "" else 1


class _PaperFailed(Exception):
    def __init__(self, paper_id: int) -> None:
        self.paper_id = paper_id


def _visible_size(page: Any) -> tuple[float, float]:
    box = page.cropbox
    width, height = float(box.width), float(box.height)
    if page.rotation % 180:
        width, height = height, width
    return round(width, 2), round(height, 2)


def _open(item: PackItem, paper: PackPaper, files: ExitStack) -> _Source:
    """Opens a paper (kept open in `files` while the pack is drawn, so pypdf reads it from
    disk rather than memory), checks it is the file uploaded and that every page can be
    used. A problem is recorded on the source, never raised."""
    from pypdf import PdfReader

    source = _Source(item=item, paper=paper)
    try:
        handle = files.enter_context(default_storage.open(paper.file_name, "rb"))
    except OSError:
        source.reason = "the file is missing"
        return source
    digest, _ = sha256_of(handle)
    if digest != paper.sha256:
        source.reason = "the file has changed since it was uploaded"
        return source
    try:
        handle.seek(0)
        reader = PdfReader(handle)
        if reader.is_encrypted:
            source.reason = "it is password-protected"
            return source
        sizes = []
        for page in reader.pages:
            width, height = _visible_size(page)
            if width < 1 or height < 1:
                raise ValueError("empty page")
            page.get_contents()
            sizes.append((width, height))
    except SoftTimeLimitExceeded:
        raise
    except Exception:  # pypdf raises many kinds on a damaged file; any of them means the same
        source.reason = "it is damaged and cannot be read"
        return source
    if not sizes:
        source.reason = "it has no pages"
        return source
    source.reader, source.sizes = reader, sizes
    return source


def _refuse_fetch(url: str, *args: Any, **kwargs: Any) -> dict[str, Any]:
    """Packs are drawn from text alone: WeasyPrint fetches nothing, from anywhere."""
    raise ValueError(f"meeting packs load no resources ({url})")


def _weasy(html: str) -> Any:
    from weasyprint import HTML

    return HTML(string=html, url_fetcher=_refuse_fetch).render()


def _place(sources: list[_Source], front_pages: int) -> int:
    """Sets each paper's first page after `front_pages`; returns the pack's page count."""
    page = front_pages + 1
    for source in sources:
        source.start = page
        page += source.page_count
    return page - 1


def _item_starts(sources: list[_Source]) -> dict[int, int]:
    """The page each item's papers begin on, by item number."""
    starts: dict[int, int] = {}
    for source in sources:
        starts.setdefault(source.item.number, source.start)
    return starts


def _front(
    content: PackContent, sources: list[_Source], version: int
) -> tuple[Any, int, dict[str, int]]:
    """The cover and agenda drawn until their page count settles (the agenda's page numbers
    depend on it): the WeasyPrint document, the pack's page count, and the front page each
    agenda row's anchor is on."""
    front_pages = 2
    for _ in range(5):
        total = _place(sources, front_pages)
        starts = _item_starts(sources)
        html = render_to_string(
            "boards/pack/front.html",
            {
                "content": content,
                "version": version,
                "total": total,
                "rows": [
                    {
                        "item": item,
                        "page": starts.get(item.number),
                        "papers": [
                            {"paper": s.paper, "page": s.start, "problem": s.reason}
                            for s in sources
                            if s.item.number == item.number
                        ],
                    }
                    for item in content.items
                ],
                "public_rows": [i for i in content.items if not i.is_confidential],
                "has_private_rows": any(i.is_confidential for i in content.items),
                "when": timezone.localtime(content.starts_at),
                "until": timezone.localtime(content.ends_at) if content.ends_at else None,
                "agenda_ends_at": timezone.localtime(content.agenda_ends_at),
            },
        )
        document = _weasy(html)
        if len(document.pages) == front_pages:
            anchors = {
                name: index for index, page in enumerate(document.pages) for name in page.anchors
            }
            return document, total, anchors
        front_pages = len(document.pages)
    raise RuntimeError("The agenda's page count did not settle.")  # pragma: no cover


def _overlay(sources: list[_Source], total: int) -> Any:
    """One WeasyPrint page per paper page, the paper's own size: the item stamp and the
    footer, or for a paper that could not be read, the page that stands in for it."""
    sizes: dict[tuple[float, float], str] = {}
    pages = []
    for source in sources:
        stamp = f"Item {source.item.number}"
        if source.reason:
            name = sizes.setdefault(A4, f"s{len(sizes)}")
            pages.append({"size": name, "stamp": stamp, "number": source.start, "missing": source})
            continue
        for offset, size in enumerate(source.sizes):
            name = sizes.setdefault(size, f"s{len(sizes)}")
            pages.append({"size": name, "stamp": stamp, "number": source.start + offset})
    html = render_to_string(
        "boards/pack/overlay.html",
        {
            "sizes": [{"name": n, "width": w, "height": h} for (w, h), n in sizes.items()],
            "pages": pages,
            "total": total,
        },
    )
    return _weasy(html)


def _outline_title(item: PackItem) -> str:
    return f"{item.number}. {item.title}"


def _assemble(
    content: PackContent,
    sources: list[_Source],
    front: Any,
    anchors: dict[str, int],
    overlay: Any,
    out: IO[bytes],
) -> int:
    from pypdf import PdfReader, PdfWriter, Transformation

    writer = PdfWriter()
    front_reader = PdfReader(io.BytesIO(front.write_pdf()))
    for page in front_reader.pages:
        writer.add_page(page)
    stamps = PdfReader(io.BytesIO(overlay.write_pdf())).pages
    index = 0
    for source in sources:
        if source.reason:
            writer.add_page(stamps[index])
            index += 1
            continue
        try:
            for page_number in range(len(source.sizes)):
                page = writer.add_page(source.reader.pages[page_number])
                if page.rotation % 360:
                    page.transfer_rotation_to_content()
                box = page.cropbox
                page.merge_transformed_page(
                    stamps[index],
                    Transformation().translate(float(box.left), float(box.bottom)),
                )
                page.compress_content_streams()
                index += 1
        except SoftTimeLimitExceeded:
            raise
        except Exception as error:
            raise _PaperFailed(source.paper.id) from error
    agenda_page = anchors.get("agenda", 1)
    writer.add_outline_item("Cover", 0)
    writer.add_outline_item("Agenda", agenda_page)
    for item in content.items:
        own = [s for s in sources if s.item.number == item.number]
        target = own[0].start - 1 if own else anchors.get(f"item-{item.number}", agenda_page)
        parent = writer.add_outline_item(_outline_title(item), target)
        for source in own:
            writer.add_outline_item(source.paper.title, source.start - 1, parent=parent)
    when = timezone.localtime(content.starts_at)
    writer.add_metadata(
        {
            "/Title": f"{content.board_name}: {content.title}, {when:%-d %B %Y} "
            f"({content.part_label.lower()} pack)",
            "/Creator": "icsvoice",
        }
    )
    writer.page_mode = "/UseOutlines"
    writer.write(out)
    return len(writer.pages)


def render_pack(content: PackContent, *, version: int, out: IO[bytes]) -> Rendered:
    """Writes the pack's PDF to `out`. Papers that cannot be read, or fail while merging, are
    left out with a page saying so; they come back as problems."""
    with ExitStack() as files:
        sources = [_open(item, paper, files) for item, paper in content.papers]
        for _ in range(len(sources) + 1):
            front, total, anchors = _front(content, sources, version)
            overlay = _overlay(sources, total)
            out.seek(0)
            out.truncate()
            try:
                pages = _assemble(content, sources, front, anchors, overlay, out)
            except _PaperFailed as failed:
                for source in sources:
                    if source.paper.id == failed.paper_id:
                        source.reason = "it is damaged and cannot be read"
                        source.reader, source.sizes = None, []
                continue
            assert pages == total, (pages, total)
            problems = [
                Problem(s.paper.id, s.paper.title, s.item.number, s.reason)
                for s in sources
                if s.reason
            ]
            return Rendered(pages=pages, problems=problems)
    raise RuntimeError("The pack could not be assembled.")  # pragma: no cover


def sha256_of(handle: IO[bytes]) -> tuple[str, int]:
    """The SHA-256 and size of a file, read in chunks from the start."""
    digest, size = hashlib.sha256(), 0
    handle.seek(0)
    for chunk in iter(lambda: handle.read(1024 * 1024), b""):
        digest.update(chunk)
        size += len(chunk)
    return digest.hexdigest(), size


__all__ = [
    "CONFIDENTIAL",
    "PUBLIC",
    "PackContent",
    "PackItem",
    "PackPaper",
    "Problem",
    "Rendered",
    "WithheldItem",
    "pack_content",
    "render_pack",
    "sha256_of",
]
