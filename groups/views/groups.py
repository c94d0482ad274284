"""A person's groups and a group's page: its positions, open votes and documents."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from groups import access, selectors
from groups.models import Position
from icsvoice.http import AuthedRequest


@login_required
@require_GET
def group_list(request: AuthedRequest) -> HttpResponse:
    return render(request, "groups/group_list.html", {"groups": selectors.groups_for(request.user)})


@login_required
@require_GET
def group_detail(request: AuthedRequest, group_id: int) -> HttpResponse:
    group = access.group_for_reader(user=request.user, group_id=group_id)
    positions = selectors.positions_of(group)
    by_state = {state: [p for p in positions if p.state == state] for state in Position.State}
    sections = [
        ("Vote open", by_state[Position.State.VOTING]),
        ("Drafts", by_state[Position.State.DRAFT]),
        ("Agreed", by_state[Position.State.AGREED]),
        (
            "Not agreed or inquorate",
            by_state[Position.State.NOT_AGREED] + by_state[Position.State.INQUORATE],
        ),
        ("Withdrawn", by_state[Position.State.WITHDRAWN]),
    ]
    return render(
        request,
        "groups/group_detail.html",
        {
            "group": group,
            "sections": sections,
            "position_count": len(positions),
            "open_votes": selectors.open_votes_of(group),
            "terms": group.terms.filter(state="in_force").first(),
            "is_member": access.is_member(request.user, group),
            "is_chair": access.is_chair(request.user, group),
        },
    )
