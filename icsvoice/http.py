"""Request types for views behind login_required, where the user is always a User."""

from __future__ import annotations

from django.http import HttpRequest

from icsvoice.models import User


class AuthedRequest(HttpRequest):
    user: User  # type: ignore[assignment]
