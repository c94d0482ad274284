"""A position's journey shows a board's business in full only to the board's readers (its
current seat holders and the ICS's staff reviewers). A group member with no seat sees the
published agenda versions as the public pages show them: no draft, no change note, no
presenter, a private item as "confidential item" with its reason; and not why a meeting was
cancelled. The page, the CSV and the JSON alike."""

from __future__ import annotations

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from boards.models import AgendaItem, BoardSeat, Brief, Meeting
from boards.services import briefs as brief_services
from boards.services import meetings as meeting_services
from engagement.journey import boards_read, journey
from icsvoice.registry import roles_for
from tests import factories as f
from tests.boards.briefs_fixtures import meeting, on_day, table
from tests.helpers import sign_in

pytestmark = pytest.mark.django_db

ITEM = "Hub contract with Acme Health"
PRESENTER = "Prof Pat Presenter"
REASON = "Commercial negotiations are under way."
MERGER = "Merger with Northshire ICB"
NOTE = "Added the confidential merger item"
VIEWS = ("journey", "journey-csv", "journey-json")
NON_READERS = ("gp_lead", "chair")  # members of the group with no seat on the board
READERS = ("reviewer", "gp_rep")


def _url(name: str, brief: Brief) -> str:
    return reverse(f"engagement:{name}", args=[brief.position_id])


def _get(client, who, name: str, brief: Brief) -> str:
    response = sign_in(client, who).get(_url(name, brief))
    assert response.status_code == 200
    return response.content.decode()


def _put_on_draft(cast, position, *, private: bool = False) -> tuple[Brief, AgendaItem]:
    at = meeting(cast.board, cast.secretary, 21)
    brief = table(cast, position, at)
    item = meeting_services.agenda_add_brief(meeting=at, brief=brief, actor=cast.secretary)
    meeting_services.agenda_item_change(
        item=item,
        title=ITEM,
        duration_minutes=15,
        purpose="discussion",
        part="private" if private else "public",
        presenter=PRESENTER,
        confidential_reason=REASON if private else "",
        review_on=on_day(90) if private else None,
        actor=cast.secretary,
    )
    return brief, item


def _with_merger(cast, agreed) -> Brief:
    """The review's case: the brief's item published, then a private item added in a second
    version whose change note names it."""
    brief, _ = _put_on_draft(cast, agreed)
    at = Meeting.objects.get(pk=brief.requested_meeting_id)
    meeting_services.agenda_publish(meeting=at, actor=cast.secretary)
    meeting_services.agenda_version_start(meeting=at, actor=cast.secretary)
    meeting_services.agenda_item_add(
        meeting=at,
        title=MERGER,
        duration_minutes=30,
        purpose="decision",
        part="private",
        confidential_reason="Market-sensitive.",
        review_on=on_day(90),
        actor=cast.secretary,
    )
    meeting_services.agenda_publish(meeting=at, change_note=NOTE, actor=cast.secretary)
    return brief


@pytest.fixture
def merger(cast, agreed) -> Brief:
    return _with_merger(cast, agreed)


@pytest.mark.parametrize("name", VIEWS)
@pytest.mark.parametrize("who", NON_READERS)
def test_a_member_with_no_seat_sees_no_change_note_presenter_or_draft(
    client, cast, merger, name, who
):
    body = _get(client, getattr(cast, who), name, merger)
    for secret in (NOTE, "merger", PRESENTER, "(draft)", "Put on the draft agenda"):
        assert secret.lower() not in body.lower(), secret
    assert "agenda version 2" in body  # the published versions themselves are public
    assert ITEM in body  # the brief's own item is in public


@pytest.mark.parametrize("name", VIEWS)
@pytest.mark.parametrize("who", READERS)
def test_the_boards_readers_see_the_agenda_steps_in_full(client, cast, merger, name, who):
    body = _get(client, getattr(cast, who), name, merger)
    for shown in (NOTE, PRESENTER, "(draft)", "Put on the draft agenda"):
        assert shown in body, shown


def test_the_steps_a_member_with_no_seat_gets(cast, merger):
    def kinds(who) -> list[str]:
        steps = journey(merger.position, reader=who).steps
        return [s.kind for s in steps if s.kind.startswith("agenda")]

    assert kinds(cast.gp_lead) == ["agenda_published", "agenda_published"]
    assert kinds(cast.gp_rep) == ["agenda_added", "agenda_published", "agenda_published"]
    second = journey(merger.position, reader=cast.gp_lead).steps[-1]
    assert dict(second.facts) == {
        "Meeting": dict(second.facts)["Meeting"],
        "Agenda version": "2",
        "Item": "1",
        "Part": "Part 1 (in public)",
        "Purpose": "For discussion",
    }


def test_a_draft_agenda_is_not_shown_to_a_member_with_no_seat(cast, agreed):
    brief, _ = _put_on_draft(cast, agreed)
    steps = journey(brief.position, reader=cast.gp_lead).steps
    assert not [s for s in steps if s.kind.startswith("agenda")]
    assert ITEM not in json.dumps([s.text for s in steps] + [str(s.facts) for s in steps])
    for reader in (cast.gp_rep, cast.reviewer):
        steps = journey(brief.position, reader=reader).steps
        added = [s for s in steps if s.kind == "agenda_added"]
        assert len(added) == 1 and ITEM in added[0].text


