"""What each person may see, as querysets: the list endpoints' equivalents of the access
functions the screens use (groups.access, boards.access, engagement.access). The tests check
each against them, object by object and person by person.

- A group's work (positions, votes): its current members and chair, and the ICS's staff
  reviewers (`groups.access.group_for_reader`).
- A board's business (briefs, meetings, published agendas, responses): its current seat
  holders and the ICS's staff reviewers (`boards.access.board_for_reader`). Draft agendas are
  the secretary's working copy and never leave the screens.
- The audit trail: the staff reviewers of the event's ICS (`engagement.access`).
"""

from __future__ import annotations

from django.db.models import Q, QuerySet

from boards.models import AgendaVersion, BoardResponse, BoardSeat, Brief, Meeting
from engagement.access import reviewed_ics_ids
from groups.models import GroupMembership, IcsReviewer, Position, Vote
from icsvoice.models import AuditEvent, User

PUBLISHED_AGENDAS = (AgendaVersion.State.PUBLISHED, AgendaVersion.State.SUPERSEDED)


def _reads_group(user: User, group: str) -> Q:
    """`group` is the lookup from the listed model to its leadership group."""
    member_of = GroupMembership.objects.current().filter(user=user).values("group")
    reviews = IcsReviewer.objects.current().filter(user=user).values("ics")
    return Q(**{f"{group}__in": member_of}) | Q(**{f"{group}__ics__in": reviews})


def _reads_board(user: User, board: str) -> Q:
    """`board` is the lookup from the listed model to its board."""
    seated_on = BoardSeat.objects.current().filter(user=user).values("board")
    reviews = IcsReviewer.objects.current().filter(user=user).values("ics")
    return Q(**{f"{board}__in": seated_on}) | Q(**{f"{board}__ics__in": reviews})


def positions(user: User, queryset: QuerySet[Position] | None = None) -> QuerySet[Position]:
    queryset = Position.objects.all() if queryset is None else queryset
    return queryset.filter(_reads_group(user, "group"))


def votes(user: User, queryset: QuerySet[Vote] | None = None) -> QuerySet[Vote]:
    queryset = Vote.objects.all() if queryset is None else queryset
    return queryset.filter(_reads_group(user, "group"))


def briefs(user: User, queryset: QuerySet[Brief] | None = None) -> QuerySet[Brief]:
    queryset = Brief.objects.all() if queryset is None else queryset
    return queryset.filter(_reads_board(user, "board"))


def responses(
    user: User, queryset: QuerySet[BoardResponse] | None = None
) -> QuerySet[BoardResponse]:
    queryset = BoardResponse.objects.all() if queryset is None else queryset
    return queryset.filter(_reads_board(user, "brief__board"))


def meetings(user: User, queryset: QuerySet[Meeting] | None = None) -> QuerySet[Meeting]:
    queryset = Meeting.objects.all() if queryset is None else queryset
    return queryset.filter(_reads_board(user, "board"))


def agendas(user: User, queryset: QuerySet[AgendaVersion] | None = None) -> QuerySet[AgendaVersion]:
    queryset = AgendaVersion.objects.all() if queryset is None else queryset
    return queryset.filter(_reads_board(user, "meeting__board"), state__in=PUBLISHED_AGENDAS)


def audit_events(user: User, queryset: QuerySet[AuditEvent] | None = None) -> QuerySet[AuditEvent]:
    queryset = AuditEvent.objects.all() if queryset is None else queryset
    return queryset.filter(ics_id__in=reviewed_ics_ids(user))
