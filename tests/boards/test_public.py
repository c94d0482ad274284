"""The public pages, without sign-in: every board, a board's meetings, a meeting's published
agenda, public papers, approved minutes and the iCalendar feed. What must never show on them
is pinned in test_public_leaks.py."""

from __future__ import annotations

import datetime as dt
import re

import icalendar
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from boards.models import AgendaVersion
from boards.views.public import safe_filename
from tests import factories
from tests.boards import public_fixtures as pf
from tests.helpers import page, sign_in, title

pytestmark = pytest.mark.django_db

PUBLISHED = AgendaVersion.State.PUBLISHED
SUPERSEDED = AgendaVersion.State.SUPERSEDED
DRAFT = AgendaVersion.State.DRAFT


def u(name: str, *args) -> str:
    return reverse(f"public:{name}", args=args)


def main_of(body: str) -> str:
    return body[body.index("<main") : body.index("</main>")]


def body_of(response) -> bytes:
    if response.streaming:
        return b"".join(response.streaming_content)
    return response.content


@pytest.fixture(params=["anonymous", "signed_in"])
def visitor(request, client, cast):
    """Each page works the same for someone not signed in and for someone signed in (here
    the outsider from ICS B: the public pages of ICS A are theirs to read too)."""
    if request.param == "signed_in":
        sign_in(client, cast.outsider)
    return client


@pytest.fixture
def agenda_meeting(cast, media):
    """A meeting with a published agenda: two public items (the second tabled from a brief,
    with a late paper) and one private item."""
    m = pf.meeting(cast.board, cast.secretary, days=14)
    v = pf.version(m, cast.secretary, state=PUBLISHED)
    first = pf.item(v, 1, "Welcome and apologies", duration_minutes=10, presenter="Chair")
    second = pf.item(v, 2, "Finance report", duration_minutes=30, purpose="decision")
    pf.private_item(
        v, 3, "Estates disposal", confidential_reason="Commercial negotiations continue."
    )
    pf.paper(m, second, cast.secretary, "Month 6 finance report", pages=12)
    pf.paper(m, second, cast.secretary, "Finance annex", is_late=True, pages=1)
    return {"meeting": m, "version": v, "first": first, "second": second}


# --- Every board -----------------------------------------------------------------------------


def test_the_public_boards_list_shows_every_board_with_its_page_and_feed(visitor, cast):
    response = visitor.get(u("board-list"))
    assert response.status_code == 200
    body = page(response)
    assert title(body).startswith("ICS boards in public")
    for board in (cast.board, cast.other_board):
        assert f'href="{u("board-detail", board.slug)}"' in body
        assert f'href="{u("board-calendar", board.slug)}"' in body
        assert board.name in body
    assert "ICS A" in body and "ICS B" in body


# --- A board's meetings ----------------------------------------------------------------------


def test_a_boards_page_lists_upcoming_then_past_meetings_with_minutes_links(visitor, cast, media):
    soon = pf.meeting(cast.board, cast.secretary, days=7, title="Board meeting soon")
    later = pf.meeting(cast.board, cast.secretary, days=70, title="Board meeting later")
    last = pf.meeting(cast.board, cast.secretary, days=-30, title="Board meeting last month")
    older = pf.meeting(cast.board, cast.secretary, days=-90, title="Board meeting in spring")
    called_off = pf.cancel(
        pf.meeting(cast.board, cast.secretary, days=35, title="Extraordinary meeting")
    )
    pf.minutes(older, cast.secretary, public="Approved.", approved_at=last)
    pf.minutes(last, cast.secretary, public="Draft.", approved_at=None)
    pf.meeting(cast.other_board, cast.secretary, days=7, title="ICS B board meeting")

    response = visitor.get(u("board-detail", cast.board.slug))
    assert response.status_code == 200
    body = page(response)
    upcoming, past = body.split("<h2>Past meetings</h2>")
    order = [m.title for m in (soon, called_off, later)]
    names = r">(Board meeting soon|Extraordinary meeting|Board meeting later)<"
    shown = re.findall(names, upcoming)
    assert shown == order
    assert re.findall(r">(Board meeting last month|Board meeting in spring)<", past) == [
        last.title,
        older.title,
    ]
    assert upcoming.count("Cancelled</strong>") == 1
    for m in (soon, later, last, older, called_off):
        assert f'href="{u("meeting-detail", m.pk)}"' in body
    assert f'href="{u("minutes-detail", older.pk)}"' in body
    assert f'href="{u("minutes-detail", last.pk)}"' not in body  # only a draft
    assert f'href="{u("board-calendar", cast.board.slug)}"' in body
    assert "ICS B board meeting" not in body
    assert soon.starts_at.astimezone(pf.LONDON).strftime("%-d %B %Y") + ", 10:00 to 13:00" in body
    assert "Civic Centre, Room 2" in body


