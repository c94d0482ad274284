"""What each endpoint returns, field by field. Every field says what it means, for the ICS
analysts who read the schema. Read-only: nothing here is ever saved.

The querysets in views.py annotate what these read (`voted_count`, `live_*`,
`published_agenda`, prefetched responses and items), so a page costs the same few queries
however many rows it has.
"""

from __future__ import annotations

from typing import Any

from django.db.models import TextChoices
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from boards.models import AgendaVersion, BoardResponse, Brief, Meeting, Part, Purpose
from boards.selectors.briefs import STATE_LABELS, brief_row
from engagement.api.audit import shown_payload
from engagement.api.pagination import MAX_ID
from groups.models import Position, TermsOfReference, Vote
from icsvoice.models import AuditEvent


def explained(choices: type[TextChoices] | list[tuple[str, str]], text: str) -> str:
    """A help text that ends by listing each value with its meaning."""
    pairs = choices.choices if isinstance(choices, type) else choices
    return f"{text} " + "; ".join(f"`{value}`: {label}" for value, label in pairs) + "."


def _id(text: str, **kwargs: Any) -> serializers.IntegerField:
    return serializers.IntegerField(help_text=text, **kwargs)


ICS_HELP = "The ICS (Integrated Care System) it belongs to, by id."


# --- Errors (for the schema) -----------------------------------------------------------------


class ErrorSerializer(serializers.Serializer):
    detail = serializers.CharField(help_text="What went wrong, in a sentence.")


# --- Positions -------------------------------------------------------------------------------


class PositionVersionSerializer(serializers.Serializer):
    number = serializers.IntegerField(help_text="The version's number: 1 for the first draft.")
    title = serializers.CharField()
    summary = serializers.CharField(help_text="The position in a few sentences.")
    ask = serializers.CharField(help_text="What the group asks of the board.")
    body = serializers.CharField(help_text="The case for it, in Markdown.")
    resource_implications = serializers.CharField(
        help_text="What it would cost, in money, people or time."
    )
    timeline = serializers.CharField(help_text="A realistic timeline.")
    trade_offs = serializers.CharField(help_text="What it trades off against business as usual.")
    evidence_links = serializers.ListField(
        source="links",
        child=serializers.CharField(),
        help_text="Links to the evidence, one address each.",
    )
    change_note = serializers.CharField(
        help_text="What changed since the version before, as its author said."
    )
    created_at = serializers.DateTimeField(help_text="When this version was written.")


class PositionSerializer(serializers.Serializer):
    id = _id("The position's id.")
    group = _id("The leadership group that drafted it, by id.", source="group_id")
    group_name = serializers.CharField(source="group.name", help_text="The group's name.")
    ics = _id(ICS_HELP, source="group.ics_id")
    state = serializers.ChoiceField(
        choices=Position.State.choices,
        help_text="Where the position stands in its group.",
    )
    theme = serializers.ChoiceField(
        choices=Position.Theme.choices,
        help_text="The RCGP roundtable theme it serves.",
    )
    created_at = serializers.DateTimeField(help_text="When it was first drafted.")
    updated_at = serializers.DateTimeField(help_text="When it last changed.")
    current_version = PositionVersionSerializer(
        allow_null=True,
        help_text="The text as it stands now (for an agreed position, the text agreed).",
    )


# --- Votes -----------------------------------------------------------------------------------


class TallySerializer(serializers.Serializer):
    """Ballots by choice (under a consensus rule: agree, object, abstain)."""

    in_favour = serializers.IntegerField(help_text="Ballots for (agree, under consensus).")
    against = serializers.IntegerField(help_text="Ballots against (object, under consensus).")
    abstain = serializers.IntegerField(help_text="Abstentions.")


SUBJECTS = [("position", "A version of a position"), ("terms", "Proposed terms of reference")]


