"""The read-only API: who gets what from each endpoint, what a secret ballot never shows,
what bad input gets back, and pages that cost the same queries however many rows."""

from __future__ import annotations

import base64
import json

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from boards.models import AgendaVersion
from groups import services as group_services
from groups.models import TermsOfReference, Vote
from icsvoice.models import AuditEvent
from tests.engagement.test_api_data import (
    SECRET_CHOICES,
    World,
    add_other_reviewer,
    api,
    build_world,
    draft_position,
    ids,
    secret_ballots,
    token_client,
)
from tests.helpers import sign_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(cast, make_agreed) -> World:
    return build_world(cast, make_agreed)


def first_event(ics_id: int) -> AuditEvent:
    return AuditEvent.objects.filter(ics_id=ics_id).order_by("id").first()


# name: (the world's object, a person in ICS A whose role does not cover it)
DETAILS = {
    "position": (lambda w: w.named, "board_member"),
    "vote": (lambda w: w.named_vote, "secretary"),
    "brief": (lambda w: w.brief, "gp_lead"),
    "response": (lambda w: w.response, "gp_lead"),
    "meeting": (lambda w: w.meeting, "chair"),
    "agenda": (lambda w: w.agenda, "gp_lead"),
    "audit-event": (lambda w: first_event(w.cast.ics.pk), "gp_rep"),
}
LISTS = ["position", "vote", "brief", "response", "meeting", "agenda", "audit-event"]


# --- Access -----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", DETAILS)
def test_a_detail_for_the_reviewer_wrong_role_outsider_and_nobody(world, name):
    cast = world.cast
    thing, wrong_role = DETAILS[name]
    url = api(f"{name}-detail", thing(world).pk)

    reviewer = token_client(cast.reviewer).get(url)
    assert reviewer.status_code == 200
    assert reviewer.json()["id"] == thing(world).pk
    refused = token_client(getattr(cast, wrong_role)).get(url)
    assert refused.status_code == 403
    assert refused.json()["detail"]
    hidden = token_client(cast.outsider).get(url)
    assert hidden.status_code == 404
    assert hidden.json()["detail"].startswith("No such")
    nobody = Client().get(url)
    assert nobody.status_code == 401
    assert nobody["WWW-Authenticate"] == "Token"
    assert nobody["Content-Type"] == "application/json"


@pytest.mark.parametrize("name", LISTS)
def test_lists_refuse_nobody_with_json_not_a_redirect(db, name):
    response = Client().get(api(f"{name}-list"))
    assert response.status_code == 401
    assert "detail" in response.json()


def test_a_signed_in_session_reads_the_api_too(world):
    client = sign_in(Client(), world.cast.reviewer)
    assert world.named.pk in ids(client.get(api("position-list")))


def test_the_reviewer_lists_everything_of_their_ics_and_nothing_else(world):
    client = token_client(world.cast.reviewer)
    assert ids(client.get(api("position-list"))) == [world.named.pk, world.secret.pk]
    assert ids(client.get(api("vote-list"))) == [world.named_vote.pk, world.secret_vote.pk]
    assert ids(client.get(api("brief-list"))) == [world.brief.pk, world.routed.pk]
    assert ids(client.get(api("response-list"))) == [world.response.pk]
    assert ids(client.get(api("meeting-list"))) == [world.meeting.pk]
    assert ids(client.get(api("agenda-list"))) == [world.agenda.pk]
    events = client.get(api("audit-event-list"), {"page_size": 200}).json()["results"]
    assert events and {e["ics"] for e in events} == {world.cast.ics.pk}


def test_a_group_member_reads_the_groups_work_and_no_board_business(world):
    client = token_client(world.cast.gp_lead)
    assert ids(client.get(api("position-list"))) == [world.named.pk, world.secret.pk]
    assert len(ids(client.get(api("vote-list")))) == 2
    for name in ("brief", "response", "meeting", "agenda"):
        assert ids(client.get(api(f"{name}-list"))) == [], name
    assert client.get(api("audit-event-list")).status_code == 403


def test_a_board_member_reads_board_business_and_no_group_work(world):
    client = token_client(world.cast.board_member)
    assert ids(client.get(api("position-list"))) == []
    assert ids(client.get(api("vote-list"))) == []
    assert ids(client.get(api("meeting-list"))) == [world.meeting.pk]
    assert ids(client.get(api("response-list"))) == [world.response.pk]


