"""Rows for the public pages' tests, made directly with the ORM (the services that make them
belong to other parts): meetings, agenda versions in each state, items in each part, papers
with real PDF files, and minutes draft or approved."""

from __future__ import annotations

import datetime as dt
import io
from zoneinfo import ZoneInfo

from django.core.files.base import ContentFile
from django.utils import timezone
from pypdf import PdfReader, PdfWriter

from boards.models import AgendaItem, AgendaVersion, Meeting, Minutes, Paper, Part

LONDON = ZoneInfo("Europe/London")


def at(days: int, hour: int = 10, minute: int = 0) -> dt.datetime:
    """A UK time `days` from today."""
    day = timezone.localdate() + dt.timedelta(days=days)
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=LONDON)


def marked_pdf(marker: str = "", pages: int = 1) -> bytes:
    """A real PDF whose bytes carry `marker` as written (a comment after the end of file
    marker, which readers ignore; the document title escapes some characters)."""
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=595, height=842)
    if marker:
        writer.add_metadata({"/Title": marker})
    out = io.BytesIO()
    writer.write(out)
    data = out.getvalue() + (f"%{marker}\n".encode() if marker else b"")
    assert len(PdfReader(io.BytesIO(data)).pages) == pages
    return data


def meeting(board, user, *, days: int = 21, title: str = "Board meeting in public", **extra):
    fields = {
        "starts_at": at(days),
        "ends_at": at(days, 13),
        "location": "Civic Centre, Room 2",
        **extra,
    }
    return Meeting.objects.create(board=board, title=title, created_by=user, **fields)


def cancel(m: Meeting, reason: str = "The chair is unwell.") -> Meeting:
    m.state = Meeting.State.CANCELLED
    m.cancel_reason = reason
    m.cancelled_at = timezone.now()
    m.save()
    return m


def version(m: Meeting, user, *, number: int = 1, state: str = "published", **extra):
    published = state != AgendaVersion.State.DRAFT
    return AgendaVersion.objects.create(
        meeting=m,
        number=number,
        state=state,
        created_by=user,
        published_by=user if published else None,
        published_at=timezone.now() - dt.timedelta(days=10 - number) if published else None,
        **extra,
    )


def item(v: AgendaVersion, order: int, title: str, **extra) -> AgendaItem:
    fields = {"purpose": "information", "presenter": "Chief Finance Officer", **extra}
    if fields.get("part") == Part.PRIVATE:
        fields.setdefault("confidential_reason", "Commercially sensitive negotiations.")
        fields.setdefault("review_on", timezone.localdate() + dt.timedelta(days=180))
    return AgendaItem.objects.create(version=v, order=order, title=title, **fields)


def private_item(v: AgendaVersion, order: int, title: str, **extra) -> AgendaItem:
    return item(v, order, title, part=Part.PRIVATE, **extra)


def copy_item(it: AgendaItem, v: AgendaVersion, **changes) -> AgendaItem:
    """The same item (same key) on another version, as a new version carries it."""
    fields = {
        f: getattr(it, f)
        for f in (
            "key",
            "order",
            "title",
            "duration_minutes",
            "presenter",
            "purpose",
            "part",
            "confidential_reason",
            "review_on",
            "brief",
        )
    }
    fields.update(changes)
    return AgendaItem.objects.create(version=v, **fields)


def paper(m: Meeting, it: AgendaItem, user, title: str, *, data: bytes | None = None, **extra):
    data = marked_pdf(title) if data is None else data
    p = Paper(
        meeting=m,
        item_key=it.key,
        title=title,
        sha256="0" * 64,
        size=len(data),
        pages=extra.pop("pages", 1),
        uploaded_by=user,
        **extra,
    )
    p.file.save("paper.pdf", ContentFile(data), save=False)
    p.save()
    return p


def minutes(m: Meeting, user, *, public: str, private: str = "", approved_at: Meeting | None):
    fields = {
        "public_text": public,
        "public_html": f"<p>{public}</p>",
        "private_text": private,
        "private_html": f"<p>{private}</p>" if private else "",
        "drafted_by": user,
    }
    if approved_at is not None:
        fields |= {
            "state": Minutes.State.APPROVED,
            "approved_at_meeting": approved_at,
            "approved_by": user,
            "approved_at": timezone.now(),
        }
    return Minutes.objects.create(meeting=m, **fields)
