"""Meeting packs on the pages: the list on a meeting's page (members' and public), and the
downloads. Every version of a pack stays downloadable for the board's readers; the
confidential pack only for the board's current seat holders (the secretary among them).
The public may download a meeting's public pack without signing in, but only the current
one, and only while it still matches the public agenda: an item the secretary takes into
private leaves the public pack at once, as it leaves the public pages.

Files live under MEDIA_ROOT/packs/ and are only ever served by these views.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest
from django.urls import URLPattern, path
from django.utils import timezone
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET

from boards import access
from boards.models import Meeting, MeetingPack
from boards.packs import PUBLIC, public_content
from boards.selectors import public as public_selectors
from boards.selectors.public import MEETING_FIELDS, PublicAgenda
from boards.services.common import seat_roles
from boards.services.packs import send_due_at
from boards.views.public import safe_filename
from icsvoice.http import AuthedRequest
from icsvoice.models import User

CONFIDENTIAL_ONLY = "Only the board's members can download the confidential pack."


# --- Access and reads ------------------------------------------------------------------------


def may_read_confidential(user: User, meeting: Meeting) -> bool:
    """The confidential pack is for the board's current seat holders alone (ICS staff
    reviewers read the board's pages, but not its private papers in bulk)."""
    return bool(seat_roles(user, meeting.board))


def pack_for_reader(*, user: User, pack_id: int) -> MeetingPack:
    """A pack for the board's readers (as `access.meeting_for_reader`: another ICS's is a
    404, a person who does not read the board a 403); a confidential one only for a seat
    holder, else 403."""
    pack = MeetingPack.objects.filter(pk=pack_id).first()
    if pack is None:
        raise Http404("No such pack.")
    meeting = access.meeting_for_reader(user=user, meeting_id=pack.meeting_id)
    pack.meeting = meeting
    if pack.is_confidential and not may_read_confidential(user, meeting):
        raise PermissionDenied(CONFIDENTIAL_ONLY)
    return pack


@dataclass(frozen=True)
class MeetingPacks:
    """The packs of a meeting a reader may download, newest first, and what to say about
    the ones they may not."""

    packs: list[MeetingPack]
    latest_ids: set[int]
    confidential_withheld: bool
    send_on: dt.datetime


def packs_for_reader(meeting: Meeting, user: User) -> MeetingPacks:
    """Two queries: the reader's seats and the packs."""
    confidential = may_read_confidential(user, meeting)
    # "confidential" sorts before "public": each part's versions, newest first.
    packs = list(MeetingPack.objects.filter(meeting=meeting).order_by("part", "-version"))
    latest: dict[str, int] = {}
    for pack in packs:
        latest.setdefault(pack.part, pack.pk)
    return MeetingPacks(
        packs=[p for p in packs if confidential or not p.is_confidential],
        latest_ids=set(latest.values()),
        confidential_withheld=not confidential,
        send_on=timezone.localtime(send_due_at(meeting)),
    )


def current_public_pack(meeting: Meeting, agenda: PublicAgenda | None) -> MeetingPack | None:
    """The meeting's latest public pack while it matches `agenda`, the public pages' own
    agenda (`boards.selectors.public.published_agenda`); None before one is built, and
    while a change waits to be built into the next one. One query."""
    if agenda is None:
        return None
    pack = MeetingPack.objects.filter(meeting=meeting, part=PUBLIC).order_by("-version").first()
    if pack is None or public_content(meeting, agenda).fingerprint() != pack.fingerprint:
        return None
    return pack


# --- Downloads -------------------------------------------------------------------------------


def pack_filename(pack: MeetingPack, meeting: Meeting) -> str:
    day = timezone.localdate(meeting.starts_at).isoformat()
    return safe_filename(f"{meeting.title} {day} {pack.part} pack v{pack.version}")


def _pdf(pack: MeetingPack, meeting: Meeting) -> FileResponse:
    try:
        handle = pack.file.open("rb")
    except FileNotFoundError:
        raise Http404("This pack's file is missing.") from None
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=pack_filename(pack, meeting),
        content_type="application/pdf",
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


@login_required
@require_GET
def pack_download(request: AuthedRequest, pk: int) -> FileResponse:
    pack = pack_for_reader(user=request.user, pack_id=pk)
    return _pdf(pack, pack.meeting)


@require_GET
@cache_control(no_cache=True)
def public_pack_download(request: HttpRequest, pk: int) -> FileResponse:
    """The current public pack of a meeting. Every other pack (confidential, superseded,
    out of date, no such pack) is the same 404. Caches must check back each time."""
    pack = MeetingPack.objects.filter(pk=pk, part=PUBLIC).only("id", "meeting_id").first()
    if pack is None:
        raise Http404("No such pack.")
    meeting = (
        Meeting.objects.select_related("board")
        .only(*MEETING_FIELDS, "board__name")
        .get(pk=pack.meeting_id)
    )
    current = current_public_pack(meeting, public_selectors.published_agenda(meeting))
    if current is None or current.pk != pack.pk:
        raise Http404("No such pack.")
    return _pdf(current, meeting)


urlpatterns: list[URLPattern] = [
    path("packs/<int:pk>/", pack_download, name="pack-download"),
]

public_urlpatterns: list[URLPattern] = [
    path("packs/<int:pk>/", public_pack_download, name="pack-download"),
]
