"""The influence report for an ICS's staff reviewers: the page, with its charts and their
tables, and the same figures as CSV. A period is chosen with a GET form (two NHS date
inputs) or a preset link; with none, this NHS financial year."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse, HttpResponseBadRequest, QueryDict
from django.shortcuts import render
from django.urls import URLPattern, path, reverse
from django.views.decorators.http import require_GET

from engagement import access, charts, reports
from engagement.reports import Figure, Period, Report
from groups.forms.common import NHSForm
from groups.models import ICS, today
from icsvoice.forms_nhsuk import DateField
from icsvoice.http import AuthedRequest
from icsvoice.text import spreadsheet_safe as _cell

FIELDS = ("start", "end")


def _year_in_range(label: str) -> Callable[[dt.date], None]:
    def check(value: dt.date) -> None:
        if not reports.FIRST_YEAR <= value.year <= reports.LAST_YEAR:
            raise forms.ValidationError(
                f"{label} must be between {reports.FIRST_YEAR} and {reports.LAST_YEAR}",
                params={"parts": ["year"]},
            )

    return check


class PeriodForm(NHSForm):
    start = DateField(
        label="From",
        help_text="For example, 1 4 2025",
        error_messages={"required": "Enter the date the period starts"},
        validators=[_year_in_range("The date the period starts")],
    )
    end = DateField(
        label="To",
        help_text="For example, 31 3 2026",
        error_messages={"required": "Enter the date the period ends"},
        validators=[_year_in_range("The date the period ends")],
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("start"), data.get("end")
        if start and end and end < start:
            self.add_error(
                "end",
                forms.ValidationError(
                    "The date the period ends must be the same as or after the date it starts",
                    params={"parts": ["day", "month", "year"]},
                ),
            )
        return data


def _chosen(query: QueryDict) -> bool:
    return any(key.split("[", 1)[0] in FIELDS for key in query)


def _period_form(request: AuthedRequest) -> tuple[PeriodForm, Period | None]:
    """The form, bound when the query names a date, and the period it gives (None when the
    dates are wrong). With no dates in the query: this financial year."""
    if not _chosen(request.GET):
        period = reports.default_period(today())
        return PeriodForm(initial={"start": period.start, "end": period.end}), period
    form = PeriodForm(request.GET)
    if not form.is_valid():
        return form, None
    return form, Period(form.cleaned_data["start"], form.cleaned_data["end"])


def period_query(period: Period) -> str:
    """The query string that asks for this period, as the form sends it."""
    parts = {}
    for name, day in (("start", period.start), ("end", period.end)):
        parts.update(
            {f"{name}[day]": day.day, f"{name}[month]": day.month, f"{name}[year]": day.year}
        )
    return urlencode(parts)


def _charts(report: Report) -> dict[str, charts.BarChart]:
    def row(figure: Figure, definition: bool = True) -> charts.Row:
        return charts.Row(
            figure.label, figure.value, figure.display, figure.definition if definition else ""
        )

    return {
        "stages": charts.bar_chart(
            slug="stages",
            title="Positions through the stages",
            label_heading="Stage",
            value_heading="Positions",
            rows=[row(figure) for figure in report.stages],
        ),
        "outcomes": charts.bar_chart(
            slug="outcomes",
            title="The board's responses by outcome",
            label_heading="Outcome",
            value_heading="Responses",
            rows=[row(figure, definition=False) for figure in report.outcomes],
            colour=charts.NHS_DARK_BLUE,
        ),
        "medians": charts.bar_chart(
            slug="medians",
            title="Median days per stage",
            label_heading="Stage",
            value_heading="Median days",
            rows=[row(figure) for figure in report.medians],
            colour=charts.NHS_PURPLE,
        ),
    }


@login_required
@require_GET
def report(request: AuthedRequest, ics_id: int) -> HttpResponse:
    ics = access.ics_for_reviewer(user=request.user, ics_id=ics_id)
    form, period = _period_form(request)
    context: dict[str, Any] = {
        "ics": ics,
        "form": form,
        "period": period,
        "presets": [
            (label, preset, period_query(preset), preset == period)
            for label, preset in reports.presets(today())
        ],
    }
    if period is not None:
        found = reports.influence_report(ics=ics, period=period)
        context.update(
            report=found,
            charts=_charts(found),
            csv_url=f"{reverse('engagement:report-csv', args=[ics.pk])}?{period_query(period)}",
        )
    return render(request, "engagement/report.html", context)


CSV_HEADER = (
    "ICS code",
    "ICS",
    "From",
    "To",
    "Figure",
    "Value",
    "Out of",
    "Per cent",
    "Definition",
)


def as_csv(report: Report) -> str:
    """One row per figure, each with the ICS and period, so rows stand alone when sorted
    or pasted. A figure with no value says why in its Value ("no data", "not recorded")."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_HEADER)
    ics: ICS = report.ics
    for figure in report.figures():
        value = figure.number if figure.value is not None else figure.empty.lower()
        writer.writerow(
            [
                _cell(ics.code),
                _cell(ics.name),
                report.period.start.isoformat(),
                report.period.end.isoformat(),
                figure.name,
                value,
                "" if figure.out_of is None else str(figure.out_of),
                figure.percent_text,
                figure.definition,
            ]
        )
    return out.getvalue()


@login_required
@require_GET
def report_csv(request: AuthedRequest, ics_id: int) -> HttpResponse:
    ics = access.ics_for_reviewer(user=request.user, ics_id=ics_id)
    form, period = _period_form(request)
    if period is None:
        problems = [str(error) for errors in form.errors.values() for error in errors]
        return HttpResponseBadRequest(
            "The period is not valid: " + "; ".join(problems) + ".",
            content_type="text/plain; charset=utf-8",
        )
    found = reports.influence_report(ics=ics, period=period)
    response = HttpResponse(as_csv(found), content_type="text/csv; charset=utf-8")
    name = f"influence-report-{ics.code}-{period.start.isoformat()}-to-{period.end.isoformat()}"
    response["Content-Disposition"] = f'attachment; filename="{name}.csv"'
    response["Cache-Control"] = "private, no-store"
    return response


urlpatterns: list[URLPattern] = [
    path("review/<int:ics_id>/report/", report, name="report"),
    path("review/<int:ics_id>/report.csv", report_csv, name="report-csv"),
]
