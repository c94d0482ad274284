"""Reads for the public pages, which anyone may see without signing in.

Every query here reaches only what a board publishes: meetings (never their online joining
link), the current published agenda (never a draft or a superseded version), the public part
of it in full, private items reduced to "confidential item" and the reason, the papers of
public items, and approved minutes' public part. Private items are turned into a row that
holds nothing but their place and reason before any template sees them. Each read is a fixed
number of queries however many meetings, items and papers there are.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from urllib.parse import urlsplit

import icalendar
from django.conf import settings
from django.db.models import Exists, OuterRef, QuerySet
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone

from boards.models import AgendaItem, AgendaVersion, Board, Meeting, Minutes, Paper, Part

PUBLISHED = AgendaVersion.State.PUBLISHED
APPROVED = Minutes.State.APPROVED
# A meeting with no end time shows in calendars as this long.
DEFAULT_DURATION = dt.timedelta(hours=2)

# Only these columns of a meeting are ever read for the public: not `online_url` (the members'
# joining link), and not the reason a meeting was cancelled (written for the members).
MEETING_FIELDS = ("id", "board_id", "title", "starts_at", "ends_at", "location", "state")


def _published_agenda() -> Exists:
    return Exists(AgendaVersion.objects.filter(meeting=OuterRef("pk"), state=PUBLISHED))


def _approved_minutes() -> Exists:
    return Exists(Minutes.objects.filter(meeting=OuterRef("pk"), state=APPROVED))


def _meetings() -> QuerySet[Meeting]:
    return Meeting.objects.only(*MEETING_FIELDS).annotate(
        has_published_agenda=_published_agenda(),
        has_approved_minutes=_approved_minutes(),
        finishes_at=Coalesce("ends_at", "starts_at"),
    )


# --- Boards and their meetings ---------------------------------------------------------------


def boards() -> list[Board]:
    """Every board, by name, with its ICS."""
    return list(Board.objects.select_related("ics").order_by("name", "pk"))


def board_by_slug(slug: str) -> Board | None:
    return Board.objects.select_related("ics").filter(slug=slug).first()


@dataclass(frozen=True)
class MeetingLists:
    upcoming: list[Meeting]
    past: list[Meeting]


def meetings_for_board(board: Board) -> MeetingLists:
    """The board's meetings, upcoming (soonest first) then past (latest first), cancelled
    ones included, each marked `has_published_agenda` and `has_approved_minutes`."""
    now = timezone.now()
    meetings = list(_meetings().filter(board=board).order_by("starts_at", "pk"))
    upcoming = [m for m in meetings if m.finishes_at >= now]  # type: ignore[attr-defined]
    past = [m for m in reversed(meetings) if m.finishes_at < now]  # type: ignore[attr-defined]
    return MeetingLists(upcoming=upcoming, past=past)


def meeting(pk: int) -> Meeting | None:
    """A meeting with its board and ICS, marked as `meetings_for_board` marks them."""
    return (
        _meetings()
        .select_related("board__ics")
        .only(*MEETING_FIELDS, "board__name", "board__slug", "board__ics__name")
        .filter(pk=pk)
        .first()
    )


# --- The published agenda --------------------------------------------------------------------


@dataclass(frozen=True)
class PublicRow:
    """An item of the public part, in full, with its papers."""

    number: int
    starts_at: dt.datetime
    item: AgendaItem
    papers: list[Paper]
    is_confidential = False


@dataclass(frozen=True)
class ConfidentialRow:
    """An item of the private part as the public sees it: where it falls and why it is taken
    in private. It holds nothing else of the item."""

    number: int
    starts_at: dt.datetime
    reason: str
    is_confidential = True


@dataclass(frozen=True)
class PublicAgenda:
    version_number: int
    published_at: dt.datetime
    public: list[PublicRow]
    private: list[ConfidentialRow]
    ends_at: dt.datetime

    @property
    def is_empty(self) -> bool:
        return not self.public and not self.private


def published_agenda(meeting: Meeting) -> PublicAgenda | None:
    """The meeting's current published agenda laid out for the public, or None before one is
    published. Items are timed from the meeting's start, public part first, as the board's
    own agenda pages time them. Three queries."""
    version = (
        AgendaVersion.objects.filter(meeting=meeting, state=PUBLISHED)
        .only("id", "number", "published_at")
        .first()
    )
    if version is None:
        return None
    items = sorted(
        AgendaItem.objects.filter(version=version),
        key=lambda i: (i.part != Part.PUBLIC, i.order, i.pk),
    )
    public_keys = [i.key for i in items if i.part == Part.PUBLIC]
    papers: dict[str, list[Paper]] = defaultdict(list)
    if public_keys:
        for paper in (
            Paper.objects.filter(meeting=meeting, item_key__in=public_keys)
            .exclude(_private_in_draft())
            .order_by("uploaded_at", "pk")
        ):
            papers[str(paper.item_key)].append(paper)
    public: list[PublicRow] = []
    private: list[ConfidentialRow] = []
    clock = timezone.localtime(meeting.starts_at)
    for number, item in enumerate(items, start=1):
        if item.part == Part.PUBLIC:
            public.append(PublicRow(number, clock, item, papers.get(str(item.key), [])))
        else:
            private.append(ConfidentialRow(number, clock, item.confidential_reason))
        clock += dt.timedelta(minutes=item.duration_minutes)
    assert version.published_at is not None  # a published version has its time (a constraint)
    return PublicAgenda(
        version_number=version.number,
        published_at=version.published_at,
        public=public,
        private=private,
        ends_at=clock,
    )


def _private_in_draft() -> Exists:
    """The paper's item is in the private part of the meeting's draft: the secretary has
    taken it into private, and papers added for it since are confidential, so none of the
    item's papers are shown even before the draft is published."""
    return Exists(
        AgendaItem.objects.filter(
            version__meeting=OuterRef("meeting"),
            version__state=AgendaVersion.State.DRAFT,
            part=Part.PRIVATE,
            key=OuterRef("item_key"),
        )
    )