def test_the_outsider_sees_only_ics_b(world):
    other_reviewer = add_other_reviewer(world.cast)
    client = token_client(world.cast.outsider)
    assert ids(client.get(api("position-list"))) == [world.other_position.pk]
    for name in ("vote", "brief", "response", "meeting", "agenda"):
        assert ids(client.get(api(f"{name}-list"))) == [], name
    assert client.get(api("audit-event-list")).status_code == 403

    b_reviewer = token_client(other_reviewer)
    assert ids(b_reviewer.get(api("meeting-list"))) == [world.other_meeting.pk]
    events = b_reviewer.get(api("audit-event-list"), {"page_size": 200}).json()["results"]
    assert events and {e["ics"] for e in events} == {world.cast.other_ics.pk}
    a_event = first_event(world.cast.ics.pk)
    assert b_reviewer.get(api("audit-event-detail", a_event.pk)).status_code == 404


def test_the_api_is_read_only(world):
    client = token_client(world.cast.reviewer)
    for method in ("post", "put", "patch", "delete", "options"):
        response = getattr(client, method)(api("position-list"))
        assert response.status_code == 405, method
    assert client.delete(api("position-detail", world.named.pk)).status_code == 405


# --- What the endpoints say --------------------------------------------------------------------


def test_a_position_carries_its_current_text_and_state(world):
    body = token_client(world.cast.gp_lead).get(api("position-detail", world.named.pk)).json()
    assert body["state"] == "agreed"
    assert body["ics"] == world.cast.ics.pk
    assert body["current_version"]["title"] == "Same-day access hubs in every place"
    assert (
        body["current_version"]["ask"] == "Fund one same-day access hub per place from July 2027."
    )


def test_a_named_vote_gives_its_counts_once_closed(world):
    body = token_client(world.cast.reviewer).get(api("vote-detail", world.named_vote.pk)).json()
    assert body["ballot"] == "named"
    assert body["outcome"] == "agreed"
    assert (body["eligible"], body["voted"]) == (3, 3)
    assert body["results_visible"] is True
    assert body["tallies"] == {"in_favour": 3, "against": 0, "abstain": 0}
    assert body["explanation"].startswith("Agreed")


@pytest.mark.parametrize("person", ["reviewer", "chair", "gp_lead"])
def test_a_secret_ballot_shows_participation_and_no_choice(world, person):
    client = token_client(getattr(world.cast, person))
    response = client.get(api("vote-detail", world.secret_vote.pk))
    body = response.json()
    assert body["ballot"] == "secret"
    assert body["outcome"] == "agreed"
    assert (body["eligible"], body["voted"]) == (3, 3)
    assert body["results_visible"] is False
    assert body["tallies"] is None and body["explanation"] is None
    text = response.content.decode()
    for choice in set(SECRET_CHOICES.values()) | {"against"}:
        assert f'"{choice}"' not in text
    assert "in_favour" not in text
    listed = client.get(api("vote-list"), {"position": world.secret.pk}).json()["results"]
    assert listed == [body]


def test_the_audit_trail_withholds_a_secret_ballots_counts(world):
    client = token_client(world.cast.reviewer)
    closed = client.get(api("audit-event-list"), {"event": "vote.closed"}).json()["results"]
    by_vote = {int(e["object_id"]): e for e in closed}
    secret, named = by_vote[world.secret_vote.pk], by_vote[world.named_vote.pk]
    assert set(secret["payload"]) & {"for", "against", "abstain"} == set()
    assert secret["withheld"] == ["for", "against", "abstain"]
    assert secret["payload"]["outcome"] == "agreed"
    assert named["payload"]["for"] == 3 and named["withheld"] == []
    one = client.get(api("audit-event-detail", secret["id"])).json()
    assert one == secret
    cast_events = client.get(
        api("audit-event-list"),
        {"object_type": "groups.vote", "object_id": str(world.secret_vote.pk)},
    ).json()["results"]
    participated = [e for e in cast_events if e["event"] == "vote.participated"]
    assert len(participated) == 3
    assert all(e["payload"] == {"ballot": "secret"} for e in participated)
    assert "choice" not in json.dumps(cast_events)


