"""Session lifetime and the two-factor requirement."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone

SESSION_STARTED_KEY = "icsvoice_signed_in_at"


class SessionLifetimeMiddleware:
    """Ends a session 12 hours after sign-in however active it is (idle expiry is the
    session cookie's own age, renewed on each request). Sign-in stamps the session; one
    without a stamp is ended rather than given a fresh 12 hours."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated:
            started = request.session.get(SESSION_STARTED_KEY)
            limit = settings.ICSVOICE_SESSION_MAX_AGE
            if started is None or timezone.now() - datetime.fromisoformat(started) > limit:
                logout(request)
                hours = int(limit.total_seconds() // 3600)
                messages.info(
                    request,
                    f"You were signed out because sessions last at most {hours} hours. "
                    "Sign in again to carry on.",
                )
                if request.path.startswith(API_PREFIX):
                    return _api_refusal("Your session has ended: sign in again.")
                return redirect(settings.LOGIN_URL)
        return self.get_response(request)


# The read-only API answers in JSON, never with a redirect to a page.
API_PREFIX = "/api/"


def _api_refusal(detail: str) -> HttpResponse:
    return JsonResponse({"detail": detail}, status=403)


class RequireTwoFactorMiddleware:
    """Sends anyone signed in without an authenticator app to set one up first."""

    ALLOWED_PREFIXES = (
        "/accounts/",
        "/static/",
        "/healthz",
        "/health",
        "/accessibility/",
        "/privacy/",
        "/public/",
        # Personal links for people without an account (icsvoice/links.py).
        "/respond/",
    )

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if (
            settings.ICSVOICE_REQUIRE_MFA
            and request.user.is_authenticated
            and not request.path.startswith(self.ALLOWED_PREFIXES)
            and not _has_totp(request)
        ):
            if request.path.startswith(API_PREFIX):
                return _api_refusal(
                    "Set up your authenticator app on the service before using the API "
                    "with your session, or use an API token."
                )
            return redirect(reverse("mfa_activate_totp"))
        return self.get_response(request)


def _has_totp(request: HttpRequest) -> bool:
    cached = getattr(request, "_icsvoice_has_totp", None)
    if cached is None:
        from allauth.mfa.models import Authenticator

        cached = Authenticator.objects.filter(
            user=request.user, type=Authenticator.Type.TOTP
        ).exists()
        request._icsvoice_has_totp = cached  # type: ignore[attr-defined]
    return bool(cached)
