"""The influence report's page and CSV through the client: who may see them, the period form
and its errors, the figures as a reviewer reads them (the scene and its hand-worked numbers
are in test_reports.py), the charts' accessible markup, the CSV, and a query count that
stays flat as the data grows."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from engagement import reports
from engagement.reports import Period
from engagement.views.reports import CSV_HEADER, period_query
from tests.engagement.test_reports import (
    FY_2024,
    at,
    close_vote,
    draft,
    held_on,
    publish,
    respond,
    schedule,
    table,
)
from tests.engagement.test_reports import scene as scene
from tests.helpers import page, sign_in, title

pytestmark = pytest.mark.django_db

# Measured: the report's own 10 (drafted, agreed, tabled, outcomes, final responses,
# meetings, ballots, eligibility, practices and PCNs consulted, learning reviews), 7 for the
# session, the person, their authenticator, their roles (three) and the ICS, and 3 for the
# session's save.
MAX_QUERIES = 20


def report_url(ics, period: Period | None = None, name: str = "engagement:report") -> str:
    base = reverse(name, args=[ics.pk])
    return f"{base}?{period_query(period)}" if period else base


def _as(client, person):
    client.logout()
    return sign_in(client, person)


def _dates(start: tuple[str, str, str], end: tuple[str, str, str]) -> dict[str, str]:
    return {
        "start[day]": start[0],
        "start[month]": start[1],
        "start[year]": start[2],
        "end[day]": end[0],
        "end[month]": end[1],
        "end[year]": end[2],
    }


def _figure(body: str, key: str) -> str:
    """The value shown for a figure in its summary list row."""
    found = re.search(
        rf'id="figure-{key}".*?<strong class="icsvoice-figure__value">(.*?)</strong>', body, re.S
    )
    assert found, key
    return found.group(1)


def _table_rows(body: str, slug: str) -> list[tuple[str, str]]:
    """(label, value) for each row of a chart's data table."""
    figure = body.split(f'id="chart-{slug}"', 1)[1].split("</figure>", 1)[0]
    table = figure.split("<tbody", 1)[1]
    return re.findall(
        r'<th scope="row" class="nhsuk-table__header" role="rowheader">'
        r'<span class="nhsuk-table__heading" aria-hidden="true">[^<]*</span>(.*?)</th>'
        r'<td class="nhsuk-table__cell nhsuk-table__cell--numeric" role="cell">'
        r'<span class="nhsuk-table__heading" aria-hidden="true">[^<]*</span>(.*?)</td>',
        table,
    )


# --- Access ----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["engagement:report", "engagement:report-csv"])
def test_only_the_icss_reviewers_may_read_it(client, cast, name):
    url = report_url(cast.ics, name=name)
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))
    for person in (cast.gp_lead, cast.secretary, cast.chair, cast.gp_rep, cast.board_member):
        assert _as(client, person).get(url).status_code == 403, person
    assert _as(client, cast.outsider).get(url).status_code == 404
    assert _as(client, cast.reviewer).get(url).status_code == 200
    assert client.post(url).status_code == 405


def test_another_icss_reviewer_gets_a_404(client, cast):
    from tests import factories as f

    theirs = f.UserFactory(email="reviewer@b.example.nhs.uk", full_name="Rob Reviewer")
    f.IcsReviewerFactory(ics=cast.other_ics, user=theirs)
    assert _as(client, theirs).get(report_url(cast.ics)).status_code == 404
    assert client.get(report_url(cast.other_ics)).status_code == 200
    assert client.get(reverse("engagement:report", args=[999999])).status_code == 404


# --- The page --------------------------------------------------------------------------------


def test_the_default_is_this_financial_year(client, cast):
    this_year = reports.financial_year(timezone.localdate())
    body = page(_as(client, cast.reviewer).get(report_url(cast.ics)))
    assert title(body).startswith(f"Influence report, {this_year.label} \N{EN DASH} ICS A")
    assert f'id="report-period">{this_year.label}</p>' in body
    # The form shows the dates it stands for.
    assert f'name="start[year]" type="text" value="{this_year.start.year}"' in body
    assert f'name="end[day]" type="text" value="{this_year.end.day}"' in body
    # The presets, the current one marked; the CSV link carries the same period.
    this_query = period_query(this_year).replace("&", "&amp;")
    assert f'href="?{this_query}" aria-current="page">This financial year' in body
    last_year = reports.financial_year(this_year.start - dt.timedelta(days=1))
    last_query = period_query(last_year).replace("&", "&amp;")
    assert f'href="?{last_query}">Last financial year' in body
    csv_url = report_url(cast.ics, this_year, "engagement:report-csv").replace("&", "&amp;")
    assert f'href="{csv_url}"' in body
    # Nothing happened this year in this ICS: zeros, and "No data" where nothing is behind.
    assert _table_rows(body, "stages") == [
        ("Drafted", "0"),
        ("Agreed", "0"),
        ("Tabled", "0"),
        ("Responded to", "0"),
    ]
    assert _figure(body, "on_time") == "No final responses"
    assert _figure(body, "practices_consulted") == "Not recorded"


