"""Sign-ins and failed sign-ins go into the audit trail from the first day."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver
from django.http import HttpRequest
from django.utils import timezone

from icsvoice import audit
from icsvoice.middleware import SESSION_STARTED_KEY
from icsvoice.models import User


def _client(request: HttpRequest | None) -> dict[str, str]:
    if request is None:
        return {}
    return {
        "ip": request.META.get("REMOTE_ADDR", ""),
        "user_agent": request.META.get("HTTP_USER_AGENT", "")[:200],
    }


@receiver(user_logged_in)
def on_logged_in(sender: Any, request: HttpRequest | None, user: User, **kwargs: Any) -> None:
    if request is not None and hasattr(request, "session"):
        request.session[SESSION_STARTED_KEY] = timezone.now().isoformat()
    audit.record(
        event="auth.signed_in", actor=user, role="self", obj=user, payload=_client(request)
    )


@receiver(user_logged_out)
def on_logged_out(
    sender: Any, request: HttpRequest | None, user: User | None, **kwargs: Any
) -> None:
    if user is not None:
        audit.record(event="auth.signed_out", actor=user, role="self", obj=user)


@receiver(user_login_failed)
def on_login_failed(
    sender: Any, credentials: dict[str, Any], request: HttpRequest | None = None, **kwargs: Any
) -> None:
    # Django has already masked anything that looks like a password in `credentials`.
    login = str(
        credentials.get("email") or credentials.get("username") or credentials.get("login") or ""
    )
    audit.record(
        event="auth.sign_in_failed",
        role="anonymous",
        payload={"login": login[:254], **_client(request)},
    )