def test_an_unknown_board_is_a_404(visitor, cast):
    assert visitor.get(u("board-detail", "no-such-board")).status_code == 404
    assert visitor.get(u("board-calendar", "no-such-board")).status_code == 404


# --- A meeting and its agenda ----------------------------------------------------------------


def test_a_meeting_shows_its_published_agenda_with_public_papers(visitor, cast, agenda_meeting):
    m = agenda_meeting["meeting"]
    response = visitor.get(u("meeting-detail", m.pk))
    assert response.status_code == 200
    body = page(response)
    assert f"{m.title}, {m.starts_at.astimezone(pf.LONDON):%-d %B %Y}" in title(body)
    assert "Civic Centre, Room 2" in body
    assert "10:00 to 13:00 (UK time)" in body
    # Items in order, timed from the start, with purpose and presenter.
    assert body.index("Welcome and apologies") < body.index("Finance report")
    assert "10:10" in body and "For decision" in body and "Chief Finance Officer" in body
    # Papers, with links, size, pages and the late tag.
    papers = list(m.papers.order_by("pk"))
    for paper in papers:
        assert f'href="{u("paper-download", paper.pk)}"' in body
    assert "12 pages" in body and "1 page," in body
    assert body.count("Late paper") == 1
    # The private item: its reason only.
    assert "Confidential item" in body and "Commercial negotiations continue." in body
    assert "Estates disposal" not in body
    assert "10:40" in body  # the private item's start, after the public part
    assert "The agenda runs until 10:55." in body
    # The way back and the feed.
    assert f'href="{u("board-detail", cast.board.slug)}"' in body
    assert f'href="{u("board-list")}"' in body
    assert f'href="{u("board-calendar", cast.board.slug)}"' in body


def test_a_primary_care_item_is_tagged(visitor, cast, agenda_meeting, agreed):
    from boards.models import Brief

    brief = Brief.objects.create(
        board=cast.board,
        position=agreed,
        version=agreed.current_version,
        route="tabled",
        requested_meeting=agenda_meeting["meeting"],
        routed_by=cast.gp_rep,
    )
    agenda_meeting["second"].brief = brief
    agenda_meeting["second"].save()
    body = page(visitor.get(u("meeting-detail", agenda_meeting["meeting"].pk)))
    assert body.count("Primary care item") == 1
    assert agreed.title not in body  # the tag, not the brief


def test_before_an_agenda_is_published_the_page_says_when_it_will_be(visitor, cast):
    """Decided: a meeting with only a draft agenda reads exactly like one with none."""
    m = pf.meeting(cast.board, cast.secretary)
    nothing = page(visitor.get(u("meeting-detail", m.pk)))
    draft = pf.version(m, cast.secretary, state=DRAFT)
    pf.item(draft, 1, "Drafted item")
    with_draft = page(visitor.get(u("meeting-detail", m.pk)))
    notice = "The agenda will be published about a week before the meeting."
    assert notice in nothing and notice in with_draft
    assert "Drafted item" not in with_draft
    assert main_of(with_draft) == main_of(nothing)


def test_only_the_current_published_version_shows(visitor, cast, media):
    m = pf.meeting(cast.board, cast.secretary)
    old = pf.version(m, cast.secretary, number=1, state=SUPERSEDED)
    kept = pf.item(old, 1, "Kept item")
    pf.item(old, 2, "Dropped item")
    current = pf.version(m, cast.secretary, number=2, state=PUBLISHED)
    pf.copy_item(kept, current, title="Kept item, renamed")
    body = page(visitor.get(u("meeting-detail", m.pk)))
    assert "Kept item, renamed" in body
    assert "Dropped item" not in body
    assert "Version 2, published" in body