class VoteSerializer(serializers.Serializer):
    id = _id("The vote's id.")
    group = _id("The leadership group that voted, by id.", source="group_id")
    ics = _id(ICS_HELP, source="group.ics_id")
    subject = serializers.SerializerMethodField(
        help_text=explained(SUBJECTS, "What was put to the vote.")
    )
    position = _id(
        "The position voted on, by id; null for a vote on terms of reference.",
        source="position_id",
        allow_null=True,
    )
    position_version = _id(
        "The number of the position's version voted on; null for terms of reference.",
        source="version.number",
        allow_null=True,
    )
    terms_proposal_version = _id(
        "For a vote on terms of reference, the number of the proposed version; else null.",
        source="terms_proposal.version",
        allow_null=True,
    )
    terms_version = _id(
        "The version of the terms of reference in force when the vote opened: its rules "
        "(quorum, decision rule, ballot) apply.",
        source="terms.version",
    )
    decision_rule = serializers.ChoiceField(
        source="terms.decision_rule",
        choices=TermsOfReference.DecisionRule.choices,
        help_text="How the vote is decided.",
    )
    round = serializers.IntegerField(help_text="1 for the first vote on a subject, then 2, ...")
    ballot = serializers.ChoiceField(
        choices=TermsOfReference.Ballot.choices,
        help_text="Named ballots may show counts by choice; secret ballots show participation "
        "only.",
    )
    state = serializers.ChoiceField(
        choices=Vote.State.choices, help_text="Whether it is still open."
    )
    opened_at = serializers.DateTimeField(help_text="When the chair opened it.")
    closes_at = serializers.DateTimeField(help_text="When it closes (or was due to).")
    closed_at = serializers.DateTimeField(
        allow_null=True, help_text="When it closed; null if open."
    )
    outcome = serializers.SerializerMethodField(
        help_text=explained(Vote.Outcome, "The result; null while the vote is open.")
    )
    eligible = serializers.IntegerField(
        source="eligible_count",
        help_text="Members eligible to vote when it opened, not counting those recused "
        "because they declared an interest.",
    )
    voted = serializers.IntegerField(
        source="voted_count", help_text="How many eligible members have voted."
    )
    quorum_needed = serializers.SerializerMethodField(
        help_text="Votes needed for the result to count; null while the vote is open."
    )
    results_visible = serializers.SerializerMethodField(
        help_text="Whether counts by choice can be shown: never for a secret ballot; for a "
        "named ballot once it closes, or while open if the group does not hide results "
        "until close."
    )
    tallies = serializers.SerializerMethodField(
        help_text="Ballots by choice when `results_visible`; otherwise null."
    )
    explanation = serializers.SerializerMethodField(
        help_text="How the result was reached, in a sentence (named ballots, once closed); "
        "otherwise null."
    )

    @extend_schema_field(serializers.ChoiceField(choices=SUBJECTS))
    def get_subject(self, vote: Vote) -> str:
        return "terms" if vote.terms_proposal_id else "position"

    @extend_schema_field(serializers.ChoiceField(choices=Vote.Outcome.choices, allow_null=True))
    def get_outcome(self, vote: Vote) -> str | None:
        return vote.outcome or None

    @extend_schema_field(serializers.IntegerField(allow_null=True))
    def get_quorum_needed(self, vote: Vote) -> int | None:
        return None if vote.is_open else vote.quorum_needed

    def get_results_visible(self, vote: Vote) -> bool:
        """The vote page's rule (groups.selectors.vote_page), except that a secret ballot's
        counts never show: across members they can say how each one voted."""
        if vote.is_secret:
            return False
        return not vote.is_open or not vote.results_hidden_until_close

    @extend_schema_field(TallySerializer(allow_null=True))
    def get_tallies(self, vote: Vote) -> dict[str, int] | None:
        if not self.get_results_visible(vote):
            return None
        if vote.is_open:
            counts = (vote.live_for, vote.live_against, vote.live_abstain)  # type: ignore[attr-defined]
        else:
            counts = (vote.in_favour, vote.against, vote.abstain)
        return dict(zip(("in_favour", "against", "abstain"), counts, strict=True))

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_explanation(self, vote: Vote) -> str | None:
        if vote.is_secret or vote.is_open:
            return None
        return vote.explanation


# --- Briefs and responses --------------------------------------------------------------------

BRIEF_STATES = list(STATE_LABELS.items())


class BriefSerializer(serializers.Serializer):
    id = _id("The brief's id.")
    board = _id("The board it went to, by id.", source="board_id")
    board_name = serializers.CharField(source="board.name", help_text="The board's name.")
    ics = _id(ICS_HELP, source="board.ics_id")
    position = _id("The agreed position, by id.", source="position_id")
    position_version = _id("The number of the version the group agreed.", source="version.number")
    title = serializers.CharField(source="version.title", help_text="The agreed version's title.")
    route = serializers.ChoiceField(
        choices=Brief.Route.choices,
        help_text="What the GP board representative did with it.",
    )
    route_reason = serializers.CharField(
        help_text="Why it was not tabled, when it was not; otherwise empty."
    )
    requested_meeting = _id(
        "The meeting it was tabled for, by id; null when not tabled.",
        source="requested_meeting_id",
        allow_null=True,
    )
    routed_at = serializers.DateTimeField(help_text="When the representative routed it.")
    response_due_on = serializers.DateField(
        allow_null=True, help_text="The date the board's response is due by (tabled briefs)."
    )
    account = serializers.CharField(
        help_text="The representative's own account of how it was used; empty until given."
    )
    account_at = serializers.DateTimeField(
        allow_null=True, help_text="When the account was recorded."
    )
    state = serializers.SerializerMethodField(
        help_text=explained(
            BRIEF_STATES, "Where the board's response stands (tabled briefs only; else null)."
        )
    )
    responses = serializers.SerializerMethodField(
        help_text="The board's responses to it, by id, oldest first (deferrals, then at "
        "most one final response)."
    )

    @extend_schema_field(serializers.ChoiceField(choices=BRIEF_STATES, allow_null=True))
    def get_state(self, brief: Brief) -> str | None:
        return brief_row(brief, self.context.get("today")).state or None

    @extend_schema_field(serializers.ListField(child=serializers.IntegerField()))
    def get_responses(self, brief: Brief) -> list[int]:
        return [response.pk for response in brief.responses.all()]


