"""Nothing private leaks through the public pages, the calendar feed or the paper links.

One board's business is filled with everything that must stay private, each piece carrying a
distinctive marker: private items (title, presenter, paper title and bytes, the brief behind
one), a draft agenda version and a superseded one with their items and papers, the published
version's change note, draft minutes, the private part of approved minutes, the online
joining link, the reason a meeting was cancelled, attendance, declarations, decisions and
actions, and the names of the people who wrote them. Then every public page is fetched by
following links from the public boards list, and every paper URL, as someone not signed in
(and as someone signed in, whose own name is in the header but must see nothing more)."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from boards.models import (
    Action,
    AgendaVersion,
    Attendance,
    Brief,
    Decision,
    MeetingDeclaration,
    Paper,
)
from tests.boards import public_fixtures as pf
from tests.helpers import sign_in

pytestmark = pytest.mark.django_db

PUBLIC = [
    "PUBLIC-ITEM-TITLE",
    "PUBLIC-PRESENTER",
    "PUBLIC-PAPER-TITLE",
    "PUBLIC-REASON",
    "PUBLIC-MINUTES",
    "PUBLIC-PLACE",
    "PUBLIC-MEETING-TITLE",
]
SECRET = [
    "SECRET-PRIVATE-TITLE",
    "SECRET-PRIVATE-PRESENTER",
    "SECRET-PRIVATE-PAPER",
    "SECRET-DRAFT-ITEM",
    "SECRET-DRAFT-PAPER",
    "SECRET-SUPERSEDED-ITEM",
    "SECRET-SUPERSEDED-PAPER",
    "SECRET-RENAMED-TITLE",
    "SECRET-CHANGE-NOTE",
    "SECRET-DRAFT-MINUTES",
    "SECRET-PRIVATE-MINUTES",
    "SECRET-ONLINE",
    "SECRET-CANCEL-REASON",
    "SECRET-ATTENDANCE",
    "SECRET-DECLARATION",
    "SECRET-DECISION",
    "SECRET-ACTION",
    "SECRET-BRIEF",
]
# Who wrote things, and the ICS's people: never named on a public page.
PEOPLE = ["Sam Secretary", "secretary@a.example.nhs.uk", "Bo Member", "Rhiannon Rep"]


@pytest.fixture
def leaky(cast, media, make_agreed):
    """A board's business with a marker in everything that is not public."""
    sec = cast.secretary
    m = pf.meeting(
        cast.board,
        sec,
        days=14,
        title="PUBLIC-MEETING-TITLE",
        location="PUBLIC-PLACE",
        online_url="https://join.example.nhs.uk/SECRET-ONLINE",
    )
    # Version 1, superseded: an item since dropped, and one since renamed and made private.
    v1 = pf.version(m, sec, number=1, state=AgendaVersion.State.SUPERSEDED)
    dropped = pf.item(v1, 1, "SECRET-SUPERSEDED-ITEM")
    renamed = pf.item(v1, 2, "SECRET-RENAMED-TITLE", presenter="PUBLIC-PRESENTER")
    # Version 2, published (the current one).
    v2 = pf.version(m, sec, number=2, change_note="SECRET-CHANGE-NOTE")
    public = pf.item(v2, 1, "PUBLIC-ITEM-TITLE", presenter="PUBLIC-PRESENTER")
    position = make_agreed("SECRET-BRIEF position")
    brief = Brief.objects.create(
        board=cast.board,
        position=position,
        version=position.current_version,
        route="tabled",
        route_reason="",
        requested_meeting=m,
        routed_by=cast.gp_rep,
        account="SECRET-BRIEF account",
    )
    private = pf.copy_item(
        renamed,
        v2,
        order=2,
        title="SECRET-PRIVATE-TITLE",
        presenter="SECRET-PRIVATE-PRESENTER",
        part="private",
        confidential_reason="PUBLIC-REASON",
        review_on=dt.date(2031, 2, 3),  # "3 February 2031" is the marker for the review date
        brief=brief,
        purpose="decision",
    )
    # Version 3, a draft: an item only it has.
    v3 = pf.version(m, sec, number=3, state=AgendaVersion.State.DRAFT)
    pf.copy_item(public, v3)
    draft_only = pf.item(v3, 5, "SECRET-DRAFT-ITEM")

    papers = {
        "public": pf.paper(m, public, sec, "PUBLIC-PAPER-TITLE"),
        "private": pf.paper(m, private, sec, "SECRET-PRIVATE-PAPER", is_late=True),
        "draft": pf.paper(m, draft_only, sec, "SECRET-DRAFT-PAPER"),
        "superseded": pf.paper(m, dropped, sec, "SECRET-SUPERSEDED-PAPER"),
    }

    # Minutes: this meeting's approved (with a private part) at a later meeting, whose own
    # minutes are a draft.
    later = pf.meeting(cast.board, sec, days=70, title="Later meeting")
    pf.minutes(m, sec, public="PUBLIC-MINUTES", private="SECRET-PRIVATE-MINUTES", approved_at=later)
    earlier = pf.meeting(cast.board, sec, days=-30, title="Earlier meeting")
    pf.minutes(earlier, sec, public="SECRET-DRAFT-MINUTES", approved_at=None)
    pf.cancel(
        pf.meeting(cast.board, sec, days=40, title="Called-off meeting"),
        reason="SECRET-CANCEL-REASON",
    )

    # What happened at the meeting, for the members' pages only.
    Attendance.objects.create(
        meeting=m,
        person=cast.board_member,
        role="SECRET-ATTENDANCE",
        status="apologies",
        recorded_by=sec,
    )
    MeetingDeclaration.objects.create(
        meeting=m,
        item_key=public.key,
        person=cast.gp_rep,
        category="financial",
        interest="SECRET-DECLARATION",
        recorded_by=sec,
    )
    Decision.objects.create(meeting=m, item_key=public.key, text="SECRET-DECISION", recorded_by=sec)
    Action.objects.create(
        meeting=m,
        item_key=public.key,
        description="SECRET-ACTION",
        owner=cast.board_member,
        due_on=timezone.localdate(),
        recorded_by=sec,
    )
    return {"meeting": m, "papers": papers, "later": later, "earlier": earlier}


