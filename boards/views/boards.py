"""The boards a person sits on (or reviews), and each board's front page, which links to its
meetings, briefs and seats according to the person's roles."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.http import HttpResponse
from django.shortcuts import render
from django.urls import path
from django.views.decorators.http import require_GET

from boards import access
from boards.models import Board, BoardSeat
from boards.services.common import seat_roles
from icsvoice.http import AuthedRequest
from icsvoice.registry import roles_for


@login_required
@require_GET
def board_list(request: AuthedRequest) -> HttpResponse:
    grants = roles_for(request.user)
    seat_board_ids = set(
        BoardSeat.objects.current().filter(user=request.user).values_list("board_id", flat=True)
    )
    reviewed_ics = {g.ics_id for g in grants if g.code == "ics_reviewer"}
    boards = (
        Board.objects.filter(Q(pk__in=seat_board_ids) | Q(ics_id__in=reviewed_ics))
        .select_related("ics")
        .order_by("name")
    )
    return render(request, "boards/board_list.html", {"boards": boards})


@login_required
@require_GET
def board_detail(request: AuthedRequest, board_id: int) -> HttpResponse:
    board = access.board_for_reader(user=request.user, board_id=board_id)
    roles = seat_roles(request.user, board)
    return render(
        request,
        "boards/board_detail.html",
        {
            "board": board,
            "is_secretary": BoardSeat.Role.SECRETARY in roles,
            "is_gp_representative": BoardSeat.Role.GP_REPRESENTATIVE in roles,
            "is_chair": BoardSeat.Role.CHAIR in roles,
            "seat_roles": sorted(BoardSeat.Role(r).label for r in roles),
        },
    )


urlpatterns = [
    path("boards/", board_list, name="board-list"),
    path("boards/<int:board_id>/", board_detail, name="board-detail"),
]
