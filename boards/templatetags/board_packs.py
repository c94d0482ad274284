"""The meeting pages' pack sections, as tags, so each page lists its packs with a fixed
number of queries: `{% load board_packs %}{% meeting_packs meeting %}` on the members' page,
`{% public_meeting_pack meeting %}` on the public one."""

from __future__ import annotations

from typing import Any

from django import template

from boards.models import Meeting
from boards.views.packs import current_public_pack, packs_for_reader

register = template.Library()


@register.inclusion_tag("boards/pack/_meeting_packs.html", takes_context=True)
def meeting_packs(context: template.Context, meeting: Meeting) -> dict[str, Any]:
    """Every version the reader may download. Two queries."""
    page = context.get("page")
    return {
        "meeting": meeting,
        "packs": packs_for_reader(meeting, context["request"].user),
        "published": bool(page and page.published),
    }


@register.inclusion_tag("boards/pack/_public_pack.html", takes_context=True)
def public_meeting_pack(context: template.Context, meeting: Meeting) -> dict[str, Any]:
    """The current public pack, checked against the page's own `agenda`. One query."""
    agenda = context.get("agenda")
    return {
        "meeting": meeting,
        "pack": current_public_pack(meeting, agenda),
        "published": agenda is not None,
    }
