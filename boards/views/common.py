"""What the board pages share: one layout for every form page."""

from __future__ import annotations

from typing import Any

from django import forms
from django.http import HttpResponse
from django.shortcuts import render

from boards.models import Board
from icsvoice.http import AuthedRequest


def form_page(
    request: AuthedRequest,
    form: forms.Form,
    *,
    board: Board,
    heading: str,
    button: str,
    back: tuple[str, str],
    caption: str = "",
    lede: str = "",
    template: str = "boards/form_page.html",
    **extra: Any,
) -> HttpResponse:
    """A board form page (templates/boards/form_page.html, or one that extends it). `back`
    is the (label, url) of the page it belongs to: the last breadcrumb and "Go back"."""
    return render(
        request,
        template,
        {
            "board": board,
            "form": form,
            "heading": heading,
            "button": button,
            "caption": caption,
            "lede": lede,
            "parent_label": back[0],
            "parent_url": back[1],
            **extra,
        },
    )