def test_the_figures_for_a_chosen_period(client, scene):
    """The scene's numbers (worked out in test_reports.py), as the reviewer reads them."""
    body = page(_as(client, scene.cast.reviewer).get(report_url(scene.cast.ics, FY_2024)))
    assert "1 April 2024 to 31 March 2025" in title(body)
    assert _table_rows(body, "stages") == [
        ("Drafted", "5"),
        ("Agreed", "4"),
        ("Tabled", "3"),
        ("Responded to", "3"),
    ]
    assert _table_rows(body, "outcomes") == [
        ("Adopted", "1"),
        ("Adopted with changes", "0"),
        ("Noted", "1"),
        ("Deferred", "1"),
        ("Declined", "1"),
    ]
    assert _table_rows(body, "medians") == [
        ("Draft to agreed", "17 days"),
        ("Agreed to tabled", "10 days"),
        ("Tabled to final response", "60 days"),
    ]
    assert _figure(body, "on_time") == "1 of 3 (33.3%)"
    assert _figure(body, "meetings_with_primary_care") == "1 of 3 (33.3%)"
    assert _figure(body, "votes_closed") == "6"
    assert _figure(body, "turnout") == "12 of 23 (52.2%)"
    assert _figure(body, "members_voted") == "3 of 4 (75%)"
    assert _figure(body, "recusals") == "1"
    assert _figure(body, "pcns_consulted") == "Not recorded"
    # Every figure's definition is on the page, beside it.
    for figure in reports.influence_report(ics=scene.cast.ics, period=FY_2024).figures():
        assert figure.definition.replace("'", "&#x27;") in body, figure.key
    # Nothing of ICS B: its position X and its board.
    assert ">X<" not in body and "ICS B" not in body


def test_the_charts_are_accessible_svg_with_their_tables(client, scene):
    body = page(_as(client, scene.cast.reviewer).get(report_url(scene.cast.ics, FY_2024)))
    svgs = re.findall(r"<svg class=\"icsvoice-chart__svg\"[^>]*>.*?</svg>", body, re.S)
    assert len(svgs) == 3
    for slug, svg in zip(("stages", "outcomes", "medians"), svgs, strict=True):
        assert 'role="img"' in svg
        assert f'aria-labelledby="chart-{slug}-title"' in svg
        assert f'aria-describedby="chart-{slug}-desc"' in svg
        assert f'<title id="chart-{slug}-title">' in svg
        assert f'<desc id="chart-{slug}-desc">Bar chart. ' in svg
        assert "style" not in svg
    # The description reads the bars out; the table below has a caption.
    assert "Drafted: 5; Agreed: 4; Tabled: 3; Responded to: 3." in svgs[0]
    assert '<caption class="nhsuk-table__caption nhsuk-table__caption--s">Positions through' in body
    # The largest value has the longest bar; a zero has none, but still its label and value.
    outcome_bars = re.findall(r'<rect class="icsvoice-chart__bar"[^>]*width="([\d.]+)"', svgs[1])
    assert len(outcome_bars) == 4  # adopted with changes is 0: no bar
    assert ">Adopted with changes</text>" in svgs[1] and ">0</text>" in svgs[1]


@pytest.mark.parametrize(
    ("query", "message"),
    [
        (_dates(("31", "2", "2025"), ("31", "3", "2025")), "From must be a real date"),
        (_dates(("1", "4", "2025"), ("31", "3", "2025")), "must be the same as or after"),
        (_dates(("1", "4", "2025"), ("", "", "")), "Enter the date the period ends"),
        (_dates(("1", "4", "25"), ("31", "3", "2026")), "Year must include 4 numbers"),
        (_dates(("x", "4", "2025"), ("31", "3", "2026")), "From must be a real date"),
        (_dates(("9" * 20, "4", "2025"), ("31", "3", "2026")), "From must be a real date"),
        (_dates(("1", "4", "1999"), ("31", "3", "2026")), "must be between 2000 and 2099"),
        (_dates(("1", "4", "2025"), ("31", "12", "9999")), "must be between 2000 and 2099"),
        ({"start[day]": "1"}, "From must include a month and year"),
        ({"start": "2025-04-01", "end": "yesterday"}, "Enter the date the period starts"),
    ],
)
def test_a_wrong_period_says_what_is_wrong(client, cast, query, message):
    _as(client, cast.reviewer)
    response = client.get(report_url(cast.ics), query)
    assert response.status_code == 200
    body = page(response)
    assert title(body).startswith("Error: Influence report \N{EN DASH} ICS A")
    assert 'class="nhsuk-error-summary"' in body
    assert message in body
    assert 'id="chart-stages"' not in body  # no figures for a period that is not one
    csv_response = client.get(reverse("engagement:report-csv", args=[cast.ics.pk]), query)
    assert csv_response.status_code == 400
    assert message in csv_response.content.decode()