class BoardResponseSerializer(serializers.Serializer):
    id = _id("The response's id.")
    brief = _id("The brief responded to, by id.", source="brief_id")
    board = _id("The board that responded, by id.", source="brief.board_id")
    ics = _id(ICS_HELP, source="brief.board.ics_id")
    position = _id("The position responded to, by id.", source="brief.position_id")
    meeting = _id(
        "The meeting at which the board responded, by id; null if not at a meeting.",
        source="meeting_id",
        allow_null=True,
    )
    kind = serializers.ChoiceField(
        choices=BoardResponse.Kind.choices,
        help_text="What the board did.",
    )
    final = serializers.SerializerMethodField(
        help_text="False for a deferral (another response follows); true otherwise."
    )
    reasons = serializers.CharField(help_text="The board's reasons, as the secretary recorded.")
    recorded_at = serializers.DateTimeField(help_text="When the secretary recorded it.")

    def get_final(self, response: BoardResponse) -> bool:
        return response.kind != BoardResponse.Kind.DEFERRED


# --- Meetings and agendas --------------------------------------------------------------------


class MeetingSerializer(serializers.Serializer):
    id = _id("The meeting's id.")
    board = _id("The board whose meeting it is, by id.", source="board_id")
    board_name = serializers.CharField(source="board.name", help_text="The board's name.")
    ics = _id(ICS_HELP, source="board.ics_id")
    title = serializers.CharField(help_text="Such as 'Board meeting in public'.")
    starts_at = serializers.DateTimeField(help_text="When it starts.")
    ends_at = serializers.DateTimeField(allow_null=True, help_text="When it is due to end.")
    location = serializers.CharField(help_text="Where it is held; may be empty if online only.")
    online_url = serializers.CharField(help_text="The online joining link, if any.")
    state = serializers.ChoiceField(
        choices=Meeting.State.choices, help_text="Whether it goes ahead."
    )
    cancel_reason = serializers.CharField(help_text="Why it was cancelled; empty otherwise.")
    cancelled_at = serializers.DateTimeField(allow_null=True, help_text="When it was cancelled.")
    published_agenda = _id(
        "The number of the agenda version published now (see /api/agendas/?meeting=); "
        "null until one is published.",
        allow_null=True,
    )


PUBLISHED_STATES = [
    (AgendaVersion.State.PUBLISHED.value, "The version published now"),
    (AgendaVersion.State.SUPERSEDED.value, "Published once, replaced by a later version"),
]


class AgendaItemSerializer(serializers.Serializer):
    key = serializers.UUIDField(
        help_text="The item's key: the same item keeps it across agenda versions."
    )
    part = serializers.ChoiceField(
        choices=Part.choices,
        help_text="Whether the item is taken in public or in private.",
    )
    order = serializers.IntegerField(
        help_text="Its place in the order the secretary set (items are listed by part, then "
        "by this)."
    )
    title = serializers.CharField()
    duration_minutes = serializers.IntegerField(help_text="Time allowed, in minutes.")
    presenter = serializers.CharField(help_text="Who presents it; may be empty.")
    purpose = serializers.ChoiceField(
        choices=Purpose.choices, help_text="What the board is asked to do."
    )
    confidential_reason = serializers.CharField(
        help_text="Why it is taken in private (private items); empty for public items."
    )
    review_on = serializers.DateField(
        allow_null=True, help_text="When the reason for confidentiality is reviewed."
    )
    brief = _id(
        "The brief this item tables, by id: a primary care item. Null for other business.",
        source="brief_id",
        allow_null=True,
    )