def test_open_votes_keep_results_hidden_until_close_where_the_group_does(world):
    cast = world.cast
    TermsOfReference.objects.filter(group=cast.group).update(
        ballot=TermsOfReference.Ballot.NAMED, results_hidden_until_close=True
    )
    hidden = group_services.vote_open(position=draft_position(cast, "Hidden"), actor=cast.chair)
    group_services.vote_cast(vote=hidden, voter=cast.gp_lead, choice="against")
    TermsOfReference.objects.filter(group=cast.group).update(results_hidden_until_close=False)
    shown = group_services.vote_open(position=draft_position(cast, "Shown"), actor=cast.chair)
    group_services.vote_cast(vote=shown, voter=cast.gp_lead, choice="against")
    secret_ballots(cast)
    secret = group_services.vote_open(position=draft_position(cast, "Secret"), actor=cast.chair)
    group_services.vote_cast(vote=secret, voter=cast.gp_lead, choice="against")

    client = token_client(cast.reviewer)
    rows = {r["id"]: r for r in client.get(api("vote-list"), {"state": "open"}).json()["results"]}
    assert set(rows) == {hidden.pk, shown.pk, secret.pk}
    assert rows[hidden.pk]["tallies"] is None and rows[hidden.pk]["voted"] == 1
    assert rows[shown.pk]["tallies"] == {"in_favour": 0, "against": 1, "abstain": 0}
    assert rows[secret.pk]["tallies"] is None and rows[secret.pk]["voted"] == 1
    assert all(r["outcome"] is None and r["quorum_needed"] is None for r in rows.values())

    def cast_event(vote):
        events = client.get(
            api("audit-event-list"),
            {"event": "vote.cast", "object_type": "groups.vote", "object_id": str(vote.pk)},
        ).json()["results"]
        return events[0] if events else None

    assert cast_event(hidden)["payload"] == {} and cast_event(hidden)["withheld"] == [
        "choice",
        "reason",
    ]
    assert cast_event(shown)["payload"]["choice"] == "against"
    assert cast_event(secret) is None  # a secret ballot records participation only
    for voter in (cast.chair, cast.gp_rep):
        group_services.vote_cast(vote=hidden, voter=voter, choice="for")
    group_services.vote_close(vote=hidden, actor=cast.chair)
    assert cast_event(hidden)["payload"]["choice"] == "against"  # closed: as its page shows


def test_briefs_responses_meetings_and_agendas(world):
    client = token_client(world.cast.board_member)
    brief = client.get(api("brief-detail", world.brief.pk)).json()
    assert brief["state"] == "responded"
    assert brief["responses"] == [world.response.pk]
    assert brief["requested_meeting"] == world.meeting.pk
    routed = client.get(api("brief-detail", world.routed.pk)).json()
    assert routed["state"] is None and routed["route"] == "written_submission"
    response = client.get(api("response-detail", world.response.pk)).json()
    assert (response["kind"], response["final"]) == ("adopted_with_changes", True)
    assert response["meeting"] == world.meeting.pk
    meeting = client.get(api("meeting-detail", world.meeting.pk)).json()
    assert meeting["published_agenda"] == world.agenda.number
    agenda = client.get(api("agenda-detail", world.agenda.pk)).json()
    assert [(i["part"], i["brief"]) for i in agenda["items"]] == [
        ("public", world.brief.pk),
        ("private", None),
    ]
    assert agenda["items"][1]["confidential_reason"] == "Commercially sensitive negotiations."


@pytest.mark.parametrize("person", ["secretary", "reviewer", "board_member"])
def test_a_draft_agenda_never_leaves_the_screens(world, person):
    client = token_client(getattr(world.cast, person))
    assert client.get(api("agenda-detail", world.draft.pk)).status_code == 404
    listed = client.get(api("agenda-list"), {"meeting": world.meeting.pk})
    assert ids(listed) == [world.agenda.pk]
    assert "Draft-only" not in listed.content.decode()


def test_audit_filters(world):
    cast = world.cast
    client = token_client(cast.reviewer)

    def events(**params):
        rows = client.get(api("audit-event-list"), {"page_size": 200, **params}).json()
        return rows["results"]

    assert {e["event"] for e in events(event="board.response_recorded")} == {
        "board.response_recorded"
    }
    about = events(object_type="boards.brief", object_id=str(world.brief.pk))
    assert about and {(e["object_type"], e["object_id"]) for e in about} == {
        ("boards.brief", str(world.brief.pk))
    }
    chairs = events(actor=cast.chair.pk)
    assert chairs and {e["actor"] for e in chairs} == {cast.chair.pk}
    assert events(event="no.such_event") == []
    assert events(event="  ") == events()


