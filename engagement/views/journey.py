"""A position's journey (page, CSV, JSON) for its readers, and the ICS reviewer's list of
every position of the ICS, searchable and filtered: how a reviewer finds any piece of
primary care input."""

from __future__ import annotations

import csv
import io
import json
from urllib.parse import urlencode

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpResponse, QueryDict
from django.shortcuts import render
from django.urls import NoReverseMatch, URLPattern, path, reverse
from django.views.decorators.http import require_GET

from engagement import access
from engagement.journey import Journey, Step, as_data, as_rows, boards_of, ics_positions, journey
from groups import access as group_access
from groups.forms.common import NHSForm
from groups.models import LeadershipGroup, Position
from icsvoice.http import AuthedRequest
from icsvoice.models import User
from icsvoice.registry import has_role
from icsvoice.text import spreadsheet_safe as _cell

PAGE_SIZE = 25
MAX_WORDS = 10


class PositionFilterForm(NHSForm):
    q = forms.CharField(
        label="Words in the title, summary or ask",
        help_text="Any version of the position. For example, same-day access.",
        required=False,
        max_length=200,
        error_messages={"max_length": "Enter 200 characters or fewer to search for"},
    )
    group = forms.TypedChoiceField(
        label="Group",
        required=False,
        coerce=int,
        empty_value=None,
        error_messages={"invalid_choice": "Choose a group from the list"},
    )
    state = forms.ChoiceField(
        label="State",
        required=False,
        choices=[("", "Any state"), *Position.State.choices],
        error_messages={"invalid_choice": "Choose a state from the list"},
    )

    def __init__(self, data: QueryDict, *, groups: list[LeadershipGroup]) -> None:
        super().__init__(data)
        field = self.fields["group"]
        assert isinstance(field, forms.TypedChoiceField)
        field.choices = [("", "Every group"), *((g.pk, g.name) for g in groups)]

    def valid(self, name: str) -> object:
        """A filter's value, or None when it was left empty or is not valid."""
        self.is_valid()
        return self.cleaned_data.get(name) or None


@login_required
@require_GET
def positions(request: AuthedRequest, ics_id: int) -> HttpResponse:
    ics = access.ics_for_reviewer(user=request.user, ics_id=ics_id)
    groups = list(LeadershipGroup.objects.filter(ics=ics).order_by("name"))
    form = PositionFilterForm(request.GET, groups=groups)
    words = str(form.valid("q") or "").split()[:MAX_WORDS]
    group_id = form.valid("group")
    state = form.valid("state")
    found = ics_positions(
        ics,
        words=words,
        group_id=group_id if isinstance(group_id, int) else None,
        state=str(state) if state else None,
    )
    page = Paginator(found, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [(position, boards_of(position)) for position in page.object_list]
    kept = {k: v for k, v in request.GET.items() if k != "page" and v and k in form.fields}
    return render(
        request,
        "engagement/positions.html",
        {
            "ics": ics,
            "form": form,
            "page": page,
            "rows": rows,
            "filtered": bool(words or group_id or state),
            "query": urlencode(kept),
        },
    )


def _audit_base(user: User, ics_id: int) -> str:
    """The audit trail page for reviewers of the ICS; "" for anyone else, or while the
    page does not exist yet."""
    if not has_role(user, "ics_reviewer", ics_id=ics_id):
        return ""
    try:
        return reverse("engagement:audit", args=[ics_id])
    except NoReverseMatch:
        return ""


def _audit_url(base: str, step: Step) -> str:
    if not base or step.evidence is None:
        return ""
    query = {"object_type": step.evidence.object_type, "object_id": step.evidence.object_id}
    return f"{base}?{urlencode(query)}"


def _journey_for(request: AuthedRequest, position_id: int) -> Journey:
    position = group_access.position_for_reader(user=request.user, position_id=position_id)
    return journey(position, reader=request.user)


@login_required
@require_GET
def journey_page(request: AuthedRequest, position_id: int) -> HttpResponse:
    found = _journey_for(request, position_id)
    position = found.position
    ics_id = position.group.ics_id
    base = _audit_base(request.user, ics_id)
    return render(
        request,
        "engagement/journey.html",
        {
            "journey": found,
            "position": position,
            "group": position.group,
            "version": position.current_version,
            "steps": [(step, _audit_url(base, step)) for step in found.steps],
            "is_reviewer": has_role(request.user, "ics_reviewer", ics_id=ics_id),
        },
    )


def _download(response: HttpResponse, position: Position, extension: str) -> HttpResponse:
    response["Content-Disposition"] = (
        f'attachment; filename="position-{position.pk}-journey.{extension}"'
    )
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_GET
def journey_csv(request: AuthedRequest, position_id: int) -> HttpResponse:
    found = _journey_for(request, position_id)
    out = io.StringIO()
    writer = csv.writer(out)
    for row in as_rows(found):
        writer.writerow([_cell(value) for value in row])
    response = HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")
    return _download(response, found.position, "csv")


@login_required
@require_GET
def journey_json(request: AuthedRequest, position_id: int) -> HttpResponse:
    found = _journey_for(request, position_id)
    body = json.dumps(as_data(found), cls=DjangoJSONEncoder, ensure_ascii=False, indent=2)
    response = HttpResponse(body, content_type="application/json")
    return _download(response, found.position, "json")


urlpatterns: list[URLPattern] = [
    path("review/<int:ics_id>/positions/", positions, name="positions"),
    path("positions/<int:position_id>/journey/", journey_page, name="journey"),
    path("positions/<int:position_id>/journey.csv", journey_csv, name="journey-csv"),
    path("positions/<int:position_id>/journey.json", journey_json, name="journey-json"),
]