class AgendaSerializer(serializers.Serializer):
    id = _id("The agenda version's id.")
    meeting = _id("The meeting it is for, by id.", source="meeting_id")
    board = _id("The board, by id.", source="meeting.board_id")
    ics = _id(ICS_HELP, source="meeting.board.ics_id")
    number = serializers.IntegerField(help_text="The version's number within its meeting.")
    state = serializers.ChoiceField(
        choices=PUBLISHED_STATES,
        help_text="Published versions only; drafts never appear.",
    )
    change_note = serializers.CharField(
        help_text="What changed since the version published before it; may be empty."
    )
    published_at = serializers.DateTimeField(help_text="When it was published.")
    items = AgendaItemSerializer(
        many=True, help_text="Its items: the public part first, then the private part."
    )


# --- The audit trail -------------------------------------------------------------------------


class AuditEventSerializer(serializers.Serializer):
    id = _id("The event's place in the hash chain: 1, 2, 3, ... with no gaps.")
    occurred_at = serializers.DateTimeField(help_text="When it happened.")
    actor = _id(
        "Who did it, by user id; null for the system (a scheduled job).",
        source="actor_id",
        allow_null=True,
    )
    actor_label = serializers.CharField(
        help_text="Who did it, by email address at the time; empty for the system."
    )
    role = serializers.CharField(
        help_text="The capacity they acted in, such as `group_chair`, `board_secretary` or "
        "`system`."
    )
    event = serializers.CharField(
        help_text="What happened: a stable dotted name such as `vote.closed` or "
        "`board.response_recorded`."
    )
    object_type = serializers.CharField(
        help_text="The kind of object it happened to, as `app.model` (such as `groups.vote`)."
    )
    object_id = serializers.CharField(help_text="The object's id.")
    ics = _id(ICS_HELP, source="ics_id")
    group = _id(
        "The leadership group the object belongs to, by id; null if none.",
        source="group_id",
        allow_null=True,
    )
    board = _id(
        "The board the object belongs to, by id; null if none.",
        source="board_id",
        allow_null=True,
    )
    payload = serializers.SerializerMethodField(
        help_text="The event's details, as recorded (see `withheld`)."
    )
    withheld = serializers.SerializerMethodField(
        help_text="Keys of the payload not shown, as on the vote's own page: a secret "
        "ballot's counts by choice (`for`, `against`, `abstain`), which could tell how "
        "people voted, and a named ballot's `choice`, `from` and `reason` while its vote is "
        "open and its group hides results until close. When any are withheld, `hash` cannot "
        "be recomputed from this payload."
    )
    prev_hash = serializers.CharField(help_text="The previous event's hash (SHA-256, hex).")
    hash = serializers.CharField(
        help_text="SHA-256 over this event's fields and `prev_hash`: editing or removing any "
        "event breaks the chain after it."
    )

    def _shown(self, event: AuditEvent) -> tuple[dict[str, Any], list[str]]:
        return shown_payload(event, self.context.get("votes", {}))

    @extend_schema_field(OpenApiTypes.OBJECT)
    def get_payload(self, event: AuditEvent) -> dict[str, Any]:
        return self._shown(event)[0]

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_withheld(self, event: AuditEvent) -> list[str]:
        return self._shown(event)[1]


# --- Query parameters ------------------------------------------------------------------------


def _ref(text: str) -> serializers.IntegerField:
    return serializers.IntegerField(required=False, min_value=1, max_value=MAX_ID, help_text=text)


class PositionFilters(serializers.Serializer):
    group = _ref("Only this leadership group's positions.")
    state = serializers.ChoiceField(
        required=False, choices=Position.State.choices, help_text="Only positions in this state."
    )


class VoteFilters(serializers.Serializer):
    group = _ref("Only this leadership group's votes.")
    position = _ref("Only votes on this position.")
    state = serializers.ChoiceField(
        required=False, choices=Vote.State.choices, help_text="Only open, or only closed, votes."
    )


class BriefFilters(serializers.Serializer):
    board = _ref("Only briefs to this board.")
    position = _ref("Only briefs of this position.")


class ResponseFilters(serializers.Serializer):
    board = _ref("Only this board's responses.")
    brief = _ref("Only responses to this brief.")


class MeetingFilters(serializers.Serializer):
    board = _ref("Only this board's meetings.")


class AgendaFilters(serializers.Serializer):
    meeting = _ref("Only this meeting's agenda versions.")


class AuditFilters(serializers.Serializer):
    event = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=100,
        help_text="Only events of this name, such as `vote.closed`.",
    )
    object_type = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=100,
        help_text="Only events about this kind of object, such as `groups.position`.",
    )
    object_id = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=64,
        help_text="Only events about the object with this id (give `object_type` too).",
    )
    actor = _ref("Only events done by this person, by user id.")