# --- Bad input ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "params", "field"),
    [
        ("position", {"group": "abc"}, "group"),
        ("position", {"state": "nope"}, "state"),
        ("vote", {"position": "0"}, "position"),
        ("meeting", {"board": str(2**70)}, "board"),
        ("audit-event", {"actor": "-1"}, "actor"),
        ("audit-event", {"event": "a\x00b"}, "event"),
        ("audit-event", {"object_id": "x" * 65}, "object_id"),
        ("agenda", {"cursor": "not a cursor"}, "cursor"),
        ("brief", {"cursor": base64.b64encode(b"p=abc").decode()}, "cursor"),
        ("brief", {"cursor": base64.b64encode(f"p={2**70}".encode()).decode()}, "cursor"),
    ],
)
def test_bad_parameters_are_a_400_that_says_which(world, name, params, field):
    response = token_client(world.cast.reviewer).get(api(f"{name}-list"), params)
    assert response.status_code == 400
    assert list(response.json()) == [field]


@pytest.mark.parametrize("bad", ["abc", "0", "-1", str(2**63), "1.5", "%C2%B2"])
def test_a_bad_id_is_a_json_404(world, bad):
    response = token_client(world.cast.reviewer).get(f"/api/positions/{bad}/")
    assert response.status_code == 404
    assert response.json()["detail"] == "No such position."


def test_unknown_parameters_and_odd_page_sizes_are_ignored(world):
    client = token_client(world.cast.reviewer)
    for params in ({"colour": "blue"}, {"page_size": "-3"}, {"page_size": "9999"}):
        assert client.get(api("position-list"), params).status_code == 200


@pytest.mark.parametrize(
    "header", ["Token", "Token a b", "Token nope", "Bearer x", "Token \xe9\xe9"]
)
def test_bad_tokens_are_a_401(db, header):
    response = Client(HTTP_AUTHORIZATION=header).get(api("position-list"))
    assert response.status_code == 401


# --- Pages --------------------------------------------------------------------------------------


def test_cursor_pages_walk_every_row_once_both_ways(cast):
    made = [draft_position(cast, f"Position {n}").pk for n in range(7)]
    client = token_client(cast.reviewer)
    seen, url, pages = [], api("position-list") + "?page_size=3", []
    while url:
        page = client.get(url).json()
        pages.append(page)
        seen += [row["id"] for row in page["results"]]
        url = page["next"]
    assert seen == sorted(made)
    assert [len(p["results"]) for p in pages] == [3, 3, 1]
    back, url = [], pages[-1]["previous"]
    while url:
        page = client.get(url).json()
        back = [row["id"] for row in page["results"]] + back
        url = page["previous"]
    assert back == sorted(made)[:6]


def test_a_new_row_does_not_shift_a_page_already_linked(cast):
    first = [draft_position(cast, f"Position {n}").pk for n in range(4)]
    client = token_client(cast.reviewer)
    page = client.get(api("position-list"), {"page_size": 2}).json()
    draft_position(cast, "Added while paging")
    second = client.get(page["next"]).json()
    assert [row["id"] for row in second["results"]] == first[2:]


def grow(cast, make_agreed, times: int) -> None:
    """More of everything in ICS A: positions, votes, briefs, responses, meetings, agendas
    and their audit events (each round starts again from named ballots)."""
    for _ in range(times):
        TermsOfReference.objects.filter(group=cast.group).update(ballot="named")
        build_world(cast, make_agreed)


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, {"page_size": 200})
    assert response.status_code == 200
    return len(queries)


def test_each_list_costs_the_same_queries_however_many_rows(world, make_agreed):
    client = token_client(world.cast.reviewer)
    before = {name: _queries(client, api(f"{name}-list")) for name in LISTS}
    grow(world.cast, make_agreed, 2)
    assert Vote.objects.count() == 6 and AgendaVersion.objects.count() == 6
    after = {name: _queries(client, api(f"{name}-list")) for name in LISTS}
    assert after == before