def _crawl(client) -> dict[str, bytes]:
    """Every /public/ address reachable by links from the public boards list, with its body."""
    seen: dict[str, bytes] = {}
    queue = [reverse("public:board-list")]
    while queue:
        address = queue.pop()
        if address in seen:
            continue
        response = client.get(address)
        assert response.status_code == 200, address
        body = b"".join(response.streaming_content) if response.streaming else response.content
        seen[address] = body
        if response["Content-Type"].startswith("text/html"):
            for href in re.findall(r'href="(/public/[^"#?]*)"', body.decode()):
                queue.append(href)
    return seen


@pytest.mark.parametrize("signed_in", [False, True])
def test_no_private_marker_reaches_any_public_page_feed_or_paper(client, cast, leaky, signed_in):
    if signed_in:
        sign_in(client, cast.outsider)
    m, papers = leaky["meeting"], leaky["papers"]
    pages = _crawl(client)

    # The crawl reached every kind of public address, including the public paper and feed.
    expected = {
        reverse("public:board-detail", args=[cast.board.slug]),
        reverse("public:board-calendar", args=[cast.board.slug]),
        reverse("public:meeting-detail", args=[m.pk]),
        reverse("public:minutes-detail", args=[m.pk]),
        reverse("public:paper-download", args=[papers["public"].pk]),
    }
    assert expected <= set(pages)
    # The only paper linked is the public one.
    linked_papers = {a for a in pages if a.startswith("/public/papers/")}
    assert linked_papers == {reverse("public:paper-download", args=[papers["public"].pk])}

    everything = b"\n".join(pages.values())
    for marker in PUBLIC:
        assert marker.encode() in everything, marker
    assert (
        b"PUBLIC-PAPER-TITLE" in pages[reverse("public:paper-download", args=[papers["public"].pk])]
    )
    for marker in [*SECRET, *PEOPLE, "3 February 2031", "Primary care item"]:
        for address, body in pages.items():
            assert marker.encode() not in body, f"{marker} leaked at {address}"
    for address, body in pages.items():
        assert b"join.example" not in body, address

    # Papers not public are the same 404 as a paper that does not exist, even asked for directly.
    for key in ("private", "draft", "superseded"):
        response = client.get(reverse("public:paper-download", args=[papers[key].pk]))
        assert response.status_code == 404, key
        assert b"%PDF" not in response.content
    missing = client.get(reverse("public:paper-download", args=[Paper.objects.latest("pk").pk + 1]))
    assert missing.status_code == 404
    # Draft minutes are a 404 too.
    assert (
        client.get(reverse("public:minutes-detail", args=[leaky["earlier"].pk])).status_code == 404
    )


def test_the_members_pages_send_someone_not_signed_in_to_sign_in(client, cast, leaky):
    m, papers = leaky["meeting"], leaky["papers"]
    login = reverse("account_login")
    addresses = [
        ("boards:board-list", []),
        ("boards:board-detail", [cast.board.pk]),
        ("boards:meeting-list", [cast.board.pk]),
        ("boards:meeting-detail", [m.pk]),
        ("boards:paper-download", [papers["public"].pk]),
        ("boards:paper-download", [papers["private"].pk]),
    ]
    for name, args in addresses:
        address = reverse(name, args=args)
        response = client.get(address)
        assert response.status_code == 302, address
        assert response["Location"].startswith(login), address


def test_uploaded_files_are_not_served_from_the_media_address(client, cast, leaky):
    """Files live outside the web root: only the views that check who asks serve them."""
    for paper in leaky["papers"].values():
        assert client.get(settings.MEDIA_URL + paper.file.name).status_code == 404


def test_the_pdf_limit_is_20_mb_unless_set():
    from icsvoice.uploads import DEFAULT_MAX_PDF_BYTES

    assert DEFAULT_MAX_PDF_BYTES == 20 * 1024 * 1024
    assert settings.ICSVOICE_MAX_PDF_BYTES == 20 * 1024 * 1024