def test_unknown_parameters_are_ignored(client, cast):
    _as(client, cast.reviewer)
    response = client.get(report_url(cast.ics), {"colour": "red", "page": "2"})
    assert response.status_code == 200
    assert 'id="chart-stages"' in response.content.decode()


# --- CSV -------------------------------------------------------------------------------------


def test_the_csv_has_the_same_figures(client, scene):
    _as(client, scene.cast.reviewer)
    response = client.get(report_url(scene.cast.ics, FY_2024, "engagement:report-csv"))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == (
        'attachment; filename="influence-report-QAA-2024-04-01-to-2025-03-31.csv"'
    )
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert tuple(rows[0]) == CSV_HEADER
    assert {tuple(row[:4]) for row in rows[1:]} == {("QAA", "ICS A", "2024-04-01", "2025-03-31")}
    values = {row[4]: tuple(row[5:8]) for row in rows[1:]}
    assert values == {
        "Positions drafted": ("5", "", ""),
        "Positions agreed": ("4", "", ""),
        "Positions tabled": ("3", "", ""),
        "Positions responded to": ("3", "", ""),
        "Responses: adopted": ("1", "", ""),
        "Responses: adopted with changes": ("0", "", ""),
        "Responses: noted": ("1", "", ""),
        "Responses: deferred": ("1", "", ""),
        "Responses: declined": ("1", "", ""),
        "Final responses on time": ("1", "3", "33.3"),
        "Median days, draft to agreed": ("17", "", ""),
        "Median days, agreed to tabled": ("10", "", ""),
        "Median days, tabled to final response": ("60", "", ""),
        "Board meetings with a primary care item": ("1", "3", "33.3"),
        "Votes closed": ("6", "", ""),
        "Turnout (ballots cast of eligible voters)": ("12", "23", "52.2"),
        "Members who voted": ("3", "4", "75"),
        "Recusals": ("1", "", ""),
        "GP practices consulted": ("not recorded", "", ""),
        "PCNs consulted": ("not recorded", "", ""),
    }
    definitions = {row[4]: row[8] for row in rows[1:]}
    assert definitions["Recusals"] == reports.DEFINITIONS["recusals"]


def test_the_csv_does_not_let_a_name_run_as_a_formula(client, cast):
    cast.ics.name = "=HYPERLINK(1)"
    cast.ics.save()
    _as(client, cast.reviewer)
    response = client.get(report_url(cast.ics, name="engagement:report-csv"))
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[1][1] == "'=HYPERLINK(1)"


# --- Queries ---------------------------------------------------------------------------------


def _one_of_everything(cast, n: int) -> None:
    """A position drafted, agreed, tabled and adopted, and a meeting held with it on its
    published agenda, all in the 2024/25 financial year."""
    position = draft(cast.group, cast.gp_lead, f"P{n}", at(2024, 5, 1))
    from groups import services as group_services

    vote = group_services.vote_open(position=position, actor=cast.chair)
    close_vote(vote, [cast.gp_lead, cast.chair, cast.gp_rep], at(2024, 5, 10))
    position.refresh_from_db()
    meeting = schedule(cast.board, cast.secretary, f"Meeting {n}")
    brief = table(cast.board, cast.gp_rep, position, meeting, at(2024, 5, 12))
    publish(meeting, cast.secretary, brief=brief)
    held_on(meeting, at(2024, 6, 1, 10))
    respond(brief, cast.secretary, "deferred", at(2024, 6, 1, 12))
    respond(brief, cast.secretary, "adopted", at(2024, 7, 1, 12))


def test_the_query_count_does_not_grow_with_the_data(client, cast):
    _as(client, cast.reviewer)
    url = report_url(cast.ics, FY_2024)
    _one_of_everything(cast, 1)
    with CaptureQueriesContext(connection) as one:
        assert client.get(url).status_code == 200
    _one_of_everything(cast, 2)
    _one_of_everything(cast, 3)
    with CaptureQueriesContext(connection) as three:
        response = client.get(url)
    assert 'id="figure-votes_closed"' in response.content.decode()
    assert _figure(response.content.decode(), "votes_closed") == "3"
    assert len(one) == len(three) <= MAX_QUERIES, [q["sql"] for q in three.captured_queries]
    with CaptureQueriesContext(connection) as csv_queries:
        client.get(report_url(cast.ics, FY_2024, "engagement:report-csv"))
    assert len(csv_queries) <= MAX_QUERIES
