"""API tokens: each signed-in person makes, sees and revokes their own. A new token is shown
once, in the response to the POST that made it (never stored, never cached)."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from engagement.api import tokens
from icsvoice.http import AuthedRequest


@login_required
@require_http_methods(["GET", "POST"])
def api_tokens(request: AuthedRequest) -> HttpResponse:
    created = None
    if request.method == "POST":
        try:
            token, secret = tokens.api_token_create(user=request.user)
        except tokens.TokenError as error:
            messages.error(request, error.message)
            return redirect("engagement:api-tokens")
        created = {"token": token, "secret": secret}
        messages.success(request, "Your new API token is below. Copy it now: it is shown once.")
    response = render(
        request,
        "engagement/tokens.html",
        {
            "created": created,
            "tokens": list(tokens.tokens_of(request.user)),
            "now": timezone.now(),
            "ttl_days": settings.REST_KNOX["TOKEN_TTL"].days,  # type: ignore[attr-defined]
            "limit": settings.REST_KNOX["TOKEN_LIMIT_PER_USER"],
        },
    )
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_POST
def api_token_revoke(request: AuthedRequest, key: str) -> HttpResponse:
    try:
        tokens.api_token_revoke(user=request.user, token_key=key)
    except tokens.TokenError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, f"The token starting {key} is revoked. It no longer works.")
    return redirect("engagement:api-tokens")


urlpatterns: list[URLPattern] = [
    path("settings/api-tokens/", api_tokens, name="api-tokens"),
    path("settings/api-tokens/<str:key>/revoke/", api_token_revoke, name="api-token-revoke"),
]
