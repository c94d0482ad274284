from __future__ import annotations

from itertools import groupby

from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from icsvoice.registry import home_cards_for, is_site_admin, roles_for


@login_required
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    grants = roles_for(request.user)
    by_ics = [(name, list(items)) for name, items in groupby(grants, key=lambda g: g.ics_name)]
    return render(
        request,
        "icsvoice/home.html",
        {
            "roles_by_ics": by_ics,
            "cards": home_cards_for(request.user),
            "is_site_admin": is_site_admin(request.user),
        },
    )


@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness for load balancers and docker-compose: the database answers."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})


def not_found(request: HttpRequest) -> HttpResponse:
    raise Http404("This page is not available.")
