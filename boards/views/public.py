"""The public pages, without sign-in: every board, each board's meetings, a meeting's current
published agenda (private items only as "confidential item" with the reason), the papers of
its public items, approved minutes, and an iCalendar feed per board.

Read only and GET only. They go through `boards.selectors.public`, whose queries never reach
private business, not through `boards.access` (which is for seat holders).
"""

from __future__ import annotations

import re

from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import URLPattern, path
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET

from boards import public_cache
from boards.models import Board, Meeting
from boards.selectors import public as selectors


def _board(slug: str) -> Board:
    board = selectors.board_by_slug(slug)
    if board is None:
        raise Http404("No such board.")
    return board


def _meeting(pk: int) -> Meeting:
    meeting = selectors.meeting(pk)
    if meeting is None:
        raise Http404("No such meeting.")
    return meeting


def safe_filename(title: str) -> str:
    """A file name for a download: letters, digits, spaces, dots, dashes and underscores
    only, at most 80 of them, ending in .pdf."""
    name = re.sub(r"[^A-Za-z0-9 ._-]+", " ", title)
    name = re.sub(r"\s+", " ", name).strip(" .")[:80].strip(" .")
    return f"{name or 'paper'}.pdf"


@require_GET
@public_cache.for_visitors
def board_list(request: HttpRequest) -> HttpResponse:
    return render(request, "boards/public_board_list.html", {"boards": selectors.boards()})


@require_GET
@public_cache.for_visitors
def board_detail(request: HttpRequest, slug: str) -> HttpResponse:
    board = _board(slug)
    return render(
        request,
        "boards/public_board_detail.html",
        {"board": board, "meetings": selectors.meetings_for_board(board)},
    )


@require_GET
@public_cache.for_visitors
def meeting_detail(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = _meeting(pk)
    return render(
        request,
        "boards/public_meeting_detail.html",
        {
            "board": meeting.board,
            "meeting": meeting,
            "agenda": selectors.published_agenda(meeting),
        },
    )


@require_GET
@public_cache.for_visitors
def minutes_detail(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = _meeting(pk)
    minutes = selectors.approved_minutes(meeting)
    if minutes is None:
        raise Http404("These minutes are not approved yet.")
    return render(
        request,
        "boards/public_minutes.html",
        {"board": meeting.board, "meeting": meeting, "minutes": minutes},
    )


@require_GET
@cache_control(no_cache=True)
def paper_download(request: HttpRequest, pk: int) -> FileResponse:
    """A public item's paper, shown in the browser. Every other paper is the same 404.
    Caches must check back each time: the item may move to the private part."""
    paper = selectors.public_paper(pk)
    if paper is None:
        raise Http404("No such paper.")
    try:
        handle = paper.file.open("rb")
    except FileNotFoundError:
        raise Http404("No such paper.") from None
    response = FileResponse(
        handle,
        as_attachment=False,
        filename=safe_filename(paper.title),
        content_type="application/pdf",
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


@require_GET
@cache_control(no_cache=True)
def calendar_feed(request: HttpRequest, slug: str) -> HttpResponse:
    board = _board(slug)
    response = HttpResponse(selectors.calendar(board), content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'inline; filename="{board.slug}.ics"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


urlpatterns: list[URLPattern] = [
    path("boards/", board_list, name="board-list"),
    path("boards/<slug:slug>/", board_detail, name="board-detail"),
    path("boards/<slug:slug>/calendar.ics", calendar_feed, name="board-calendar"),
    path("meetings/<int:pk>/", meeting_detail, name="meeting-detail"),
    path("meetings/<int:pk>/minutes/", minutes_detail, name="minutes-detail"),
    path("papers/<int:pk>/", paper_download, name="paper-download"),
]
