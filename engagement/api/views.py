"""The read-only API: one list and one detail endpoint per kind of thing, GET only.

A list holds what the person could see on the screens (engagement.api.visibility) and leaves
the rest out. A detail goes through the same access function as the screen's page, so
another ICS's object is a 404 and a role that may not read it a 403. Each page of a list is
a fixed number of queries however many rows it holds.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, ClassVar

from django.core.exceptions import PermissionDenied
from django.db.models import (
    Case,
    Count,
    IntegerField,
    Model,
    OuterRef,
    Prefetch,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.http import Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import serializers, viewsets
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response

from boards import access as board_access
from boards.models import AgendaItem, AgendaVersion, BoardResponse, Brief, Meeting, Part
from engagement import access as review_access
from engagement.api import serializers as s
from engagement.api import visibility
from engagement.api.audit import filter_events, vote_rules
from engagement.api.pagination import MAX_ID
from groups import access as group_access
from groups.models import Ballot, Choice, Position, Vote, VoteParticipation, today
from icsvoice.models import AuditEvent, User

# --- Shared -----------------------------------------------------------------------------------


def object_id(value: str, what: str) -> int:
    """A path's id, or a 404 (in JSON) when it is not one: no id is a word or 0."""
    if value.isascii() and value.isdigit() and 0 < int(value) <= MAX_ID:
        return int(value)
    raise NotFound(f"No such {what}.")


class ReadOnlyEndpoint(viewsets.GenericViewSet):
    """`base()` is the annotated queryset every row is read from; `visible()` narrows it to
    what a person may see; `check_access()` is the screens' access function for one object;
    `filters` validates the list's query parameters and `lookups` maps them to fields."""

    what: ClassVar[str]
    filters: ClassVar[type[serializers.Serializer]]
    lookups: ClassVar[dict[str, str]] = {}

    def base(self) -> QuerySet[Any]:
        raise NotImplementedError

    def visible(self, user: User, rows: QuerySet[Any]) -> QuerySet[Any]:
        raise NotImplementedError

    def check_access(self, user: User, pk: int) -> None:
        raise NotImplementedError

    def context_for(self, rows: Sequence[Model]) -> dict[str, Any]:
        return {}

    def get_queryset(self) -> QuerySet[Any]:
        if getattr(self, "swagger_fake_view", False):  # drf-spectacular reading the models
            return self.base()
        return self.visible(self.request.user, self.base())

    def filtered(self, queryset: QuerySet[Any], params: dict[str, Any]) -> QuerySet[Any]:
        wanted = {self.lookups[name]: value for name, value in params.items() if value != ""}
        return queryset.filter(**wanted)

    def serialize(self, rows: Sequence[Model]) -> Any:
        serializer = self.get_serializer(rows, many=True)
        serializer.context.update(self.context_for(rows))
        return serializer.data

    def list(self, request: Request) -> Response:
        params = self.filters(data=request.query_params)
        params.is_valid(raise_exception=True)
        queryset = self.filtered(self.get_queryset(), dict(params.validated_data))
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(self.serialize(page))

    def retrieve(self, request: Request, pk: str) -> Response:
        found = object_id(pk, self.what)
        self.check_access(request.user, found)
        row = self.base().filter(pk=found).first()
        if row is None:  # pragma: no cover (access found it a moment ago; nothing is deleted)
            raise NotFound(f"No such {self.what}.")
        return Response(self.serialize([row])[0])


ERROR = s.ErrorSerializer
BAD_PARAMETERS = OpenApiResponse(
    OpenApiTypes.OBJECT,
    description="A query parameter or the cursor is not valid: an object naming each "
    "parameter with a list of messages.",
)
NOT_SIGNED_IN = OpenApiResponse(
    ERROR, description="No valid token or session: the token is missing, wrong, revoked or expired."
)


def documented(
    *,
    tag: str,
    noun: str,
    serializer: type[serializers.Serializer],
    filters: type[serializers.Serializer],
    listing: str,
    detail: str,
    list_forbidden: str = "",
) -> Callable[[type], type]:
    """The list and detail operations' descriptions, parameters and responses."""
    list_responses: dict[int, Any] = {
        200: OpenApiResponse(serializer, description=f"A page of {noun}s, by id."),
        400: BAD_PARAMETERS,
        401: NOT_SIGNED_IN,
    }
    if list_forbidden:
        list_responses[403] = OpenApiResponse(ERROR, description=list_forbidden)
    return extend_schema_view(
        list=extend_schema(
            tags=[tag],
            summary=f"List {noun}s",
            description=listing,
            parameters=[filters],
            responses=list_responses,
        ),
        retrieve=extend_schema(
            tags=[tag],
            summary=f"One {noun}",
            description=detail,
            parameters=[
                OpenApiParameter(
                    "id",
                    OpenApiTypes.INT,
                    OpenApiParameter.PATH,
                    description=f"The {noun}'s id.",
                )
            ],
            responses={
                200: OpenApiResponse(serializer, description=f"The {noun}."),
                401: NOT_SIGNED_IN,
                403: OpenApiResponse(
                    ERROR, description="It is in your ICS, but your role does not cover it."
                ),
                404: OpenApiResponse(
                    ERROR, description="No such id, or it belongs to another ICS."
                ),
            },
        ),
    )


