"""What the primary care views share: bound forms, and turning a service's refusal into
what the person sees (a form error for the error summary, or an error message)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from django import forms
from django.contrib import messages
from django.http import HttpRequest, QueryDict
from django.utils.datastructures import MultiValueDict
from django.views.decorators.http import require_http_methods

from icsvoice.errors import DomainError

T = TypeVar("T")

# A page that shows a form (GET) and takes it (POST).
GET_POST = require_http_methods(["GET", "POST"])


def posted(request: HttpRequest) -> QueryDict | None:
    """The posted data for a form, or None on GET. Not `request.POST or None`: an empty
    POST is falsy, and the form must still be bound so it reports what is missing."""
    return request.POST if request.method == "POST" else None


def posted_files(request: HttpRequest) -> MultiValueDict | None:
    return request.FILES if request.method == "POST" else None


def attempt(form: forms.Form, call: Callable[[], T], *, field: str | None = None) -> T | None:
    """The service call's result, or None when it refused: its message then becomes an
    error on the form (on `field`, or on the whole form), shown in the error summary."""
    try:
        return call()
    except DomainError as error:
        form.add_error(field, str(error))
        return None


def act(request: HttpRequest, call: Callable[[], T]) -> T | None:
    """For POST-only actions with no form: the result, or None with the refusal shown as
    an error message on the page the person goes back to."""
    try:
        return call()
    except DomainError as error:
        messages.error(request, str(error))
        return None
