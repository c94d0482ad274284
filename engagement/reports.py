"""The influence report: what one ICS's primary care told its boards in a period, who took
part, what the boards did with it and how long it took.

Pure selectors: every figure is read from the rows the services write, scoped to the ICS's
own leadership groups and boards, for a period of UK dates (an event counts when its UK
date is on or between the two dates). Counts are aggregated in the database; medians are
taken in Python over one values_list each. The whole report is a fixed number of queries,
however much data there is (tests/engagement/test_reports_views.py pins it).

Each figure carries its definition, shown beside it on the page and in the CSV, so that
the number and what it counts cannot drift apart.
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, Exists, OuterRef, Q, Subquery
from django.utils import timezone

from boards.models import AgendaItem, AgendaVersion, BoardResponse, Brief, Meeting
from groups.models import ICS, Position, Vote, VoteEligibility, VoteParticipation

# --- Periods ---------------------------------------------------------------------------------

FIRST_YEAR = 2000
LAST_YEAR = 2099


@dataclass(frozen=True)
class Period:
    """From `start` to `end`, both UK dates and both included."""

    start: dt.date
    end: dt.date

    def bounds(self) -> tuple[dt.datetime, dt.datetime]:
        """The first moment of the first day and the first moment after the last day, UK
        time (so a clock change inside the period is handled), for `>= lower, < upper`."""
        zone = timezone.get_current_timezone()
        lower = dt.datetime.combine(self.start, dt.time.min, tzinfo=zone)
        upper = dt.datetime.combine(self.end + dt.timedelta(days=1), dt.time.min, tzinfo=zone)
        return lower, upper

    @property
    def label(self) -> str:
        return f"{self.start:%-d %B %Y} to {self.end:%-d %B %Y}"


def financial_year(day: dt.date) -> Period:
    """The NHS financial year (1 April to 31 March) that `day` falls in."""
    first = day.year if day.month >= 4 else day.year - 1
    return Period(dt.date(first, 4, 1), dt.date(first + 1, 3, 31))


def calendar_year(day: dt.date) -> Period:
    return Period(dt.date(day.year, 1, 1), dt.date(day.year, 12, 31))


def financial_years(today: dt.date, count: int) -> list[Period]:
    """This financial year and the `count - 1` before it, newest first."""
    years = [financial_year(today)]
    while len(years) < count:
        years.append(financial_year(years[-1].start - dt.timedelta(days=1)))
    return years


def presets(today: dt.date) -> list[tuple[str, Period]]:
    """The periods offered as links, the default first."""
    this_year, last_year = financial_years(today, 2)
    return [
        ("This financial year", this_year),
        ("Last financial year", last_year),
        ("This calendar year", calendar_year(today)),
    ]


def default_period(today: dt.date) -> Period:
    return financial_year(today)


# --- Figures ---------------------------------------------------------------------------------


def _number(value: float) -> str:
    """12 or 12.5: whole numbers without a decimal point, others to one place."""
    rounded = Decimal(str(value)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    return f"{rounded:f}".removesuffix(".0")


@dataclass(frozen=True)
class Figure:
    """One number of the report with its definition. A share has `out_of`; a figure with
    no value shows `empty` ("No data", "Not recorded") instead."""

    key: str
    label: str
    definition: str
    value: int | float | None
    out_of: int | None = None
    unit: str = ""
    empty: str = "No data"
    title: str = ""  # the figure's name standing alone, where `label` is short for a chart

    @property
    def name(self) -> str:
        return self.title or self.label

    @property
    def percent(self) -> float | None:
        if self.out_of is None or not self.out_of or self.value is None:
            return None
        return 100 * self.value / self.out_of

    @property
    def number(self) -> str:
        """The value alone, as the CSV gives it: "" when there is none."""
        return "" if self.value is None else _number(self.value)

    @property
    def percent_text(self) -> str:
        return "" if self.percent is None else _number(self.percent)

    @property
    def display(self) -> str:
        """As the page shows it: "3", "17.5 days", "1 of 3 (33.3%)", "No data"."""
        if self.value is None:
            return self.empty
        text = _number(self.value)
        if self.out_of is not None:
            share = f" ({self.percent_text}%)" if self.percent is not None else ""
            return f"{text} of {self.out_of}{share}"
        if self.unit:
            unit = self.unit.removesuffix("s") if self.value == 1 else self.unit
            return f"{text} {unit}"
        return text


@dataclass(frozen=True)
class Report:
    ics: ICS
    period: Period
    drafted: Figure
    agreed: Figure
    tabled: Figure
    responded: Figure
    outcomes: tuple[Figure, ...]
    draft_to_agreed: Figure
    agreed_to_tabled: Figure
    tabled_to_response: Figure
    on_time: Figure
    meetings_with_primary_care: Figure
    votes_closed: Figure
    turnout: Figure
    members_voted: Figure
    recusals: Figure
    practices_consulted: Figure
    pcns_consulted: Figure
    learning: tuple[Figure, ...] = ()  # the learning reviews section, see learning_reviews()

    @property
    def stages(self) -> tuple[Figure, ...]:
        return (self.drafted, self.agreed, self.tabled, self.responded)

    @property
    def medians(self) -> tuple[Figure, ...]:
        return (self.draft_to_agreed, self.agreed_to_tabled, self.tabled_to_response)

    @property
    def participation(self) -> tuple[Figure, ...]:
        return (
            self.votes_closed,
            self.turnout,
            self.members_voted,
            self.recusals,
            self.practices_consulted,
            self.pcns_consulted,
        )

    def figures(self) -> Iterator[Figure]:
        """Every figure, in the order of the page (and of the CSV)."""
        yield from self.stages
        yield from self.outcomes
        yield self.on_time
        yield from self.medians
        yield self.meetings_with_primary_care
        yield from self.participation


# The definitions, as an auditor reads them. "In the period" always means: on a UK date
# from the first day to the last, both included.
DEFINITIONS = {
    "drafted": "Positions a leadership group of this ICS started in the period (the date of "
    "the first draft), whatever became of them.",
    "agreed": "Positions whose group's vote closed in the period with the outcome agreed.",
    "tabled": "Agreed positions the GP board representative tabled for a meeting of one of "
    "this ICS's boards in the period (the day they tabled it, not the meeting's date); a "
    "position tabled at two boards counts twice. Other routes are not counted.",
    "responded": "Tabled positions whose board recorded its final response (adopted, "
    "adopted with changes, noted or declined) in the period. A deferral is not final.",
    "outcomes": "Every response a board of this ICS recorded in the period, by outcome. A "
    "deferral is a response too, so a position deferred and then adopted counts once in each.",
    "on_time": "Of the final responses recorded in the period, those recorded on or before "
    "the date the response was due by when it was recorded (a deferral or a recorded change "
    "of due date moves that date).",
    "draft_to_agreed": "Over the positions agreed in the period: the median of the days from "
    "the first draft to the close of the vote that agreed it.",
    "agreed_to_tabled": "Over the positions tabled in the period: the median of the days from "
    "the vote that agreed it to the day the representative tabled it.",
    "tabled_to_response": "Over the final responses recorded in the period: the median of the "
    "days from tabling to the final response, any deferrals in between included.",
    "meetings_with_primary_care": "Of the meetings of this ICS's boards held in the period "
    "(started by now and not cancelled), those whose published agenda, as it stands, has an "
    "item for a tabled position, in public or in private.",
    "votes_closed": "Votes of this ICS's leadership groups that closed in the period, on "
    "positions and on terms of reference. The participation figures below are over these votes.",
    "turnout": "Ballots cast in those votes, over the members eligible to vote in them "
    "(recused members are not eligible). Secret ballots count who voted, never how.",
    "members_voted": "Different people who voted at least once in those votes, of the "
    "different people eligible in at least one of them.",
    "recusals": "Times a member was recused from one of those votes because they had "
    "declared an interest in the position.",
    "practices_consulted": "Different GP practices of this ICS consulted on a position in the "
    "period.",
    "pcns_consulted": "Different primary care networks of this ICS consulted on a position in "
    "the period.",
}

OUTCOME_KINDS = tuple(BoardResponse.Kind)


def _days(pairs: Iterable[tuple[dt.datetime | None, dt.datetime | None]]) -> list[int]:
    """Calendar days between two moments, by their UK dates."""
    return [
        (timezone.localdate(end) - timezone.localdate(start)).days
        for start, end in pairs
        if start is not None and end is not None
    ]


def _median(days: list[int]) -> float | None:
    return statistics.median(days) if days else None


# --- The report ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Consultations:
    """Practices and PCNs consulted in a period, once consultations are recorded."""

    practices: int
    pcns: int


def consultations(*, ics: ICS, period: Period) -> Consultations | None:
    """The seam for consultations with practices and PCNs (issue 8): None means "not
    recorded", which the report shows as such rather than as zero: so for an ICS that has
    never opened a consultation here. Otherwise the different practices and PCNs asked in
    consultations opened in the period (a PCN is asked when it or one of its practices is)."""
    from engagement.services.consultations import consulted_in

    lower, upper = period.bounds()
    consulted = consulted_in(ics_id=ics.pk, lower=lower, upper=upper)
    if consulted is None:
        return None
    return Consultations(practices=consulted[0], pcns=consulted[1])


@dataclass
class _Participation:
    votes: int = 0
    ballots: int = 0
    eligible: int = 0
    voters: int = 0
    eligible_people: int = 0
    recusals: int = 0


def _participation(ics: ICS, lower: dt.datetime, upper: dt.datetime) -> _Participation:
    """Two queries, over the votes of the ICS's groups that closed in the period. Every
    vote has a row of eligibility per member when it opened (recused ones too), so the
    votes are counted there."""
    votes = Vote.objects.filter(
        group__ics=ics, state=Vote.State.CLOSED, closed_at__gte=lower, closed_at__lt=upper
    )
    ballots = VoteParticipation.objects.filter(vote__in=votes).aggregate(
        cast=Count("pk"), people=Count("voter", distinct=True)
    )
    eligibility = VoteEligibility.objects.filter(vote__in=votes).aggregate(
        votes=Count("vote", distinct=True),
        eligible=Count("pk", filter=Q(recused=False)),
        people=Count("member", distinct=True, filter=Q(recused=False)),
        recused=Count("pk", filter=Q(recused=True)),
    )
    return _Participation(
        votes=eligibility["votes"],
        ballots=ballots["cast"],
        voters=ballots["people"],
        eligible=eligibility["eligible"],
        eligible_people=eligibility["people"],
        recusals=eligibility["recused"],
    )


def _meetings(ics: ICS, lower: dt.datetime, upper: dt.datetime) -> tuple[int, int]:
    """Meetings held in the period, and those with a primary care item on their published
    agenda: one query."""
    primary_care = AgendaItem.objects.filter(
        version__meeting=OuterRef("pk"),
        version__state=AgendaVersion.State.PUBLISHED,
        brief__isnull=False,
    )
    held = Meeting.objects.filter(
        board__ics=ics,
        state=Meeting.State.SCHEDULED,
        starts_at__gte=lower,
        starts_at__lt=upper,
        starts_at__lte=timezone.now(),
    )
    totals = held.annotate(primary_care=Exists(primary_care)).aggregate(
        held=Count("pk"), with_item=Count("pk", filter=Q(primary_care=True))
    )
    return totals["held"], totals["with_item"]


def influence_report(*, ics: ICS, period: Period) -> Report:
    """The report for one ICS and period: eight queries, whatever the amount of data."""
    lower, upper = period.bounds()
    d = DEFINITIONS

    drafted = Position.objects.filter(
        group__ics=ics, created_at__gte=lower, created_at__lt=upper
    ).count()

    # A position is agreed once at most (agreed is final), by the close of one vote.
    agreed_rows = list(
        Vote.objects.filter(
            group__ics=ics,
            position__isnull=False,
            outcome=Vote.Outcome.AGREED,
            closed_at__gte=lower,
            closed_at__lt=upper,
        ).values_list("position__created_at", "closed_at")
    )

    agreed_at = Vote.objects.filter(
        position=OuterRef("position"), outcome=Vote.Outcome.AGREED
    ).values("closed_at")[:1]
    tabled_rows = list(
        Brief.objects.filter(
            board__ics=ics, route=Brief.Route.TABLED, routed_at__gte=lower, routed_at__lt=upper
        )
        .annotate(agreed_at=Subquery(agreed_at))
        .values_list("agreed_at", "routed_at")
    )

    responses = BoardResponse.objects.filter(
        brief__board__ics=ics, recorded_at__gte=lower, recorded_at__lt=upper
    )
    by_kind = dict(responses.values_list("kind").annotate(n=Count("pk")).order_by())
    final_rows = list(
        responses.exclude(kind=BoardResponse.Kind.DEFERRED).values_list(
            "brief__routed_at", "recorded_at", "brief__response_due_on"
        )
    )
    # Once a final response is recorded the brief is closed, so its due date is the one
    # that was in force when the response was recorded.
    with_due = [(at, due) for _, at, due in final_rows if due is not None]
    on_time = sum(1 for at, due in with_due if timezone.localdate(at) <= due)

    held, with_item = _meetings(ics, lower, upper)
    votes = _participation(ics, lower, upper)
    consulted = consultations(ics=ics, period=period)

    def count(key: str, label: str, value: int, title: str = "") -> Figure:
        return Figure(key, label, d[key], value, title=title)

    def median(key: str, label: str, days: list[int]) -> Figure:
        return Figure(
            key, label, d[key], _median(days), unit="days", title=f"Median days, {label.lower()}"
        )

    return Report(
        ics=ics,
        period=period,
        drafted=count("drafted", "Drafted", drafted, "Positions drafted"),
        agreed=count("agreed", "Agreed", len(agreed_rows), "Positions agreed"),
        tabled=count("tabled", "Tabled", len(tabled_rows), "Positions tabled"),
        responded=count("responded", "Responded to", len(final_rows), "Positions responded to"),
        outcomes=tuple(
            Figure(
                f"responses_{kind.value}",
                kind.label,
                d["outcomes"],
                by_kind.get(kind, 0),
                title=f"Responses: {kind.label.lower()}",
            )
            for kind in OUTCOME_KINDS
        ),
        draft_to_agreed=median("draft_to_agreed", "Draft to agreed", _days(agreed_rows)),
        agreed_to_tabled=median("agreed_to_tabled", "Agreed to tabled", _days(tabled_rows)),
        tabled_to_response=median(
            "tabled_to_response",
            "Tabled to final response",
            _days((tabled, at) for tabled, at, _ in final_rows),
        ),
        on_time=Figure(
            "on_time",
            "Final responses on time",
            d["on_time"],
            on_time if with_due else None,
            out_of=len(with_due),
            empty="No final responses",
        ),
        meetings_with_primary_care=Figure(
            "meetings_with_primary_care",
            "Board meetings with a primary care item",
            d["meetings_with_primary_care"],
            with_item if held else None,
            out_of=held,
            empty="No meetings held",
        ),
        votes_closed=count("votes_closed", "Votes closed", votes.votes),
        turnout=Figure(
            "turnout",
            "Turnout (ballots cast of eligible voters)",
            d["turnout"],
            votes.ballots if votes.eligible else None,
            out_of=votes.eligible,
            empty="No votes closed",
        ),
        members_voted=Figure(
            "members_voted",
            "Members who voted",
            d["members_voted"],
            votes.voters if votes.eligible_people else None,
            out_of=votes.eligible_people,
            empty="No votes closed",
        ),
        recusals=count("recusals", "Recusals", votes.recusals),
        practices_consulted=Figure(
            "practices_consulted",
            "GP practices consulted",
            d["practices_consulted"],
            consulted.practices if consulted else None,
            empty="Not recorded",
        ),
        pcns_consulted=Figure(
            "pcns_consulted",
            "PCNs consulted",
            d["pcns_consulted"],
            consulted.pcns if consulted else None,
            empty="Not recorded",
        ),
        learning=learning_reviews(ics=ics, period=period),
    )


# --- Learning reviews ------------------------------------------------------------------------

LEARNING_DEFINITIONS = {
    "learning_due": "Learning reviews of this ICS's agreed positions and board actions whose due "
    "date fell in the period, recorded or not. Cancelled reviews are not counted; a review "
    "found too early to tell counts again on its new due date.",
    "learning_overdue": "Of the reviews due in the period, those whose due date has passed and "
    "that are still not recorded today.",
    "learning_done": "Learning reviews recorded in the period, whenever they were due, "
    "“too early to tell” included.",
    "learning_outcomes": "The learning reviews recorded in the period, by what they found.",
}


def learning_reviews(*, ics: ICS, period: Period) -> tuple[Figure, ...]:
    """The learning reviews section: one query, whatever the amount of data."""
    from engagement.models.learning import LearningReview

    lower, upper = period.bounds()
    state, outcomes = LearningReview.State, LearningReview.Outcome
    due = Q(due_on__gte=period.start, due_on__lte=period.end) & ~Q(state=state.CANCELLED)
    overdue = due & Q(state=state.OPEN, due_on__lt=timezone.localdate())
    done = Q(state=state.DONE, recorded_at__gte=lower, recorded_at__lt=upper)
    totals = LearningReview.objects.filter(ics=ics).aggregate(
        due=Count("pk", filter=due),
        overdue=Count("pk", filter=overdue),
        done=Count("pk", filter=done),
        **{kind.value: Count("pk", filter=done & Q(outcome=kind.value)) for kind in outcomes},
    )
    d = LEARNING_DEFINITIONS
    return (
        Figure("learning_due", "Learning reviews due", d["learning_due"], totals["due"]),
        Figure(
            "learning_overdue",
            "Overdue and not recorded",
            d["learning_overdue"],
            totals["overdue"] if totals["due"] else None,
            out_of=totals["due"],
            empty="No reviews due",
            title="Learning reviews overdue and not recorded",
        ),
        Figure("learning_done", "Learning reviews recorded", d["learning_done"], totals["done"]),
        *(
            Figure(
                f"learning_{kind.value}",
                kind.label,
                d["learning_outcomes"],
                totals[kind.value],
                title=f"Learning reviews: {kind.label.lower()}",
            )
            for kind in outcomes
        ),
    )
