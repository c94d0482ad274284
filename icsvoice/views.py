from __future__ import annotations

from itertools import groupby

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from icsvoice import mailer
from icsvoice.celery import app as celery_app
from icsvoice.forms import NotificationSettingsForm
from icsvoice.models import OutboxMessage, User
from icsvoice.registry import home_cards_for, is_site_admin, roles_for
from icsvoice.services import user_notifications_set


@login_required
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    grants = roles_for(request.user)
    by_ics = [(name, list(items)) for name, items in groupby(grants, key=lambda g: g.ics_name)]
    site_admin = is_site_admin(request.user)
    return render(
        request,
        "icsvoice/home.html",
        {
            "roles_by_ics": by_ics,
            "cards": home_cards_for(request.user),
            "is_site_admin": site_admin,
            # Administrators see emails that could not be sent, to mend and send again.
            "failed_emails": site_admin
            and OutboxMessage.objects.filter(state=OutboxMessage.State.FAILED).count(),
        },
    )


@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness for load balancers and docker-compose: the database answers."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})


@login_required
@require_http_methods(["GET", "POST"])
def notification_settings(request: HttpRequest) -> HttpResponse:
    """Each person chooses immediate emails or a daily digest for non-urgent notices."""
    user = request.user
    assert isinstance(user, User)
    initial = {"how": "digest" if user.email_digest else "immediate"}
    form = NotificationSettingsForm(
        request.POST if request.method == "POST" else None, initial=initial
    )
    if request.method == "POST" and form.is_valid():
        user_notifications_set(user=user, digest=form.cleaned_data["how"] == "digest")
        messages.success(
            request,
            "We will send notices that are not urgent once a day, in a digest."
            if user.email_digest
            else "We will send each notice straight away.",
        )
        return redirect("notification_settings")
    return render(
        request,
        "icsvoice/notification_settings.html",
        {"form": form, "digest_hour": settings.ICSVOICE_DIGEST_HOUR},
    )


@require_GET
def health(request: HttpRequest) -> JsonResponse:
    """Readiness for operators: the database, the Celery broker, and how long the oldest email
    that is due has been waiting. 503 when the database or the broker does not answer."""
    report: dict[str, object] = {}
    healthy = True
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        report["database"] = "ok"
        report["oldest_unsent_email_seconds"] = mailer.oldest_unsent_age()
        report["failed_emails"] = OutboxMessage.objects.filter(
            state=OutboxMessage.State.FAILED
        ).count()
    except Exception as error:
        healthy = False
        report["database"] = f"error: {type(error).__name__}"
    try:
        with celery_app.connection_for_write() as broker:
            broker.ensure_connection(max_retries=1, timeout=3)
        report["broker"] = "ok"
    except Exception as error:
        healthy = False
        report["broker"] = f"error: {type(error).__name__}"
    report["status"] = "ok" if healthy else "unavailable"
    return JsonResponse(report, status=200 if healthy else 503)


def not_found(request: HttpRequest) -> HttpResponse:
    raise Http404("This page is not available.")
