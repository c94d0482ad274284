"""Reads of meetings and agendas: a board's meetings, an agenda version laid out with its
timings, papers and what changed since the version published before it, the agenda requests
waiting for the secretary, and the home page card. Each read is a fixed number of queries
however many items and papers a meeting has."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db.models import Exists, OuterRef, Q
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone

from boards.models import AgendaItem, AgendaVersion, Board, BoardSeat, Brief, Meeting, Paper, Part
from icsvoice.models import User
from icsvoice.registry import CardItem

CARD_DAYS = 28
DRAFT = AgendaVersion.State.DRAFT
PUBLISHED = AgendaVersion.State.PUBLISHED

# What a change to each field is called on a version page.
FIELD_LABELS = {
    "title": "title",
    "duration_minutes": "duration",
    "presenter": "presenter",
    "purpose": "purpose",
    "confidential_reason": "reason for confidentiality",
    "review_on": "review date",
}


# --- Meetings --------------------------------------------------------------------------------


@dataclass(frozen=True)
class MeetingLists:
    upcoming: list[Meeting]
    past: list[Meeting]


def meetings_for_board(board: Board) -> MeetingLists:
    """The board's meetings, upcoming (soonest first) and past (latest first), each marked
    with whether its agenda is published (`has_published_agenda`)."""
    now = timezone.now()
    meetings: list[Meeting] = list(
        Meeting.objects.filter(board=board)
        .annotate(
            has_published_agenda=Exists(
                AgendaVersion.objects.filter(meeting=OuterRef("pk"), state=PUBLISHED)
            ),
            finishes_at=Coalesce("ends_at", "starts_at"),
        )
        .order_by("starts_at", "id")
    )
    upcoming = [m for m in meetings if m.finishes_at >= now]  # type: ignore[attr-defined]
    past = [m for m in reversed(meetings) if m.finishes_at < now]  # type: ignore[attr-defined]
    return MeetingLists(upcoming=upcoming, past=past)


# --- Agendas ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ItemChange:
    """How an item differs from the same item (by key) in the previous published version."""

    added: bool = False
    changed: tuple[str, ...] = ()
    moved_to: str = ""  # the part's label, when the item moved between parts

    @property
    def any(self) -> bool:
        return self.added or bool(self.changed) or bool(self.moved_to)


@dataclass(frozen=True)
class AgendaRow:
    number: int
    item: AgendaItem
    starts_at: dt.datetime
    papers: list[Paper]
    change: ItemChange | None = None


@dataclass
class Agenda:
    """One version of a meeting's agenda laid out: the public part, then the private part,
    each item with its start time. `previous` is the version published before it, and
    `removed` the items of that version no longer on this one."""

    version: AgendaVersion
    public: list[AgendaRow] = field(default_factory=list)
    private: list[AgendaRow] = field(default_factory=list)
    previous: AgendaVersion | None = None
    removed: list[AgendaItem] = field(default_factory=list)
    ends_at: dt.datetime | None = None

    @property
    def rows(self) -> list[AgendaRow]:
        return self.public + self.private

    @property
    def is_empty(self) -> bool:
        return not self.public and not self.private

    @property
    def has_changes(self) -> bool:
        return bool(self.removed) or any(r.change and r.change.any for r in self.rows)


def _change(item: AgendaItem, before: AgendaItem | None) -> ItemChange:
    if before is None:
        return ItemChange(added=True)
    changed = tuple(
        label
        for name, label in FIELD_LABELS.items()
        if getattr(item, name) != getattr(before, name)
    )
    moved_to = item.get_part_display() if item.part != before.part else ""
    return ItemChange(changed=changed, moved_to=moved_to)


def lay_out(
    version: AgendaVersion,
    items: Iterable[AgendaItem],
    *,
    meeting: Meeting,
    papers: dict[str, list[Paper]],
    previous: AgendaVersion | None = None,
    previous_items: Iterable[AgendaItem] | None = None,
) -> Agenda:
    """Orders a version's items (public part first), times them from the meeting's start,
    attaches papers by item key, and marks changes against `previous_items` if given."""
    ordered = sorted(items, key=lambda i: (i.part != Part.PUBLIC, i.order, i.pk))
    before = {i.key: i for i in previous_items} if previous_items is not None else None
    agenda = Agenda(version=version, previous=previous)
    clock = timezone.localtime(meeting.starts_at)
    for number, item in enumerate(ordered, start=1):
        row = AgendaRow(
            number=number,
            item=item,
            starts_at=clock,
            papers=papers.get(str(item.key), []),
            change=_change(item, before.get(item.key)) if before is not None else None,
        )
        (agenda.public if item.part == Part.PUBLIC else agenda.private).append(row)
        clock += dt.timedelta(minutes=item.duration_minutes)
    agenda.ends_at = clock
    if before is not None:
        keys = {i.key for i in ordered}
        agenda.removed = sorted(
            (i for i in before.values() if i.key not in keys), key=lambda i: (i.part, i.order)
        )
    return agenda


def papers_by_key(meeting: Meeting) -> dict[str, list[Paper]]:
    found: dict[str, list[Paper]] = defaultdict(list)
    for paper in Paper.objects.filter(meeting=meeting).order_by("uploaded_at", "id"):
        found[str(paper.item_key)].append(paper)
    return dict(found)


def _items_by_version(version_ids: Iterable[int]) -> dict[int, list[AgendaItem]]:
    found: dict[int, list[AgendaItem]] = defaultdict(list)
    for item in AgendaItem.objects.filter(version_id__in=list(version_ids)):
        found[item.version_id].append(item)
    return found


def _previous_published(
    version: AgendaVersion, versions: list[AgendaVersion]
) -> AgendaVersion | None:
    """The version published most recently before this one (for a draft, the one now
    published), which its changes are marked against."""
    earlier = [v for v in versions if v.number < version.number and v.published_at is not None]
    return max(earlier, key=lambda v: v.number) if earlier else None


@dataclass
class MeetingPage:
    meeting: Meeting
    versions: list[AgendaVersion]
    published: Agenda | None
    draft: Agenda | None


def meeting_page(meeting: Meeting, *, with_draft: bool) -> MeetingPage:
    """The meeting's published agenda (and, for the secretary, its draft marked against the
    published one), with every version for the list of versions. Four queries."""
    versions = list(
        AgendaVersion.objects.filter(meeting=meeting)
        .select_related("published_by")
        .order_by("-number")
    )
    by_state = {v.state: v for v in versions if v.state in (DRAFT, PUBLISHED)}
    published, draft = by_state.get(PUBLISHED), by_state.get(DRAFT) if with_draft else None
    shown = [v for v in (published, draft) if v is not None]
    items = _items_by_version(v.pk for v in shown) if shown else {}
    papers = papers_by_key(meeting) if shown else {}
    page = MeetingPage(meeting=meeting, versions=versions, published=None, draft=None)
    if published is not None:
        page.published = lay_out(published, items[published.pk], meeting=meeting, papers=papers)
    if draft is not None:
        page.draft = lay_out(
            draft,
            items[draft.pk],
            meeting=meeting,
            papers=papers,
            previous=published,
            previous_items=items[published.pk] if published is not None else None,
        )
    return page


@dataclass
class VersionPage:
    agenda: Agenda
    versions: list[AgendaVersion]


def version_page(meeting: Meeting, number: int) -> VersionPage | None:
    """One version of the agenda, with what changed since the version published before it."""
    versions = list(
        AgendaVersion.objects.filter(meeting=meeting)
        .select_related("published_by", "created_by")
        .order_by("-number")
    )
    version = next((v for v in versions if v.number == number), None)
    if version is None:
        return None
    previous = _previous_published(version, versions)
    items = _items_by_version([version.pk] + ([previous.pk] if previous else []))
    agenda = lay_out(
        version,
        items[version.pk],
        meeting=meeting,
        papers=papers_by_key(meeting),
        previous=previous,
        previous_items=items[previous.pk] if previous else None,
    )
    return VersionPage(agenda=agenda, versions=versions)


def agenda_requests(meeting: Meeting) -> list[Brief]:
    """Briefs the GP representative tabled for this meeting that are not yet on its draft or
    published agenda."""
    on_agenda = AgendaItem.objects.filter(
        version__meeting=meeting, version__state__in=(DRAFT, PUBLISHED), brief=OuterRef("pk")
    )
    return list(
        Brief.objects.filter(
            board_id=meeting.board_id, route=Brief.Route.TABLED, requested_meeting=meeting
        )
        .exclude(Exists(on_agenda))
        .select_related("version", "routed_by", "position__group")
        .order_by("routed_at", "id")
    )


# --- Home page card --------------------------------------------------------------------------


def agendas_to_publish_card(user: User) -> list[CardItem]:
    """For a secretary: meetings of their boards in the next four weeks whose agenda is not
    published, or has a new version drafted and not yet published. Urgent once papers are
    due (the board's papers_due_days before the meeting). One query."""
    now = timezone.now()
    boards = BoardSeat.objects.current().filter(user=user, role=BoardSeat.Role.SECRETARY)
    meetings = (
        Meeting.objects.filter(
            board__in=boards.values("board"),
            state=Meeting.State.SCHEDULED,
            starts_at__gte=now,
            starts_at__lte=now + dt.timedelta(days=CARD_DAYS),
        )
        .annotate(
            published=Exists(AgendaVersion.objects.filter(meeting=OuterRef("pk"), state=PUBLISHED)),
            drafted=Exists(AgendaVersion.objects.filter(meeting=OuterRef("pk"), state=DRAFT)),
        )
        .filter(Q(published=False) | Q(drafted=True))
        .select_related("board")
        .order_by("starts_at", "id")
    )
    items = []
    for meeting in meetings:
        when = timezone.localtime(meeting.starts_at)
        status = (
            "a new version is drafted, not published"
            if meeting.published  # type: ignore[attr-defined]
            else "agenda not published"
        )
        due = meeting.starts_at - dt.timedelta(days=meeting.board.papers_due_days)
        items.append(
            CardItem(
                label=f"{meeting.title}, {when:%-d %B %Y}",
                url=reverse("boards:agenda-edit", args=[meeting.pk]),
                detail=f"{meeting.board.name}: starts {when:%-d %B %Y at %H:%M}; {status}",
                urgent=now >= due,
                urgent_label="Papers due",
            )
        )
    return items
