"""Brief pages through the client: who may see and do what (another ICS is a 404, a wrong
role a 403, and a refused POST changes nothing), the forms' errors, flat query counts, the
home page cards, and the position's journey shown to its group."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from boards.models import BoardResponse, BoardSeat, Brief, Meeting
from boards.selectors.briefs import briefs_waiting_card, responses_overdue_card
from boards.services import briefs as services
from groups.models import Vote
from icsvoice.models import AuditEvent
from tests import factories as f
from tests.boards import briefs_fixtures
from tests.boards.briefs_fixtures import (
    board_state,
    held,
    meeting,
    on_day,
    table,
)
from tests.helpers import page, sign_in, title

# Fixtures shared with the other briefs tests.
other_rep = briefs_fixtures.other_rep
tabled = briefs_fixtures.tabled
upcoming = briefs_fixtures.upcoming

pytestmark = pytest.mark.django_db

PARTNER = "partner member of a unitary board, not the leadership group's delegate"


def _date_post(name: str, day: dt.date) -> dict[str, str]:
    return {
        f"{name}[day]": str(day.day),
        f"{name}[month]": str(day.month),
        f"{name}[year]": str(day.year),
    }


def _as(client, person):
    client.logout()
    return sign_in(client, person)


# --- Access ----------------------------------------------------------------------------------


@pytest.fixture
def scene(cast, agreed, make_agreed, upcoming, other_rep):
    """ICS A: a tabled brief (its meeting held) and an agreed position waiting. ICS B: the
    same, for its own representative."""
    brief = held(table(cast, agreed, upcoming))
    waiting = make_agreed("Community pharmacy referrals")
    their_chair = f.UserFactory(email="chair@b.example.nhs.uk", full_name="Dr Bo Chair")
    f.GroupMembershipFactory(group=cast.other_group, user=their_chair, role="chair")
    theirs = make_agreed("ICS B's own position", group=cast.other_group)
    their_meeting = meeting(cast.other_board, cast.secretary)
    their_brief = services.brief_table(
        board=cast.other_board, position=theirs, meeting=their_meeting, actor=other_rep
    )
    their_waiting = make_agreed("ICS B waiting", group=cast.other_group)
    return {
        "brief": brief,
        "waiting": waiting,
        "their_brief": their_brief,
        "their_waiting": their_waiting,
    }


def _args(cast, scene, kind, mine=True):
    if kind == "board":
        return [cast.board.pk if mine else cast.other_board.pk]
    if kind == "position":
        if mine:
            return [cast.board.pk, scene["waiting"].pk]
        return [cast.other_board.pk, scene["their_waiting"].pk]
    return [scene["brief"].pk if mine else scene["their_brief"].pk]


def _post_data(cast, scene, name):
    return {
        "boards:brief-route": {"route": "deputy", "reason": "Away", "meeting": ""},
        "boards:brief-account": {"account": "I said it."},
        "boards:brief-response": {"kind": "noted", "reasons": "Noted.", "meeting": ""},
        "boards:brief-due": {**_date_post("due_on", on_day(99)), "reason": "Moved"},
    }.get(name)


# (name, who may, wrong roles, whose object)
VIEWS = [
    ("boards:brief-queue", "gp_rep", ["secretary", "board_member", "reviewer"], "board"),
    ("boards:brief-route", "gp_rep", ["secretary", "board_member", "reviewer"], "position"),
    ("boards:brief-detail", "board_member", ["gp_lead", "chair"], "brief"),
    ("boards:brief-account", "gp_rep", ["secretary", "board_member", "reviewer"], "brief"),
    ("boards:brief-response", "secretary", ["gp_rep", "board_member", "reviewer"], "brief"),
    ("boards:brief-due", "secretary", ["gp_rep", "board_member", "reviewer"], "brief"),
    ("boards:response-list", "reviewer", ["gp_lead", "chair"], "board"),
]


@pytest.mark.parametrize(("name", "who", "wrong", "kind"), VIEWS)
def test_each_view_refuses_another_ics_with_404_and_a_wrong_role_with_403(
    client, cast, scene, name, who, wrong, kind
):
    mine = reverse(name, args=_args(cast, scene, kind))
    theirs = reverse(name, args=_args(cast, scene, kind, mine=False))
    data = _post_data(cast, scene, name)
    before = board_state()
    _as(client, getattr(cast, who))
    assert client.get(mine).status_code == 200
    assert client.get(theirs).status_code == 404
    if data is not None:
        assert client.post(theirs, data).status_code == 404
    for person in [cast.outsider]:
        _as(client, person)
        assert client.get(mine).status_code == 404
        if data is not None:
            assert client.post(mine, data).status_code == 404
    for role in wrong:
        _as(client, getattr(cast, role))
        assert client.get(mine).status_code == 403, role
        if data is not None:
            assert client.post(mine, data).status_code == 403, role
    assert board_state() == before


def test_the_representative_of_ics_b_cannot_see_or_table_ics_a_positions(
    client, cast, scene, other_rep
):
    _as(client, other_rep)
    # Through ICS A's board: not theirs to see.
    url_a = reverse("boards:brief-route", args=[cast.board.pk, scene["waiting"].pk])
    assert client.get(url_a).status_code == 404
    # Through their own board: ICS A's position is not there to be tabled.
    url_b = reverse("boards:brief-route", args=[cast.other_board.pk, scene["waiting"].pk])
    before = board_state()
    assert client.get(url_b).status_code == 404
    assert client.post(url_b, {"route": "deputy", "reason": "x"}).status_code == 404
    assert board_state() == before
    queue = client.get(reverse("boards:brief-queue", args=[cast.other_board.pk]))
    body = queue.content.decode()
    assert "ICS B waiting" in body and "Community pharmacy referrals" not in body


def test_a_position_not_agreed_has_no_route_page(client, cast):
    from groups import services as group_services

    draft = group_services.position_draft(
        group=cast.group, actor=cast.gp_lead, title="Draft", summary="S", ask="A"
    )
    _as(client, cast.gp_rep)
    assert (
        client.get(reverse("boards:brief-route", args=[cast.board.pk, draft.pk])).status_code == 404
    )


@pytest.mark.parametrize(
    "name", ["boards:brief-queue", "boards:brief-detail", "boards:response-list"]
)
def test_read_pages_refuse_post(client, cast, scene, name):
    kind = "brief" if name == "boards:brief-detail" else "board"
    _as(client, cast.gp_rep)
    assert client.post(reverse(name, args=_args(cast, scene, kind))).status_code == 405


# --- The representative's queue and routing ------------------------------------------------


def test_an_agreed_position_arrives_in_the_queue_and_nothing_is_written(
    client, cast, agreed, upcoming
):
    _as(client, cast.gp_rep)
    before = board_state()
    response = client.get(reverse("boards:brief-queue", args=[cast.board.pk]))
    body = page(response)
    assert agreed.title in body and PARTNER in body
    assert reverse("boards:brief-route", args=[cast.board.pk, agreed.pk]) in body
    assert board_state() == before


def test_the_representative_tables_through_the_form(client, cast, agreed, upcoming):
    _as(client, cast.gp_rep)
    url = reverse("boards:brief-route", args=[cast.board.pk, agreed.pk])
    body = page(client.get(url))
    assert PARTNER in body and "Pool same-day demand across PCNs." in body
    assert "Agreed:" in body  # the vote's result
    response = client.post(url, {"route": "tabled", "meeting": upcoming.pk}, follow=True)
    brief = Brief.objects.get()
    assert response.redirect_chain[-1][0] == reverse("boards:brief-detail", args=[brief.pk])
    assert "the secretary has your agenda request" in response.content.decode()
    assert brief.requested_meeting == upcoming
    # Routed already: the route page goes to the brief.
    again = client.get(url)
    assert again.status_code == 302 and again.url == reverse("boards:brief-detail", args=[brief.pk])


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({}, "Choose how you will take the position to the board"),
        ({"route": "tabled"}, "Choose the meeting to table it for"),
        (
            {"route": "tabled", "meeting": "999999"},
            "Choose one of the board&#x27;s upcoming meetings",
        ),
        ({"route": "deputy", "reason": " "}, "Enter the reason for this route"),
        ({"route": "deputy", "reason": "<b>x</b>"}, "must be plain text"),
    ],
)
def test_routing_errors_show_the_error_summary_and_save_nothing(
    client, cast, agreed, upcoming, data, message
):
    _as(client, cast.gp_rep)
    before = board_state()
    response = client.post(reverse("boards:brief-route", args=[cast.board.pk, agreed.pk]), data)
    body = page(response)
    assert response.status_code == 200
    assert title(body).startswith("Error: ")
    assert "nhsuk-error-summary" in body and message in body
    assert board_state() == before


def test_a_past_meeting_is_not_offered_for_tabling(client, cast, agreed, upcoming):
    past = meeting(cast.board, cast.secretary, -7, title="Last month's meeting")
    _as(client, cast.gp_rep)
    url = reverse("boards:brief-route", args=[cast.board.pk, agreed.pk])
    body = client.get(url).content.decode()
    assert "Last month&#x27;s meeting" not in body
    response = client.post(url, {"route": "tabled", "meeting": past.pk})
    assert "Choose one of the board" in response.content.decode()
    assert not Brief.objects.exists()


def test_the_representative_records_another_route_through_the_form(client, cast, agreed):
    _as(client, cast.gp_rep)
    url = reverse("boards:brief-route", args=[cast.board.pk, agreed.pk])
    response = client.post(
        url, {"route": "medical_director", "reason": "A clinical matter."}, follow=True
    )
    assert "The route is recorded." in response.content.decode()
    brief = Brief.objects.get()
    assert brief.route == "medical_director" and brief.route_reason == "A clinical matter."
    assert AuditEvent.objects.filter(event="board.brief_routed").count() == 1


# --- The brief page and the account -------------------------------------------------------


def test_the_brief_page_shows_the_groups_position_beside_the_representatives_account(
    client, cast, tabled
):
    brief = held(tabled)
    services.brief_account_record(
        brief=brief, account="I argued for two hubs first.", actor=cast.gp_rep
    )
    for person in (cast.secretary, cast.board_member, cast.reviewer, cast.gp_rep):
        _as(client, person)
        body = page(client.get(reverse("boards:brief-detail", args=[brief.pk])))
        assert "The group's position, as agreed" in body
        assert "Fund one same-day access hub per place from July 2027." in body
        assert "I argued for two hubs first." in body
        assert "Tabled for a board meeting" in body
        recorded = "Record the board's response" in body
        assert recorded == (person == cast.secretary)
        assert (PARTNER in body) == (person == cast.gp_rep)


def test_the_representative_records_an_account_through_the_form(client, cast, tabled):
    brief = held(tabled)
    _as(client, cast.gp_rep)
    url = reverse("boards:brief-account", args=[brief.pk])
    assert PARTNER in page(client.get(url))
    response = client.post(url, {"account": ""})
    assert "Enter your account of how the position was used" in page(response)
    response = client.post(url, {"account": "Raised it under item 5."}, follow=True)
    assert "Your account is recorded" in response.content.decode()
    body = page(client.get(url))
    assert "Update your account" in body and "Raised it under item 5." in body


def test_an_account_before_the_meeting_is_refused_on_the_form(client, cast, tabled):
    _as(client, cast.gp_rep)
    before = board_state()
    response = client.post(reverse("boards:brief-account", args=[tabled.pk]), {"account": "x"})
    assert "once the meeting on" in page(response)
    assert board_state() == before


# --- The board's response and the due date ------------------------------------------------


def test_the_secretary_records_a_deferral_then_the_response(client, cast, tabled):
    brief = held(tabled)
    _as(client, cast.secretary)
    url = reverse("boards:brief-response", args=[brief.pk])
    body = page(client.get(url))
    assert brief.requested_meeting.title in body
    missing = client.post(url, {"kind": "deferred", "reasons": "Need costings."})
    assert "Enter the date the board&#x27;s response is now due by" in page(missing)
    assert not BoardResponse.objects.exists()
    deferred = client.post(
        url,
        {"kind": "deferred", "reasons": "Need costings.", **_date_post("due_on", on_day(60))},
        follow=True,
    )
    assert "now due by" in deferred.content.decode()
    final = client.post(
        url,
        {"kind": "adopted", "reasons": "Costed and agreed.", "meeting": brief.requested_meeting_id},
        follow=True,
    )
    assert "The position&#x27;s journey is closed" in final.content.decode()
    assert list(BoardResponse.objects.values_list("kind", flat=True)) == ["deferred", "adopted"]
    again = client.post(url, {"kind": "declined", "reasons": "No."})
    assert "already recorded: Adopted" in page(again)
    assert BoardResponse.objects.count() == 2


def test_a_non_deferral_ignores_a_half_typed_due_date(client, cast, tabled):
    _as(client, cast.secretary)
    response = client.post(
        reverse("boards:brief-response", args=[tabled.pk]),
        {"kind": "noted", "reasons": "Noted.", "due_on[day]": "3"},
    )
    assert response.status_code == 302
    assert BoardResponse.objects.get().kind == "noted"


def test_the_secretary_changes_the_due_date(client, cast, tabled):
    _as(client, cast.secretary)
    url = reverse("boards:brief-due", args=[tabled.pk])
    page(client.get(url))
    empty = client.post(url, {"reason": ""})
    assert "Enter the reason for changing the due date" in page(empty)
    response = client.post(
        url, {**_date_post("due_on", on_day(100)), "reason": "Meeting moved."}, follow=True
    )
    assert "now due by" in response.content.decode()
    tabled.refresh_from_db()
    assert tabled.response_due_on == on_day(100)
    assert AuditEvent.objects.filter(event="board.response_due_changed").count() == 1


# --- The responses list and overdue -------------------------------------------------------


def _overdue(brief: Brief) -> None:
    Brief.objects.filter(pk=brief.pk).update(response_due_on=on_day(-3))


def test_the_responses_list_shows_each_state(client, cast, make_agreed, upcoming):
    briefs = {
        state: table(cast, make_agreed(f"Position {state}"), upcoming)
        for state in ("awaiting", "overdue", "deferred", "responded")
    }
    _overdue(briefs["overdue"])
    services.response_record(
        brief=briefs["deferred"],
        kind="deferred",
        reasons="Later",
        due_on=on_day(40),
        actor=cast.secretary,
    )
    services.response_record(
        brief=briefs["responded"], kind="declined", reasons="No money", actor=cast.secretary
    )
    for person in (cast.secretary, cast.gp_rep, cast.reviewer, cast.board_member):
        _as(client, person)
        body = page(client.get(reverse("boards:response-list", args=[cast.board.pk])))
        for colour, label in (
            ("blue", "Awaiting response"),
            ("red", "Response overdue"),
            ("orange", "Deferred"),
            ("green", "Responded"),
        ):
            assert f'nhsuk-tag--{colour}">{label}</strong>' in body
        assert body.index("Position overdue") < body.index("Position awaiting")
        assert "Declined" in body


# --- Query counts ---------------------------------------------------------------------------


def _count(client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries.captured_queries)


def _grow(cast, make_agreed, at: Meeting, n: int, start: int) -> None:
    """n more positions: a third waiting, the rest tabled, each with a deferral."""
    for i in range(start, start + n):
        position = make_agreed(f"Position {i}")
        if i % 3 == 0:
            continue
        brief = table(cast, position, at)
        services.response_record(
            brief=brief, kind="deferred", reasons="Later", due_on=on_day(30), actor=cast.secretary
        )
        if i % 3 == 2:
            _overdue(brief)


def test_queue_brief_page_and_responses_list_keep_their_queries_flat(
    client, cast, make_agreed, upcoming
):
    _grow(cast, make_agreed, upcoming, 3, 0)
    brief = Brief.objects.order_by("pk").first()
    pages = {
        "queue": (cast.gp_rep, reverse("boards:brief-queue", args=[cast.board.pk])),
        "responses": (cast.secretary, reverse("boards:response-list", args=[cast.board.pk])),
        "brief": (cast.secretary, reverse("boards:brief-detail", args=[brief.pk])),
    }
    few = {}
    for key, (person, url) in pages.items():
        _as(client, person)
        client.get(url)  # warm the session
        few[key] = _count(client, url)
    _grow(cast, make_agreed, upcoming, 6, 3)
    for _ in range(5):
        services.response_record(
            brief=brief, kind="deferred", reasons="Again", due_on=on_day(30), actor=cast.secretary
        )
    assert Brief.objects.count() == 6 and brief.responses.count() == 6
    for key, (person, url) in pages.items():
        _as(client, person)
        client.get(url)
        assert _count(client, url) == few[key], key


# --- Home page cards ------------------------------------------------------------------------


def test_the_representatives_card_lists_positions_to_route_and_accounts_to_give(
    cast, make_agreed, upcoming
):
    fresh = make_agreed("Fresh position")
    old = make_agreed("Old position")
    Vote.objects.filter(position=old).update(closed_at=timezone.now() - dt.timedelta(days=20))
    given = held(table(cast, make_agreed("Tabled and held"), upcoming), days_ago=20)
    items = {i.label: i for i in briefs_waiting_card(cast.gp_rep)}
    assert set(items) == {"Fresh position", "Old position", "Tabled and held"}
    assert not items["Fresh position"].urgent and items["Old position"].urgent
    assert items["Fresh position"].url == reverse(
        "boards:brief-route", args=[cast.board.pk, fresh.pk]
    )
    assert items["Tabled and held"].urgent
    assert items["Tabled and held"].url == reverse("boards:brief-account", args=[given.pk])
    services.brief_account_record(brief=given, account="Done.", actor=cast.gp_rep)
    assert {i.label for i in briefs_waiting_card(cast.gp_rep)} == {
        "Fresh position",
        "Old position",
    }
    assert briefs_waiting_card(cast.secretary) == []


def test_the_representatives_card_covers_each_board_they_sit_on(cast, agreed):
    second = f.BoardFactory(ics=cast.ics, name="ICS A Finance Committee")
    f.BoardSeatFactory(board=second, user=cast.gp_rep, role=BoardSeat.Role.GP_REPRESENTATIVE)
    services.brief_route(
        board=cast.board, position=agreed, route="deputy", reason="Away", actor=cast.gp_rep
    )
    items = briefs_waiting_card(cast.gp_rep)
    assert [(i.label, i.detail.split(":")[0]) for i in items] == [
        (agreed.title, "ICS A Finance Committee")
    ]


def test_overdue_responses_show_to_the_secretary_the_representative_and_reviewers(
    cast, make_agreed, upcoming, other_secretary
):
    late = table(cast, make_agreed("Late"), upcoming)
    table(cast, make_agreed("On time"), upcoming)
    done = table(cast, make_agreed("Answered"), upcoming)
    _overdue(late)
    _overdue(done)
    services.response_record(brief=done, kind="noted", reasons="Noted", actor=cast.secretary)
    for person in (cast.secretary, cast.gp_rep, cast.reviewer):
        items = responses_overdue_card(person)
        assert [i.label for i in items] == ["Late"], person
        assert items[0].urgent and items[0].url == reverse("boards:brief-detail", args=[late.pk])
    for person in (cast.board_member, cast.outsider, other_secretary, cast.gp_lead):
        assert responses_overdue_card(person) == []
    # A deferral past its new due date is overdue again.
    services.response_record(
        brief=late, kind="deferred", reasons="Later", due_on=on_day(1), actor=cast.secretary
    )
    assert responses_overdue_card(cast.secretary) == []
    Brief.objects.filter(pk=late.pk).update(response_due_on=on_day(-1))
    assert [i.label for i in responses_overdue_card(cast.secretary)] == ["Late"]


def test_the_cards_keep_their_queries_flat(cast, make_agreed, upcoming):
    from icsvoice.registry import roles_for

    def counted(person, card):
        with CaptureQueriesContext(connection) as queries:
            card(person)
        return len(queries.captured_queries)

    def both(person):
        # As the home page calls them: one query each.
        return counted(person, briefs_waiting_card) + counted(person, responses_overdue_card)

    for person in (cast.reviewer, cast.gp_rep, cast.secretary):
        roles_for(person)  # the home page has them cached by now
    _grow(cast, make_agreed, upcoming, 2, 0)
    assert both(cast.gp_rep) == 2
    assert counted(cast.secretary, responses_overdue_card) == 1
    assert counted(cast.reviewer, responses_overdue_card) == 1
    _grow(cast, make_agreed, upcoming, 6, 2)
    for _ in range(3):
        board = f.BoardFactory(ics=cast.ics)
        f.BoardSeatFactory(board=board, user=cast.gp_rep, role=BoardSeat.Role.GP_REPRESENTATIVE)
    assert len(briefs_waiting_card(cast.gp_rep)) > 8
    assert len(responses_overdue_card(cast.gp_rep)) == 2
    assert both(cast.gp_rep) == 2
    assert counted(cast.secretary, responses_overdue_card) == 1
    assert counted(cast.reviewer, responses_overdue_card) == 1


def test_the_overdue_card_reads_afresh_after_taking_the_waiting_cards_rows(cast, agreed, upcoming):
    late = table(cast, agreed, upcoming)
    _overdue(late)
    briefs_waiting_card(cast.gp_rep)
    assert len(responses_overdue_card(cast.gp_rep)) == 1
    services.response_record(brief=late, kind="noted", reasons="Noted", actor=cast.secretary)
    assert responses_overdue_card(cast.gp_rep) == []


def test_the_home_page_shows_the_cards(client, cast, agreed, upcoming):
    late = table(cast, agreed, upcoming)
    _overdue(late)
    _as(client, cast.gp_rep)
    body = client.get(reverse("home")).content.decode()
    card = body.split('id="card-responses_overdue"')[1].split('id="card-')[0]
    assert agreed.title in card
    assert reverse("boards:brief-detail", args=[late.pk]) in card


# --- The board page's card ----------------------------------------------------------------


def test_the_board_page_links_to_briefs_by_role(client, cast):
    board_url = reverse("boards:board-detail", args=[cast.board.pk])
    queue_url = reverse("boards:brief-queue", args=[cast.board.pk])
    responses_url = reverse("boards:response-list", args=[cast.board.pk])
    for person, sees_queue in (
        (cast.gp_rep, True),
        (cast.secretary, False),
        (cast.reviewer, False),
        (cast.board_member, False),
    ):
        _as(client, person)
        body = client.get(board_url).content.decode()
        assert responses_url in body
        assert (queue_url in body) == sees_queue


# --- The group sees the journey -----------------------------------------------------------


def test_the_group_sees_the_journey_on_the_position_page(client, cast, tabled):
    position_url = reverse("groups:position-detail", args=[tabled.position_id])
    _as(client, cast.gp_lead)
    body = page(client.get(position_url))
    assert "Journey to the board" in body and "tabled for a board meeting" in body
    brief = held(tabled)
    services.brief_account_record(brief=brief, account="I spoke to it.", actor=cast.gp_rep)
    services.response_record(
        brief=brief, kind="adopted_with_changes", reasons="Phased over two years.",
        actor=cast.secretary,
    )  # fmt: skip
    for person in (cast.gp_lead, cast.chair, cast.reviewer):
        _as(client, person)
        body = page(client.get(position_url))
        assert "the GP representative&#x27;s account" in body and "I spoke to it." in body
        assert "response: adopted with changes" in body and "Phased over two years." in body


def test_a_position_with_no_brief_has_no_journey_section(client, cast, agreed):
    _as(client, cast.gp_lead)
    body = page(client.get(reverse("groups:position-detail", args=[agreed.pk])))
    assert "Journey to the board" not in body


def test_the_position_page_keeps_its_queries_flat_as_the_journey_grows(client, cast, tabled):
    brief = held(tabled)
    url = reverse("groups:position-detail", args=[tabled.position_id])
    _as(client, cast.gp_lead)
    client.get(url)
    few = _count(client, url)
    services.brief_account_record(brief=brief, account="Spoke.", actor=cast.gp_rep)
    for _ in range(4):
        services.response_record(
            brief=brief, kind="deferred", reasons="Later", due_on=on_day(9), actor=cast.secretary
        )
    for n in range(3):
        board = f.BoardFactory(ics=cast.ics, name=f"Committee {n}")
        f.BoardSeatFactory(board=board, user=cast.gp_rep, role=BoardSeat.Role.GP_REPRESENTATIVE)
        services.brief_route(
            board=board, position=tabled.position, route="deputy", reason="R", actor=cast.gp_rep
        )
    body = page(client.get(url))
    assert body.count("response: deferred") == 4 and "Committee 2" in body
    assert _count(client, url) == few
