"""Review: where an ICS's staff reviewers start. One ICS goes straight to its page."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path
from django.views.decorators.http import require_GET

from engagement import access
from groups.models import ICS
from icsvoice.http import AuthedRequest


@login_required
@require_GET
def review_home(request: AuthedRequest) -> HttpResponse:
    ics_ids = access.reviewed_ics_ids(request.user)
    if not ics_ids:
        raise PermissionDenied(access.REVIEWERS_ONLY)
    if len(ics_ids) == 1:
        return redirect("engagement:review-ics", ics_id=ics_ids[0])
    systems = ICS.objects.filter(pk__in=ics_ids).order_by("name")
    return render(request, "engagement/review_home.html", {"systems": systems})


@login_required
@require_GET
def review_ics(request: AuthedRequest, ics_id: int) -> HttpResponse:
    ics = access.ics_for_reviewer(user=request.user, ics_id=ics_id)
    return render(request, "engagement/review_ics.html", {"ics": ics})


urlpatterns: list[URLPattern] = [
    path("review/", review_home, name="review-home"),
    path("review/<int:ics_id>/", review_ics, name="review-ics"),
]