def test_a_cancelled_meeting_is_marked_and_keeps_its_published_agenda(visitor, cast, media):
    """Decided: a cancelled meeting's page stays, marked cancelled (without the reason, which
    is written for the members); an agenda published before it was cancelled stays readable,
    with its public papers, as on the members' pages."""
    bare = pf.cancel(pf.meeting(cast.board, cast.secretary, days=3, title="Called off"))
    body = page(visitor.get(u("meeting-detail", bare.pk)))
    assert "This meeting has been cancelled." in body
    assert "No agenda was published for this meeting." in body
    assert "about a week before" not in body

    m = pf.meeting(cast.board, cast.secretary, days=5)
    v = pf.version(m, cast.secretary)
    it = pf.item(v, 1, "Annual report")
    p = pf.paper(m, it, cast.secretary, "Annual report 2026")
    pf.cancel(m)
    body = page(visitor.get(u("meeting-detail", m.pk)))
    assert "This meeting has been cancelled." in body and "Annual report 2026" in body
    assert visitor.get(u("paper-download", p.pk)).status_code == 200


def test_an_unknown_meeting_is_a_404(visitor, cast):
    assert visitor.get(u("meeting-detail", 999999)).status_code == 404
    assert visitor.get(u("minutes-detail", 999999)).status_code == 404


# --- Papers ----------------------------------------------------------------------------------


def test_a_public_paper_is_served_inline_as_a_pdf(visitor, cast, agenda_meeting):
    paper = agenda_meeting["meeting"].papers.order_by("pk").first()
    response = visitor.get(u("paper-download", paper.pk))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Disposition"] == 'inline; filename="Month 6 finance report.pdf"'
    assert "no-cache" in response["Cache-Control"]
    served = body_of(response)
    with paper.file.open("rb") as stored:
        assert served == stored.read()
    assert served.startswith(b"%PDF")


def test_a_paper_title_makes_a_safe_file_name():
    assert safe_filename('Q3 "risk"; report\r\n<b>') == "Q3 risk report b.pdf"
    assert safe_filename("../../etc/passwd") == "etc passwd.pdf"
    assert safe_filename("Évaluation: naïve") == "valuation na ve.pdf"
    assert safe_filename("!!!") == "paper.pdf"
    assert len(safe_filename("x" * 300)) == 84


def test_a_paper_follows_its_item_into_the_private_part_and_out_of_the_agenda(visitor, cast, media):
    """A paper is public while its item (by key) is in the public part of the current
    published version: moved to the private part, or dropped, in a newer version, it is the
    same 404 as any other."""
    m = pf.meeting(cast.board, cast.secretary)
    v1 = pf.version(m, cast.secretary, number=1, state=PUBLISHED)
    moving = pf.item(v1, 1, "Workforce plan")
    dropped = pf.item(v1, 2, "Old business")
    moving_paper = pf.paper(m, moving, cast.secretary, "Workforce plan paper")
    dropped_paper = pf.paper(m, dropped, cast.secretary, "Old business paper")
    assert visitor.get(u("paper-download", moving_paper.pk)).status_code == 200
    assert visitor.get(u("paper-download", dropped_paper.pk)).status_code == 200

    AgendaVersion.objects.filter(pk=v1.pk).update(state=SUPERSEDED)
    v2 = pf.version(m, cast.secretary, number=2, state=PUBLISHED)
    pf.copy_item(
        moving,
        v2,
        part="private",
        confidential_reason="Named staff.",
        review_on=dt.date(2030, 1, 1),
    )
    assert visitor.get(u("paper-download", moving_paper.pk)).status_code == 404
    assert visitor.get(u("paper-download", dropped_paper.pk)).status_code == 404
    body = page(visitor.get(u("meeting-detail", m.pk)))
    assert "Workforce plan" not in body and "Named staff." in body


def test_a_paper_whose_file_is_missing_or_unknown_is_a_404(visitor, cast, agenda_meeting):
    paper = agenda_meeting["meeting"].papers.order_by("pk").first()
    paper.file.storage.delete(paper.file.name)
    assert visitor.get(u("paper-download", paper.pk)).status_code == 404
    assert visitor.get(u("paper-download", 999999)).status_code == 404


# --- Minutes ---------------------------------------------------------------------------------


