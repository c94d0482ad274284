"""The audit trail review: an ICS's events, filtered and paged newest first, exported as CSV
or JSON, and the integrity panel that says when the hash chain was last verified (and lets
a reviewer ask for a verification, which a worker runs).

ICS staff reviewers of the ICS only: another ICS is a 404, anyone else in the ICS a 403.
"""

from __future__ import annotations

import datetime as dt
import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse, HttpResponseBase, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, URLPattern, path, reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.views.decorators.http import require_GET, require_POST

from engagement import access, auditlog
from icsvoice import audit
from icsvoice.celery import queue
from icsvoice.http import AuthedRequest
from icsvoice.models import AuditCheckpoint
from icsvoice.tasks import verify_audit_trail

BAD_PAGE = "That page link is not valid, so these are the newest events."
WITHHELD = "not shown, as on the vote's own page: "


def _cursor(raw: str | None) -> tuple[int | None, bool]:
    """A page cursor from the query string: (value, whether it was bad)."""
    if raw is None or raw == "":
        return None, False
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 18:
        return None, True
    return int(raw), False


def _integrity() -> dict[str, object]:
    """The latest finished check, whatever it found (a broken chain stays on the page until
    a later check finds it whole), any check under way, and the latest good checkpoint."""
    finished, pending = audit.verification_status()
    return {
        "verification": finished,
        "pending": pending,
        "checkpoint": AuditCheckpoint.objects.order_by("-verified_at", "-id").first(),
    }


@login_required
@require_GET
def audit_trail(request: AuthedRequest, ics_id: int) -> HttpResponse:
    ics = access.ics_for_reviewer(user=request.user, ics_id=ics_id)
    form = auditlog.AuditFilters(request.GET, ics=ics)
    before, bad_before = _cursor(request.GET.get("before"))
    after, bad_after = _cursor(request.GET.get("after"))
    page = None
    rows: list[dict[str, object]] = []
    query = form.as_query()
    if form.is_valid():
        events = auditlog.events_for(ics, form.cleaned_data)
        page = auditlog.page_of(events, before=before, after=None if before else after)
        rules = auditlog.vote_rules(page.events)
        rows = [
            {
                "event": event,
                "meaning": auditlog.event_label(event.event),
                "role": auditlog.role_label(event.role),
                "about": auditlog.object_label(event.object_type),
                "details": _details(*auditlog.shown_payload(event, rules)),
                "journey": _journey_url(event.object_id)
                if event.object_type == "groups.position" and event.object_id.isdigit()
                else "",
                "same_object": "?"
                + urlencode({"object_type": event.object_type, "object_id": event.object_id})
                if event.object_type in auditlog.OBJECTS and event.object_id.isdigit()
                else "",
            }
            for event in page.events
        ]
    base = reverse("engagement:audit", args=[ics.pk])
    return render(
        request,
        "engagement/audit_trail.html",
        {
            "ics": ics,
            "form": form,
            "rows": rows,
            "page": page,
            "bad_page": bad_before or bad_after,
            "filtered": bool(query),
            "newer_url": f"{base}?{urlencode({**query, 'after': str(page.newer)})}"
            if page and page.newer
            else "",
            "older_url": f"{base}?{urlencode({**query, 'before': str(page.older)})}"
            if page and page.older
            else "",
            "csv_url": reverse("engagement:audit-csv", args=[ics.pk])
            + (f"?{urlencode(query)}" if query else ""),
            "json_url": reverse("engagement:audit-json", args=[ics.pk])
            + (f"?{urlencode(query)}" if query else ""),
            **_integrity(),
        },
    )


def _journey_url(position_id: str) -> str:
    try:
        return reverse("engagement:journey", args=[int(position_id)])
    except NoReverseMatch:
        return ""


def _details(payload: object, withheld: list[str]) -> list[tuple[str, str]]:
    """An event's details as short label/value pairs for the table."""
    if not isinstance(payload, dict):
        return [("", str(payload))] if payload not in (None, "") else []
    pairs = []
    if withheld:
        pairs.append(("withheld", WITHHELD + ", ".join(withheld)))
    for key, value in sorted(payload.items()):
        if value in ([], {}, None, ""):
            text = "none"
        else:
            text = value if isinstance(value, str) else _compact(value)
        if len(text) > 200:
            text = text[:199] + "…"
        pairs.append((key.replace("_", " "), text))
    return pairs


def _compact(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def _export(request: AuthedRequest, ics_id: int, kind: str) -> HttpResponseBase:
    ics = access.ics_for_reviewer(user=request.user, ics_id=ics_id)
    form = auditlog.AuditFilters(request.GET, ics=ics)
    if not form.is_valid():
        problems = "; ".join(str(e) for errors in form.errors.values() for e in errors)
        return HttpResponse(
            f"The filters are not valid, so nothing was exported: {problems}",
            status=400,
            content_type="text/plain; charset=utf-8",
        )
    events = auditlog.events_for(ics, form.cleaned_data)
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    name = f"audit-{ics.code.lower()}-{stamp}.{kind}"
    response: StreamingHttpResponse
    if kind == "csv":
        response = StreamingHttpResponse(
            auditlog.csv_lines(events), content_type="text/csv; charset=utf-8"
        )
    else:
        meta = {
            "ics": ics.code,
            "exported_at": timezone.now().astimezone(dt.UTC).isoformat(timespec="seconds"),
            "exported_by": request.user.email,
            "filters": form.as_query(),
        }
        response = StreamingHttpResponse(
            auditlog.json_chunks(events, meta=meta), content_type="application/json"
        )
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_GET
def audit_csv(request: AuthedRequest, ics_id: int) -> HttpResponseBase:
    return _export(request, ics_id, "csv")


@login_required
@require_GET
def audit_json(request: AuthedRequest, ics_id: int) -> HttpResponseBase:
    return _export(request, ics_id, "json")


@login_required
@require_POST
def audit_verify(request: AuthedRequest, ics_id: int) -> HttpResponse:
    ics = access.ics_for_reviewer(user=request.user, ics_id=ics_id)
    verification, created = audit.verification_request(request.user)
    if not created:
        messages.info(request, "A check is already under way. Its result will show here.")
        return redirect("engagement:audit", ics_id=ics.pk)
    # verification_request has committed the row (requests are not wrapped in one
    # transaction), so a worker finds it. If the broker cannot take the task, the scan
    # queues a check left waiting within minutes; the message says which happened.
    _queued(request, verification.pk)
    return redirect("engagement:audit", ics_id=ics.pk)


def _queued(request: AuthedRequest, verification_id: int) -> None:
    if queue(verify_audit_trail, verification_id):
        messages.success(
            request,
            "The check has started. Its result will show here when it finishes: refresh "
            "the page in a minute or two.",
        )
    else:
        messages.warning(
            request,
            "The check is waiting: the service that runs it cannot be reached just now. It "
            "will start within a few minutes of that service coming back.",
        )


urlpatterns: list[URLPattern] = [
    path("review/<int:ics_id>/audit/", audit_trail, name="audit"),
    path("review/<int:ics_id>/audit/events.csv", audit_csv, name="audit-csv"),
    path("review/<int:ics_id>/audit/events.json", audit_json, name="audit-json"),
    path("review/<int:ics_id>/audit/verify/", audit_verify, name="audit-verify"),
]