@pytest.mark.parametrize("name", VIEWS)
def test_a_private_item_shows_as_the_public_pages_show_it(client, cast, agreed, name):
    brief, _ = _put_on_draft(cast, agreed, private=True)
    at = Meeting.objects.get(pk=brief.requested_meeting_id)
    meeting_services.agenda_publish(meeting=at, actor=cast.secretary)
    body = _get(client, cast.gp_lead, name, brief)
    assert ITEM not in body and PRESENTER not in body
    assert "confidential item" in body and REASON in body
    assert "For discussion" not in body
    assert ITEM in _get(client, cast.reviewer, name, brief)


def test_a_private_items_step_holds_only_its_place_and_reason(cast, agreed):
    brief, _ = _put_on_draft(cast, agreed, private=True)
    at = Meeting.objects.get(pk=brief.requested_meeting_id)
    meeting_services.agenda_publish(meeting=at, actor=cast.secretary)
    (step,) = [
        s for s in journey(brief.position, reader=cast.gp_lead).steps if s.kind.startswith("agenda")
    ]
    assert step.text.endswith(f"confidential item. Taken in private because: {REASON}")
    assert [label for label, _ in step.facts] == ["Meeting", "Agenda version", "Item", "Part"]
    assert dict(step.facts)["Part"] == "Part 2 (in private)"


def test_taken_off_the_agenda_without_the_change_note(cast, agreed):
    brief, item = _put_on_draft(cast, agreed)
    at = Meeting.objects.get(pk=brief.requested_meeting_id)
    meeting_services.agenda_item_add(
        meeting=at, title="Welcome", duration_minutes=5, purpose="information", actor=cast.secretary
    )
    meeting_services.agenda_publish(meeting=at, actor=cast.secretary)
    draft = meeting_services.agenda_version_start(meeting=at, actor=cast.secretary)
    meeting_services.agenda_item_remove(
        item=AgendaItem.objects.get(version=draft, key=item.key), actor=cast.secretary
    )
    meeting_services.agenda_publish(
        meeting=at, change_note="Dropped for the merger talks", actor=cast.secretary
    )

    def removed(who):
        steps = journey(brief.position, reader=who).steps
        return next(s for s in steps if s.kind == "agenda_removed")

    assert "merger" not in removed(cast.gp_lead).text
    assert "Dropped for the merger talks" in removed(cast.gp_rep).text


def test_why_a_meeting_was_cancelled_is_for_the_seat_holders(cast, agreed):
    brief, _ = _put_on_draft(cast, agreed)
    at = Meeting.objects.get(pk=brief.requested_meeting_id)
    meeting_services.meeting_cancel(meeting=at, reason="The chair is unwell.", actor=cast.secretary)

    def cancelled(who):
        steps = journey(brief.position, reader=who).steps
        return next(s for s in steps if s.kind == "meeting_cancelled")

    assert "unwell" not in cancelled(cast.gp_lead).text
    assert "unwell" in cancelled(cast.gp_rep).text
    assert "unwell" in cancelled(cast.reviewer).text


# --- Who reads which board: one query for every board ----------------------------------------


def test_boards_read_is_one_query_however_many_boards(cast, django_assert_num_queries):
    seated, ended, none = (f.BoardFactory(ics=cast.ics) for _ in range(3))
    f.BoardSeatFactory(board=seated, user=cast.gp_lead)
    f.BoardSeatFactory(board=ended, user=cast.gp_lead, ends_on=on_day(-1))
    boards = [cast.board, seated, ended, none, cast.other_board]
    for person in (cast.gp_lead, cast.gp_rep, cast.reviewer):
        roles_for(person)  # cached on the person, as for a request
    with django_assert_num_queries(1):
        assert boards_read(cast.gp_lead, boards) == {seated.pk}
    with django_assert_num_queries(1):
        assert boards_read(cast.gp_rep, boards) == {cast.board.pk}
    with django_assert_num_queries(0):  # a reviewer reads every board of the ICS
        assert boards_read(cast.reviewer, boards[:4]) == {b.pk for b in boards[:4]}
    with django_assert_num_queries(1):
        assert boards_read(cast.reviewer, boards) == {b.pk for b in boards[:4]}
    with django_assert_num_queries(0):
        assert boards_read(cast.gp_lead, []) == set()


def _tabled_on(cast, position, boards) -> None:
    for board in boards:
        at = meeting(board, cast.secretary, 21)
        brief = brief_services.brief_table(
            board=board, position=position, meeting=at, actor=cast.gp_rep
        )
        meeting_services.agenda_add_brief(meeting=at, brief=brief, actor=cast.secretary)
        meeting_services.agenda_publish(meeting=at, actor=cast.secretary)


@pytest.mark.parametrize("who", ["gp_lead", "reviewer"])
def test_more_boards_take_no_more_queries(client, cast, make_agreed, who):
    more = [f.BoardFactory(ics=cast.ics) for _ in range(2)]
    for board in more:
        f.BoardSeatFactory(board=board, user=cast.gp_rep, role=BoardSeat.Role.GP_REPRESENTATIVE)
        f.BoardSeatFactory(board=board, user=cast.secretary, role=BoardSeat.Role.SECRETARY)
    one = make_agreed("On one board")
    three = make_agreed("On three boards")
    _tabled_on(cast, one, [cast.board])
    _tabled_on(cast, three, [cast.board, *more])
    sign_in(client, getattr(cast, who))
    counts = []
    for position in (one, one, three):
        with CaptureQueriesContext(connection) as queries:
            url = reverse("engagement:journey", args=[position.pk])
            assert client.get(url).status_code == 200
        counts.append(len(queries))
    assert counts[1] == counts[2]