def test_approved_minutes_show_their_public_part_and_where_they_were_approved(visitor, cast):
    m = pf.meeting(cast.board, cast.secretary, days=-60)
    approving = pf.meeting(cast.board, cast.secretary, days=-2, title="Board meeting in May")
    pf.minutes(m, cast.secretary, public="The board noted the report.", approved_at=approving)
    response = visitor.get(u("minutes-detail", m.pk))
    assert response.status_code == 200
    body = page(response)
    assert title(body).startswith("Minutes: Board meeting in public")
    assert "<p>The board noted the report.</p>" in body
    assert f'href="{u("meeting-detail", approving.pk)}"' in body
    assert f"Board meeting in May, {approving.starts_at.astimezone(pf.LONDON):%-d %B %Y}" in body
    # Breadcrumbs: Home, board, meeting.
    crumbs = body.split('class="nhsuk-breadcrumb"')[1].split("</nav>")[0]
    assert [u("board-list"), u("board-detail", cast.board.slug), u("meeting-detail", m.pk)] == (
        re.findall(r'class="nhsuk-breadcrumb__link" href="([^"]+)"', crumbs)
    )
    # The meeting's page links to them.
    assert f'href="{u("minutes-detail", m.pk)}"' in page(visitor.get(u("meeting-detail", m.pk)))


def test_draft_or_absent_minutes_are_a_404(visitor, cast):
    drafted = pf.meeting(cast.board, cast.secretary, days=-60)
    pf.minutes(drafted, cast.secretary, public="Draft text.", approved_at=None)
    none_yet = pf.meeting(cast.board, cast.secretary, days=-30)
    assert visitor.get(u("minutes-detail", drafted.pk)).status_code == 404
    assert visitor.get(u("minutes-detail", none_yet.pk)).status_code == 404
    body = page(visitor.get(u("meeting-detail", drafted.pk)))
    assert u("minutes-detail", drafted.pk) not in body


# --- The calendar feed -----------------------------------------------------------------------


def test_the_calendar_feed_parses_back_with_every_meeting(visitor, cast, settings):
    settings.SITE_URL = "https://icsvoice.example.nhs.uk"
    summer = pf.meeting(
        cast.board,
        cast.secretary,
        starts_at=dt.datetime(2031, 7, 3, 10, tzinfo=pf.LONDON),
        ends_at=dt.datetime(2031, 7, 3, 12, 30, tzinfo=pf.LONDON),
        location="Town Hall; Room 1, Level 2",
    )
    winter = pf.meeting(
        cast.board,
        cast.secretary,
        title="Annual general meeting",
        starts_at=dt.datetime(2031, 1, 9, 14, tzinfo=pf.LONDON),
        ends_at=None,
        location="",
    )
    called_off = pf.cancel(pf.meeting(cast.board, cast.secretary, days=40))
    pf.meeting(cast.other_board, cast.secretary, title="ICS B meeting")

    response = visitor.get(u("board-calendar", cast.board.slug))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert response["X-Content-Type-Options"] == "nosniff"
    cal = icalendar.Calendar.from_ical(response.content)
    assert str(cal["VERSION"]) == "2.0" and cal["PRODID"]
    events = {str(e["UID"]): e for e in cal.walk("VEVENT")}
    host = "icsvoice.example.nhs.uk"
    assert set(events) == {f"meeting-{m.pk}@{host}" for m in (summer, winter, called_off)}

    e = events[f"meeting-{summer.pk}@{host}"]
    assert e.decoded("DTSTART") == dt.datetime(2031, 7, 3, 9, tzinfo=dt.UTC)  # BST
    assert e.decoded("DTEND") == dt.datetime(2031, 7, 3, 11, 30, tzinfo=dt.UTC)
    assert str(e["SUMMARY"]) == "ICS A Integrated Care Board: Board meeting in public"
    assert str(e["LOCATION"]) == "Town Hall; Room 1, Level 2"  # escaped and read back
    assert str(e["URL"]) == f"https://{host}{u('meeting-detail', summer.pk)}"
    assert str(e["STATUS"]) == "CONFIRMED"

    e = events[f"meeting-{winter.pk}@{host}"]
    assert e.decoded("DTSTART") == dt.datetime(2031, 1, 9, 14, tzinfo=dt.UTC)  # GMT
    assert e.decoded("DTEND") - e.decoded("DTSTART") == dt.timedelta(hours=2)
    assert "LOCATION" not in e

    e = events[f"meeting-{called_off.pk}@{host}"]
    assert str(e["STATUS"]) == "CANCELLED"
    assert str(e["SUMMARY"]).startswith("Cancelled: ")