def public_paper(pk: int) -> Paper | None:
    """The paper, if its item is in the public part of its meeting's current published
    agenda (and not taken into private by the draft); None for every other paper (private,
    draft only, superseded, or no such paper),
    so the public cannot tell them apart. One query."""
    return (
        Paper.objects.filter(pk=pk)
        .filter(
            Exists(
                AgendaItem.objects.filter(
                    version__meeting=OuterRef("meeting"),
                    version__state=PUBLISHED,
                    part=Part.PUBLIC,
                    key=OuterRef("item_key"),
                )
            )
        )
        .exclude(_private_in_draft())
        .first()
    )


# --- Minutes ---------------------------------------------------------------------------------


def approved_minutes(meeting: Meeting) -> Minutes | None:
    """The meeting's minutes once approved, with the meeting they were approved at; only the
    public part's columns are read."""
    return (
        Minutes.objects.filter(meeting=meeting, state=APPROVED)
        .select_related("approved_at_meeting")
        .only(
            "id",
            "meeting_id",
            "public_html",
            "approved_at",
            *(f"approved_at_meeting__{f}" for f in MEETING_FIELDS),
        )
        .first()
    )


# --- The iCalendar feed ----------------------------------------------------------------------


def site_host() -> str:
    """The site's own host name, from its configured address (never the request's Host)."""
    return urlsplit(settings.SITE_URL).hostname or "localhost"


def absolute(path: str) -> str:
    return f"{settings.SITE_URL}{path}"


def meeting_page_url(meeting: Meeting) -> str:
    return absolute(reverse("public:meeting-detail", args=[meeting.pk]))


def meeting_ends_at(meeting: Meeting) -> dt.datetime:
    return meeting.ends_at or meeting.starts_at + DEFAULT_DURATION


def calendar(board: Board) -> bytes:
    """The board's meetings as an iCalendar (RFC 5545) feed, oldest first: times in UTC, each
    linking to its public page, cancelled ones marked. One query.

    A meeting's UID stays the same for its life, so a calendar that subscribed updates the
    event when the meeting moves or is cancelled instead of adding another."""
    host = site_host()
    stamp = timezone.now().astimezone(dt.UTC)
    cal = icalendar.Calendar()
    cal.add("prodid", f"-//icsvoice//{host}//Board meetings//EN")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", f"{board.name}: meetings")
    cal.add("x-wr-timezone", settings.TIME_ZONE)
    meetings = Meeting.objects.only(*MEETING_FIELDS).filter(board=board).order_by("starts_at", "pk")
    for meeting in meetings:
        event = icalendar.Event()
        cancelled = meeting.state == Meeting.State.CANCELLED
        summary = f"{board.name}: {meeting.title}"
        event.add("uid", f"meeting-{meeting.pk}@{host}")
        event.add("dtstamp", stamp)
        event.add("dtstart", meeting.starts_at.astimezone(dt.UTC))
        event.add("dtend", meeting_ends_at(meeting).astimezone(dt.UTC))
        event.add("summary", f"Cancelled: {summary}" if cancelled else summary)
        if meeting.location:
            event.add("location", meeting.location)
        url = meeting_page_url(meeting)
        event.add("url", url)
        event.add("description", f"Agenda, papers and minutes: {url}")
        event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
        event.add("transp", "OPAQUE")
        cal.add_component(event)
    return cal.to_ical()