GROUP_READERS = "members of its leadership group (and its chair) and the ICS's staff reviewers"
BOARD_READERS = "people with a seat on its board and the ICS's staff reviewers"


# --- Positions and votes ---------------------------------------------------------------------


@documented(
    tag="Positions",
    noun="position",
    serializer=s.PositionSerializer,
    filters=s.PositionFilters,
    listing=f"Positions, each with its current text and state, that you may read: those of "
    f"groups you belong to, and every group of an ICS whose staff you review ({GROUP_READERS}).",
    detail=f"One position with its current text, for {GROUP_READERS}.",
)
class PositionViewSet(ReadOnlyEndpoint):
    what = "position"
    serializer_class = s.PositionSerializer
    filters = s.PositionFilters
    lookups = {"group": "group_id", "state": "state"}

    def visible(self, user: User, rows: QuerySet[Any]) -> QuerySet[Any]:
        return visibility.positions(user, rows)

    def base(self) -> QuerySet[Position]:
        return Position.objects.select_related("group", "current_version")

    def check_access(self, user: User, pk: int) -> None:
        group_access.position_for_reader(user=user, position_id=pk)


def _per_vote(model: type[Model], **conditions: Any) -> Coalesce:
    rows = (
        model._default_manager.filter(vote=OuterRef("pk"), **conditions)
        .order_by()
        .values("vote")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(rows, output_field=IntegerField()), Value(0))


@documented(
    tag="Votes",
    noun="vote",
    serializer=s.VoteSerializer,
    filters=s.VoteFilters,
    listing="Vote summaries (on positions and on terms of reference) of the groups whose "
    f"work you may read ({GROUP_READERS}): outcome, eligible and voted counts, and counts "
    "by choice only where the group's own vote page shows them. A secret ballot gives "
    "participation only. No endpoint says who voted how.",
    detail=f"One vote's summary, for {GROUP_READERS}.",
)
class VoteViewSet(ReadOnlyEndpoint):
    what = "vote"
    serializer_class = s.VoteSerializer
    filters = s.VoteFilters
    lookups = {"group": "group_id", "position": "position_id", "state": "state"}

    def visible(self, user: User, rows: QuerySet[Any]) -> QuerySet[Any]:
        return visibility.votes(user, rows)

    def base(self) -> QuerySet[Vote]:
        # Live counts are read only for open named votes whose group shows results early.
        return Vote.objects.select_related("group", "terms", "version", "terms_proposal").annotate(
            voted_count=_per_vote(VoteParticipation),
            live_for=_per_vote(Ballot, choice=Choice.FOR),
            live_against=_per_vote(Ballot, choice=Choice.AGAINST),
            live_abstain=_per_vote(Ballot, choice=Choice.ABSTAIN),
        )

    def check_access(self, user: User, pk: int) -> None:
        group_access.vote_for_reader(user=user, vote_id=pk)


# --- Briefs and responses --------------------------------------------------------------------


@documented(
    tag="Briefs",
    noun="brief",
    serializer=s.BriefSerializer,
    filters=s.BriefFilters,
    listing="Briefs: agreed positions in the GP board representative's hands, with the "
    "route they chose, their account of how it was used and where the board's response "
    f"stands. For {BOARD_READERS}.",
    detail=f"One brief, for {BOARD_READERS}.",
)
class BriefViewSet(ReadOnlyEndpoint):
    what = "brief"
    serializer_class = s.BriefSerializer
    filters = s.BriefFilters
    lookups = {"board": "board_id", "position": "position_id"}

    def visible(self, user: User, rows: QuerySet[Any]) -> QuerySet[Any]:
        return visibility.briefs(user, rows)

    def base(self) -> QuerySet[Brief]:
        return Brief.objects.select_related("board", "version").prefetch_related(
            Prefetch("responses", queryset=BoardResponse.objects.order_by("recorded_at", "id"))
        )

    def check_access(self, user: User, pk: int) -> None:
        board_access.brief_for_reader(user=user, brief_id=pk)

    def context_for(self, rows: Sequence[Model]) -> dict[str, Any]:
        return {"today": today()}


@documented(
    tag="Board responses",
    noun="board response",
    serializer=s.BoardResponseSerializer,
    filters=s.ResponseFilters,
    listing="What boards did with tabled positions: adopted, adopted with changes, noted, "
    f"deferred or declined, with reasons. For {BOARD_READERS}.",
    detail=f"One board response, for {BOARD_READERS}.",
)
class BoardResponseViewSet(ReadOnlyEndpoint):
    what = "board response"
    serializer_class = s.BoardResponseSerializer
    filters = s.ResponseFilters
    lookups = {"board": "brief__board_id", "brief": "brief_id"}

    def visible(self, user: User, rows: QuerySet[Any]) -> QuerySet[Any]:
        return visibility.responses(user, rows)

    def base(self) -> QuerySet[BoardResponse]:
        return BoardResponse.objects.select_related("brief__board")

    def check_access(self, user: User, pk: int) -> None:
        response = BoardResponse.objects.filter(pk=pk).only("brief_id").first()
        if response is None:
            raise Http404("No such board response.")
        board_access.brief_for_reader(user=user, brief_id=response.brief_id)