def test_a_meetings_uid_stays_the_same_when_it_moves(client, cast):
    m = pf.meeting(cast.board, cast.secretary)
    first = icalendar.Calendar.from_ical(client.get(u("board-calendar", cast.board.slug)).content)
    m.starts_at += dt.timedelta(days=1)
    m.ends_at += dt.timedelta(days=1)
    m.save()
    second = icalendar.Calendar.from_ical(client.get(u("board-calendar", cast.board.slug)).content)
    (a,), (b,) = first.walk("VEVENT"), second.walk("VEVENT")
    assert a["UID"] == b["UID"]
    assert b.decoded("DTSTART") - a.decoded("DTSTART") == dt.timedelta(days=1)


def test_a_board_with_no_meetings_has_an_empty_feed(client, cast):
    cal = icalendar.Calendar.from_ical(client.get(u("board-calendar", cast.board.slug)).content)
    assert cal.walk("VEVENT") == []


# --- GET only, and the board page's card -----------------------------------------------------


def test_the_public_pages_are_get_only(client, cast, agenda_meeting):
    m = agenda_meeting["meeting"]
    paper = m.papers.first()
    for address in (
        u("board-list"),
        u("board-detail", cast.board.slug),
        u("board-calendar", cast.board.slug),
        u("meeting-detail", m.pk),
        u("minutes-detail", m.pk),
        u("paper-download", paper.pk),
    ):
        assert client.post(address).status_code == 405, address


@pytest.mark.parametrize("who", ["secretary", "board_member", "reviewer"])
def test_the_board_page_links_to_its_public_page_and_feed(client, cast, who):
    sign_in(client, getattr(cast, who))
    body = page(client.get(reverse("boards:board-detail", args=[cast.board.pk])))
    assert f'href="{u("board-detail", cast.board.slug)}"' in body
    assert f'href="{u("board-calendar", cast.board.slug)}"' in body


# --- Query counts ----------------------------------------------------------------------------


def _grow(cast, main, version, start: int, n: int) -> None:
    """n more of everything: boards, meetings (with approved minutes, or cancelled), and on
    the main meeting public items with a paper each and private items."""
    for i in range(start, start + n):
        factories.BoardFactory(ics=cast.ics, name=f"Committee {i}", slug=f"committee-{i}")
        it = pf.item(version, 2 * i, f"Public item {i}")
        pf.paper(main, it, cast.secretary, f"Paper {i}", is_late=bool(i % 2))
        pf.private_item(version, 2 * i + 1, f"Private item {i}")
        minuted = pf.meeting(cast.board, cast.secretary, days=-100 - i)
        pf.minutes(minuted, cast.secretary, public=f"Minutes {i}", approved_at=main)
        pf.cancel(pf.meeting(cast.board, cast.secretary, days=30 + i))


def _counts(client, cast, main) -> dict[str, int]:
    minuted = main.minutes_approved.order_by("pk").first().meeting
    addresses = {
        "boards": u("board-list"),
        "board": u("board-detail", cast.board.slug),
        "meeting": u("meeting-detail", main.pk),
        "minutes": u("minutes-detail", minuted.pk),
        "feed": u("board-calendar", cast.board.slug),
        "paper": u("paper-download", main.papers.order_by("pk").first().pk),
    }
    counts = {}
    for name, address in addresses.items():
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(address)
            body_of(response)
        assert response.status_code == 200, name
        counts[name] = len(ctx.captured_queries)
    return counts


@pytest.mark.parametrize("signed_in", [False, True])
def test_public_pages_do_not_grow_their_queries(client, cast, media, signed_in):
    if signed_in:
        sign_in(client, cast.board_member)
    main = pf.meeting(cast.board, cast.secretary, days=10)
    version = pf.version(main, cast.secretary)
    n = 3
    _grow(cast, main, version, 0, n)
    small = _counts(client, cast, main)
    _grow(cast, main, version, n, 2 * n)
    assert main.papers.count() == 3 * n
    big = _counts(client, cast, main)
    assert big == small
    if not signed_in:
        assert small == {"boards": 1, "board": 2, "meeting": 5, "minutes": 2, "feed": 2, "paper": 1}
