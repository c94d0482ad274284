"""The influence report's figures, each checked against data built here through the real
services, with the expected numbers worked out by hand in the comments.

The period is the NHS financial year 2024/25: 1 April 2024 to 31 March 2025, UK dates.
Both ends fall in British Summer Time, so an event at 00:30 on 1 April 2024 is 23:30 UTC
on 31 March: it counts by its UK date. Everything is done today through the services (which
insist on "now": a meeting must be upcoming to table for it, a deferral's new due date must
be in the future) and then moved to its date with .update().

ICS A's leadership group has four members: the GP lead (L), the chair (C), the GP
representative (R) and Dr Nia Nonvoter (N), who never votes. Its terms of reference: quorum
50% of eligible members, simple majority, named ballots. ICS A's positions:

    A  drafted 1 Apr 2024 00:30 (first day); agreed 11 Apr (L, C, R of 4); tabled 21 Apr for
       M1; deferred 1 Jun; adopted 1 Jul 2024, due by 30 Jun (late)
    B  drafted 10 Apr 2024; R declared an interest (recused); agreed 30 Apr (L, C of 3);
       tabled 5 May for M4; noted 20 Jun 2024, due by 20 Jun (on time: the due date itself)
    C  drafted 31 Mar 2025 23:30 (last day); still a draft
    D  drafted 1 Apr 2025 00:30 (the day after): outside
    E  drafted 15 Mar 2024 (before); agreed 31 Mar 2025 23:59 (last day; L, C, R of 4);
       tabled 1 Apr 2025 00:30 (the day after) for M5
    F  drafted 1 Sep 2024; vote closed 10 Sep, inquorate (L of 4; 2 needed)
    G  drafted 10 Jan 2024, agreed 20 Jan 2024, tabled 1 Feb 2024 for M2 (all before);
       declined 1 Apr 2024 00:30 (first day), due by 31 Mar 2024 (late)
    H  drafted 1 Jul 2024; agreed 15 Jul (L, C of 4); tabled 1 Aug for M3; deferred
       1 Apr 2025 00:30 (the day after)
    T  proposed terms of reference, put to a vote that closed 1 Oct 2024, inquorate (C of 4)

ICS A's board meetings:

    M1 21 May 2024: published agenda with A's brief (a primary care item)
    M2 10 Jul 2024: published agenda with a finance item only
    M3  1 Sep 2024: published agenda with H's brief, then cancelled
    M4 31 Mar 2025 23:00 (last day): B's brief on the draft agenda, never published
    M5  1 Apr 2025 00:30 (the day after): published agenda with E's brief

ICS B has one of everything in the same period, chosen so that every figure of ICS A would
change if any of it leaked in (see `test_ics_b_counts_only_its_own`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from boards.models import BoardResponse, BoardSeat, Brief, Meeting
from boards.services import briefs as brief_services
from boards.services import meetings as meeting_services
from engagement import reports
from engagement.reports import Period
from groups import services as group_services
from groups.models import GroupMembership, Position, Vote
from tests import factories as f

pytestmark = pytest.mark.django_db

LONDON = ZoneInfo("Europe/London")
FY_2024 = Period(dt.date(2024, 4, 1), dt.date(2025, 3, 31))


def at(year: int, month: int, day: int, hour: int = 12, minute: int = 0) -> dt.datetime:
    """A moment in UK time."""
    return dt.datetime(year, month, day, hour, minute, tzinfo=LONDON)


def ahead(days: int) -> dt.datetime:
    return timezone.now() + dt.timedelta(days=days)


# --- Building through the services, then moving to the right dates ------------------------


def draft(group, author, title: str, created: dt.datetime) -> Position:
    position = group_services.position_draft(
        group=group, actor=author, title=title, summary=f"{title}.", ask=f"Do {title}."
    )
    Position.objects.filter(pk=position.pk).update(created_at=created)
    return position


def close_vote(vote: Vote, voters, closed: dt.datetime, choice: str = "for") -> Vote:
    """Each voter casts a ballot, the deadline passes and the deadline job closes it."""
    for voter in voters:
        group_services.vote_cast(vote=vote, voter=voter, choice=choice)
    Vote.objects.filter(pk=vote.pk).update(closes_at=timezone.now() - dt.timedelta(minutes=1))
    vote = group_services.vote_close(vote=vote)
    Vote.objects.filter(pk=vote.pk).update(closed_at=closed)
    return vote


def vote_on(position: Position, chair, voters, closed: dt.datetime) -> Vote:
    vote = group_services.vote_open(position=position, actor=chair)
    vote = close_vote(vote, voters, closed)
    position.refresh_from_db()
    return vote


def schedule(board, secretary, title: str) -> Meeting:
    return meeting_services.meeting_schedule(
        board=board, title=title, starts_at=ahead(30), location="Civic Centre", actor=secretary
    )


def table(board, rep, position: Position, meeting: Meeting, routed: dt.datetime) -> Brief:
    brief = brief_services.brief_table(board=board, position=position, meeting=meeting, actor=rep)
    Brief.objects.filter(pk=brief.pk).update(routed_at=routed)
    return brief


def respond(brief: Brief, secretary, kind: str, recorded: dt.datetime) -> BoardResponse:
    due_on = timezone.localdate() + dt.timedelta(days=10) if kind == "deferred" else None
    response = brief_services.response_record(
        brief=brief, kind=kind, reasons="As minuted.", due_on=due_on, actor=secretary
    )
    BoardResponse.objects.filter(pk=response.pk).update(recorded_at=recorded)
    return response


def due(brief: Brief, on: dt.date) -> None:
    Brief.objects.filter(pk=brief.pk).update(response_due_on=on)


def publish(meeting: Meeting, secretary, *, brief: Brief | None = None) -> None:
    if brief is None:
        meeting_services.agenda_item_add(
            meeting=meeting,
            title="Finance report",
            duration_minutes=20,
            purpose="information",
            presenter="CFO",
            actor=secretary,
        )
    else:
        meeting_services.agenda_add_brief(meeting=meeting, brief=brief, actor=secretary)
    meeting_services.agenda_publish(meeting=meeting, actor=secretary)


def held_on(meeting: Meeting, starts: dt.datetime) -> None:
    Meeting.objects.filter(pk=meeting.pk).update(starts_at=starts, ends_at=None)


@dataclass
class Scene:
    cast: object
    positions: dict[str, Position]
    briefs: dict[str, Brief]


def build_ics_a(cast) -> Scene:
    lead, chair, rep, secretary = cast.gp_lead, cast.chair, cast.gp_rep, cast.secretary
    nonvoter = f.UserFactory(email="nia@a.example.nhs.uk", full_name="Dr Nia Nonvoter")
    f.GroupMembershipFactory(group=cast.group, user=nonvoter)
    group, board = cast.group, cast.board
    voters = [lead, chair, rep]

    m1, m2, m3, m4, m5 = (schedule(board, secretary, f"Meeting {n}") for n in range(1, 6))

    a = draft(group, lead, "A", at(2024, 4, 1, 0, 30))
    vote_on(a, chair, voters, at(2024, 4, 11))
    brief_a = table(board, rep, a, m1, at(2024, 4, 21))

    b = draft(group, lead, "B", at(2024, 4, 10))
    group_services.declaration_add(
        position=b, member=rep, actor=rep, category="financial", description="Partner at a hub."
    )
    vote_on(b, chair, [lead, chair], at(2024, 4, 30))
    brief_b = table(board, rep, b, m4, at(2024, 5, 5))

    c = draft(group, lead, "C", at(2025, 3, 31, 23, 30))
    d = draft(group, lead, "D", at(2025, 4, 1, 0, 30))

    e = draft(group, lead, "E", at(2024, 3, 15))
    vote_on(e, chair, voters, at(2025, 3, 31, 23, 59))
    brief_e = table(board, rep, e, m5, at(2025, 4, 1, 0, 30))

    f_ = draft(group, lead, "F", at(2024, 9, 1))
    vote_on(f_, chair, [lead], at(2024, 9, 10))

    g = draft(group, lead, "G", at(2024, 1, 10))
    vote_on(g, chair, voters, at(2024, 1, 20))
    brief_g = table(board, rep, g, m2, at(2024, 2, 1))

    h = draft(group, lead, "H", at(2024, 7, 1))
    vote_on(h, chair, [lead, chair], at(2024, 7, 15))
    brief_h = table(board, rep, h, m3, at(2024, 8, 1))

    proposal = group_services.terms_propose(group=group, actor=chair, purpose="A sharper purpose.")
    terms_vote = group_services.vote_open_on_terms(proposal=proposal, actor=chair)
    close_vote(terms_vote, [chair], at(2024, 10, 1))

    # Agendas, while the meetings are still upcoming; then M3 is cancelled.
    publish(m1, secretary, brief=brief_a)
    publish(m2, secretary)
    publish(m3, secretary, brief=brief_h)
    meeting_services.meeting_cancel(meeting=m3, reason="Not quorate.", actor=secretary)
    meeting_services.agenda_add_brief(meeting=m4, brief=brief_b, actor=secretary)
    publish(m5, secretary, brief=brief_e)
    for meeting, starts in (
        (m1, at(2024, 5, 21, 10)),
        (m2, at(2024, 7, 10, 10)),
        (m3, at(2024, 9, 1, 10)),
        (m4, at(2025, 3, 31, 23)),
        (m5, at(2025, 4, 1, 0, 30)),
    ):
        held_on(meeting, starts)

    respond(brief_a, secretary, "deferred", at(2024, 6, 1))
    respond(brief_a, secretary, "adopted", at(2024, 7, 1))
    due(brief_a, dt.date(2024, 6, 30))
    respond(brief_b, secretary, "noted", at(2024, 6, 20))
    due(brief_b, dt.date(2024, 6, 20))
    respond(brief_g, secretary, "declined", at(2024, 4, 1, 0, 30))
    due(brief_g, dt.date(2024, 3, 31))
    respond(brief_h, secretary, "deferred", at(2025, 4, 1, 0, 30))

    positions = {"A": a, "B": b, "C": c, "D": d, "E": e, "F": f_, "G": g, "H": h}
    briefs = {"A": brief_a, "B": brief_b, "E": brief_e, "G": brief_g, "H": brief_h}
    return Scene(cast, positions, briefs)


def build_ics_b(cast) -> None:
    """ICS B, all inside the period: X drafted 2 Apr 2024; Ben recused; agreed 30 Mar 2025
    (the chair and the outsider, 2 of 2 eligible); tabled 31 Mar 09:00; deferred 10:00 and
    adopted with changes 11:00 the same day, due by 1 May 2025 (on time). Its meeting MX on
    15 May 2024 has a published agenda with a finance item only."""
    group, board = cast.other_group, cast.other_board
    chair = f.UserFactory(email="chair@b.example.nhs.uk", full_name="Bex Chair")
    conflicted = f.UserFactory(email="ben@b.example.nhs.uk", full_name="Ben Conflicted")
    rep = f.UserFactory(email="rep@b.example.nhs.uk", full_name="Bea Rep")
    secretary = f.UserFactory(email="secretary@b.example.nhs.uk", full_name="Otis Othersec")
    f.GroupMembershipFactory(group=group, user=chair, role=GroupMembership.Role.CHAIR)
    f.GroupMembershipFactory(group=group, user=conflicted)
    f.BoardSeatFactory(board=board, user=rep, role=BoardSeat.Role.GP_REPRESENTATIVE)
    f.BoardSeatFactory(board=board, user=secretary, role=BoardSeat.Role.SECRETARY)

    mx = schedule(board, secretary, "Meeting X")
    x = draft(group, cast.outsider, "X", at(2024, 4, 2))
    group_services.declaration_add(
        position=x, member=conflicted, actor=conflicted, category="indirect", description="Kin."
    )
    vote_on(x, chair, [chair, cast.outsider], at(2025, 3, 30))
    brief_x = table(board, rep, x, mx, at(2025, 3, 31, 9))
    publish(mx, secretary)
    held_on(mx, at(2024, 5, 15, 10))
    respond(brief_x, secretary, "deferred", at(2025, 3, 31, 10))
    respond(brief_x, secretary, "adopted_with_changes", at(2025, 3, 31, 11))
    due(brief_x, dt.date(2025, 5, 1))


@pytest.fixture
def scene(cast) -> Scene:
    built = build_ics_a(cast)
    build_ics_b(cast)
    return built


@pytest.fixture
def report(scene):
    return reports.influence_report(ics=scene.cast.ics, period=FY_2024)


# --- ICS A's figures -------------------------------------------------------------------------


def test_positions_through_the_stages(report):
    # Drafted 5: A (1 Apr 2024 00:30, the first day), B, F, H, and C (31 Mar 2025 23:30,
    # the last day). Not D (1 Apr 2025, the day after), nor E and G (drafted before).
    assert report.drafted.value == 5
    # Agreed 4: A (11 Apr), B (30 Apr), H (15 Jul) and E (31 Mar 2025 23:59, the last day).
    # Not F (inquorate), nor G (agreed in January 2024).
    assert report.agreed.value == 4
    # Tabled 3: A (21 Apr), B (5 May), H (1 Aug). Not E (1 Apr 2025), nor G (Feb 2024).
    assert report.tabled.value == 3
    # Responded to 3: A adopted (1 Jul), B noted (20 Jun), G declined (1 Apr 2024 00:30).
    # A's deferral is not final; H's deferral is the day after the period anyway.
    assert report.responded.value == 3


def test_responses_by_outcome(report):
    # A deferred (1 Jun) then adopted (1 Jul); B noted; G declined (the first day). H's
    # deferral on 1 Apr 2025 is the day after. Nothing adopted with changes (ICS B's is).
    assert {figure.key: figure.value for figure in report.outcomes} == {
        "responses_adopted": 1,
        "responses_adopted_with_changes": 0,
        "responses_noted": 1,
        "responses_deferred": 1,
        "responses_declined": 1,
    }


def test_median_days_per_stage(report):
    # Draft to agreed, over A, B, E, H: A 1 Apr -> 11 Apr = 10; B 10 Apr -> 30 Apr = 20;
    # E 15 Mar 2024 -> 31 Mar 2025 = 365 + 16 = 381; H 1 Jul -> 15 Jul = 14.
    # Sorted 10, 14, 20, 381: median (14 + 20) / 2 = 17.
    assert report.draft_to_agreed.value == 17
    # Agreed to tabled, over A, B, H: A 11 Apr -> 21 Apr = 10; B 30 Apr -> 5 May = 5;
    # H 15 Jul -> 1 Aug = 17. Sorted 5, 10, 17: median 10.
    assert report.agreed_to_tabled.value == 10
    # Tabled to final response, over A, B, G: A 21 Apr -> 1 Jul = 9 + 31 + 30 + 1 = 71;
    # B 5 May -> 20 Jun = 26 + 20 = 46; G 1 Feb -> 1 Apr 2024 = 29 (leap year) + 31 = 60.
    # Sorted 46, 60, 71: median 60.
    assert report.tabled_to_response.value == 60
    assert report.draft_to_agreed.display == "17 days"


def test_share_of_responses_on_time(report):
    # Final responses A, B, G. A on 1 Jul, due 30 Jun: late. B on 20 Jun, due 20 Jun: on
    # time. G on 1 Apr 2024, due 31 Mar 2024: late. 1 of 3.
    assert (report.on_time.value, report.on_time.out_of) == (1, 3)
    assert report.on_time.display == "1 of 3 (33.3%)"


def test_share_of_meetings_with_a_primary_care_item(report):
    # Held: M1, M2 and M4 (31 Mar 2025 23:00, the last day). Not M3 (cancelled), nor M5
    # (the day after). With a primary care item on the published agenda: M1 only (M4's is
    # on a draft). 1 of 3.
    figure = report.meetings_with_primary_care
    assert (figure.value, figure.out_of) == (1, 3)


def test_participation(report):
    # Votes closed: A, B, E (31 Mar 2025 23:59), F, H and the terms vote T = 6. Not G's.
    assert report.votes_closed.value == 6
    # Eligible: A 4, B 3 (R recused), E 4, F 4, H 4, T 4 = 23.
    # Ballots: A 3, B 2, E 3, F 1, H 2, T 1 = 12. 12 / 23 = 52.17...%.
    assert (report.turnout.value, report.turnout.out_of) == (12, 23)
    assert report.turnout.display == "12 of 23 (52.2%)"
    # Voted at least once: L, C, R; eligible at least once: L, C, R, N.
    assert (report.members_voted.value, report.members_voted.out_of) == (3, 4)
    # R on B.
    assert report.recusals.value == 1
    # Consultations with practices and PCNs arrive with issue 8: "not recorded", not 0.
    assert report.practices_consulted.value is None
    assert report.practices_consulted.display == "Not recorded"
    assert report.pcns_consulted.display == "Not recorded"


def test_ics_b_counts_only_its_own(scene):
    """ICS B's report has only X: had any of ICS A's rows leaked in, every figure below
    would differ; and ICS A's figures above would each differ had X leaked the other way
    (drafted 6, agreed 5, tabled 4, responded 4, one adopted with changes, two deferrals,
    medians 20 / 7.5 / 53, on time 2 of 4, meetings 1 of 4, seven votes, 2 recusals)."""
    found = reports.influence_report(ics=scene.cast.other_ics, period=FY_2024)
    assert [figure.value for figure in found.stages] == [1, 1, 1, 1]
    assert [figure.value for figure in found.outcomes] == [0, 1, 0, 1, 0]
    # X: 2 Apr 2024 -> 30 Mar 2025 = 365 - 3 = 362; 30 Mar -> 31 Mar = 1; tabled and
    # responded the same day = 0.
    assert [figure.value for figure in found.medians] == [362, 1, 0]
    assert (found.on_time.value, found.on_time.out_of) == (1, 1)
    assert (
        found.meetings_with_primary_care.value,
        found.meetings_with_primary_care.out_of,
    ) == (0, 1)
    assert found.votes_closed.value == 1
    assert (found.turnout.value, found.turnout.out_of) == (2, 2)
    assert (found.members_voted.value, found.members_voted.out_of) == (2, 2)
    assert found.recusals.value == 1


def test_the_day_after_is_the_next_period_and_an_empty_period_says_so(scene):
    """1 April 2025 alone: D drafted at 00:30, E tabled at 00:30, H deferred at 00:30 and
    M5 held at 00:30 (with E's brief on its published agenda) all count there. 2020 has
    nothing at all."""
    found = reports.influence_report(
        ics=scene.cast.ics, period=Period(dt.date(2025, 4, 1), dt.date(2025, 4, 1))
    )
    assert [figure.value for figure in found.stages] == [1, 0, 1, 0]
    assert found.outcomes[3].value == 1  # deferred
    # E: agreed 31 Mar 2025, tabled 1 Apr = 1 day.
    assert found.agreed_to_tabled.value == 1
    assert (
        found.meetings_with_primary_care.value,
        found.meetings_with_primary_care.out_of,
    ) == (1, 1)

    found = reports.influence_report(
        ics=scene.cast.ics, period=Period(dt.date(2020, 1, 1), dt.date(2020, 12, 31))
    )
    assert [figure.value for figure in found.stages] == [0, 0, 0, 0]
    assert [figure.display for figure in found.medians] == ["No data"] * 3
    assert found.on_time.display == "No final responses"
    assert found.meetings_with_primary_care.display == "No meetings held"
    assert found.turnout.display == "No votes closed"


def test_a_meeting_yet_to_happen_is_not_held(cast, agreed):
    """A meeting later this week with a primary care item already published is not counted
    until it has started."""
    upcoming = schedule(cast.board, cast.secretary, "Soon")
    brief = table(cast.board, cast.gp_rep, agreed, upcoming, timezone.now())
    publish(upcoming, cast.secretary, brief=brief)
    today = timezone.localdate()
    found = reports.influence_report(
        ics=cast.ics, period=Period(today, today + dt.timedelta(days=60))
    )
    assert found.meetings_with_primary_care.out_of == 0
    assert found.tabled.value == 1


# --- Periods and figures, without the database -----------------------------------------------


@pytest.mark.parametrize(
    ("day", "start", "end"),
    [
        (dt.date(2025, 4, 1), dt.date(2025, 4, 1), dt.date(2026, 3, 31)),
        (dt.date(2026, 3, 31), dt.date(2025, 4, 1), dt.date(2026, 3, 31)),
        (dt.date(2026, 1, 15), dt.date(2025, 4, 1), dt.date(2026, 3, 31)),
    ],
)
def test_financial_year(day, start, end):
    assert reports.financial_year(day) == Period(start, end)


def test_presets():
    found = dict(reports.presets(dt.date(2026, 2, 10)))
    assert found == {
        "This financial year": Period(dt.date(2025, 4, 1), dt.date(2026, 3, 31)),
        "Last financial year": Period(dt.date(2024, 4, 1), dt.date(2025, 3, 31)),
        "This calendar year": Period(dt.date(2026, 1, 1), dt.date(2026, 12, 31)),
    }


def test_period_bounds_are_uk_midnights():
    lower, upper = FY_2024.bounds()
    # Both in British Summer Time: 23:00 UTC the evening before.
    assert lower.astimezone(dt.UTC) == dt.datetime(2024, 3, 31, 23, tzinfo=dt.UTC)
    assert upper.astimezone(dt.UTC) == dt.datetime(2025, 3, 31, 23, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("figure", "display", "percent"),
    [
        (reports.Figure("k", "K", "", 2, out_of=3), "2 of 3 (66.7%)", "66.7"),
        (reports.Figure("k", "K", "", 1, out_of=8), "1 of 8 (12.5%)", "12.5"),
        (reports.Figure("k", "K", "", 7.5, unit="days"), "7.5 days", ""),
        (reports.Figure("k", "K", "", 1, unit="days"), "1 day", ""),
        (reports.Figure("k", "K", "", None, empty="Not recorded"), "Not recorded", ""),
    ],
)
def test_figure_display(figure, display, percent):
    assert figure.display == display
    assert figure.percent_text == percent