# --- Meetings and agendas --------------------------------------------------------------------


@documented(
    tag="Meetings",
    noun="meeting",
    serializer=s.MeetingSerializer,
    filters=s.MeetingFilters,
    listing=f"Board meetings, held, to come and cancelled, for {BOARD_READERS}.",
    detail=f"One board meeting, for {BOARD_READERS}.",
)
class MeetingViewSet(ReadOnlyEndpoint):
    what = "meeting"
    serializer_class = s.MeetingSerializer
    filters = s.MeetingFilters
    lookups = {"board": "board_id"}

    def visible(self, user: User, rows: QuerySet[Any]) -> QuerySet[Any]:
        return visibility.meetings(user, rows)

    def base(self) -> QuerySet[Meeting]:
        published = AgendaVersion.objects.filter(
            meeting=OuterRef("pk"), state=AgendaVersion.State.PUBLISHED
        ).values("number")[:1]
        return Meeting.objects.select_related("board").annotate(
            published_agenda=Subquery(published, output_field=IntegerField())
        )

    def check_access(self, user: User, pk: int) -> None:
        board_access.meeting_for_reader(user=user, meeting_id=pk)


@documented(
    tag="Agendas",
    noun="agenda version",
    serializer=s.AgendaSerializer,
    filters=s.AgendaFilters,
    listing="Published agenda versions (the current one and those it replaced) with their "
    f"items, in public and in private, for {BOARD_READERS}. Draft agendas are the board "
    "secretary's working copy and never appear.",
    detail=f"One published agenda version with its items, for {BOARD_READERS}. A draft is a 404.",
)
class AgendaViewSet(ReadOnlyEndpoint):
    what = "agenda version"
    serializer_class = s.AgendaSerializer
    filters = s.AgendaFilters
    lookups = {"meeting": "meeting_id"}

    def visible(self, user: User, rows: QuerySet[Any]) -> QuerySet[Any]:
        return visibility.agendas(user, rows)

    def base(self) -> QuerySet[AgendaVersion]:
        items = AgendaItem.objects.annotate(
            part_rank=Case(When(part=Part.PUBLIC, then=Value(0)), default=Value(1))
        ).order_by("part_rank", "order", "id")
        return AgendaVersion.objects.select_related("meeting__board").prefetch_related(
            Prefetch("items", queryset=items)
        )

    def check_access(self, user: User, pk: int) -> None:
        version = AgendaVersion.objects.filter(pk=pk).only("meeting_id", "state").first()
        if version is None:
            raise Http404("No such agenda version.")
        board_access.meeting_for_reader(user=user, meeting_id=version.meeting_id)
        if version.state not in visibility.PUBLISHED_AGENDAS:
            raise Http404("No such agenda version.")


# --- The audit trail -------------------------------------------------------------------------


@documented(
    tag="Audit events",
    noun="audit event",
    serializer=s.AuditEventSerializer,
    filters=s.AuditFilters,
    listing="The audit trail of the ICSs whose staff you review, oldest first: every "
    "recorded change to primary care input, hash-chained so that any edit or removal is "
    "detected. Filters match exactly. What a vote's own page would not show is withheld "
    "from payloads (see `withheld`).",
    detail="One audit event, for the staff reviewers of its ICS. Events that belong to no "
    "ICS (signing in, API tokens) are not available here.",
    list_forbidden="You are not an ICS staff reviewer.",
)
class AuditEventViewSet(ReadOnlyEndpoint):
    what = "audit event"
    serializer_class = s.AuditEventSerializer
    filters = s.AuditFilters

    def visible(self, user: User, rows: QuerySet[Any]) -> QuerySet[Any]:
        return visibility.audit_events(user, rows)

    def base(self) -> QuerySet[AuditEvent]:
        return AuditEvent.objects.all()

    def filtered(self, queryset: QuerySet[Any], params: dict[str, Any]) -> QuerySet[Any]:
        return filter_events(queryset, **params)

    def list(self, request: Request) -> Response:
        if not review_access.reviewed_ics_ids(request.user):
            raise PermissionDenied(review_access.REVIEWERS_ONLY)
        return super().list(request)

    def check_access(self, user: User, pk: int) -> None:
        event = AuditEvent.objects.filter(pk=pk).only("ics_id").first()
        if event is None or event.ics_id is None:
            raise Http404("No such audit event.")
        review_access.ics_for_reviewer(user=user, ics_id=event.ics_id)

    def context_for(self, rows: Sequence[Model]) -> dict[str, Any]:
        return {"votes": vote_rules(rows)}  # type: ignore[arg-type]
