"""The ICS reviewer's list of positions: every position of the ICS's groups, newest first,
searchable and filtered, with what each board did; how a reviewer finds any piece of primary
care input."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from boards.services import briefs as brief_services
from groups import services as gs
from tests import factories as f
from tests.boards.briefs_fixtures import held, meeting, table
from tests.helpers import page, sign_in

pytestmark = pytest.mark.django_db


def _url(cast, **query) -> str:
    url = reverse("engagement:positions", args=[cast.ics.pk])
    if query:
        url += "?" + "&".join(f"{k}={v}" for k, v in query.items())
    return url


def _draft(cast, title: str, *, group=None, summary="Summary.", ask="Ask.", author=None):
    return gs.position_draft(
        group=group or cast.group,
        actor=author or cast.gp_lead,
        title=title,
        summary=summary,
        ask=ask,
    )


def _titles(body: str) -> list[str]:
    return re.findall(r'<a href="/positions/\d+/journey/" id="journey-\d+">([^<]+)<span', body)


def _get(client, cast, **query) -> str:
    response = sign_in(client, cast.reviewer).get(_url(cast, **query))
    assert response.status_code == 200
    return page(response)


@pytest.fixture
def second_group(cast):
    group = f.LeadershipGroupFactory(ics=cast.ics, name="ICS A Place Leadership Group")
    f.TermsOfReferenceFactory(group=group, version=1)
    f.GroupMembershipFactory(group=group, user=cast.gp_lead)
    return group


@pytest.fixture
def scene(cast, make_agreed, second_group):
    """ICS A: an agreed position tabled and adopted, an agreed one not yet sent, a draft in a
    second group; ICS B: a position of its own that must never show."""
    adopted = make_agreed("Hubs for same-day access")
    at = meeting(cast.board, cast.secretary, 14)
    brief = held(table(cast, adopted, at))
    brief_services.response_record(
        brief=brief, kind="adopted", reasons="Adopted.", actor=cast.secretary
    )
    waiting = make_agreed("Estates for training practices")
    draft = _draft(
        cast,
        "Digital front doors",
        group=second_group,
        summary="Online consultation for every practice.",
        ask="Fund the licences.",
    )
    _draft(cast, "Other ICS position", group=cast.other_group, author=cast.outsider)
    return {"adopted": adopted, "waiting": waiting, "draft": draft}


def test_every_position_of_the_ics_newest_first_with_what_the_board_did(client, cast, scene):
    body = _get(client, cast)
    assert _titles(body) == [
        "Digital front doors",
        "Estates for training practices",
        "Hubs for same-day access",
    ]
    assert "Other ICS position" not in body
    assert "3 positions" in body
    row = re.search(r"Hubs for same-day access.*?</tr>", body, re.S).group(0)
    assert "ICS A Integrated Care Board" in row and ">Adopted<" in row
    assert "Not sent" in re.search(r"Estates for training.*?</tr>", body, re.S).group(0)
    draft_row = re.search(r"Digital front doors.*?</tr>", body, re.S).group(0)
    assert "ICS A Place Leadership Group" in draft_row and "Not yet" in draft_row
    assert reverse("engagement:journey", args=[scene["draft"].pk]) in body


@pytest.mark.parametrize(
    ("words", "found"),
    [
        ("hubs", ["Hubs for same-day access"]),
        ("ONLINE", ["Digital front doors"]),  # the summary, in any case
        ("licences", ["Digital front doors"]),  # the ask
        ("estates+training", ["Estates for training practices"]),  # every word must match
        ("estates+online", []),
        ("", ["Digital front doors", "Estates for training practices", "Hubs for same-day access"]),
    ],
)
def test_search_by_words_in_the_title_summary_or_ask(client, cast, scene, words, found):
    body = _get(client, cast, q=words)
    assert _titles(body) == found
    if words and not found:
        assert "No position matches" in body


def test_search_finds_words_of_an_earlier_version(client, cast, scene):
    gs.position_revise(position=scene["draft"], actor=cast.gp_lead, title="Online front doors")
    body = _get(client, cast, q="digital")
    assert _titles(body) == ["Online front doors"]


def test_filter_by_group_and_state(client, cast, scene, second_group):
    assert _titles(_get(client, cast, group=second_group.pk)) == ["Digital front doors"]
    assert _titles(_get(client, cast, state="agreed")) == [
        "Estates for training practices",
        "Hubs for same-day access",
    ]
    assert _titles(_get(client, cast, state="agreed", group=second_group.pk)) == []


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"state": "lost"}, "Choose a state from the list"),
        ({"group": "abc"}, "Choose a group from the list"),
        ({"group": "999999"}, "Choose a group from the list"),
        ({"q": "x" * 201}, "Enter 200 characters or fewer to search for"),
    ],
)
def test_bad_filters_say_what_is_wrong_and_still_list(client, cast, scene, query, message):
    body = _get(client, cast, **query)
    assert "There is a problem" in body and message in body
    assert body.count("<title>Error: ") == 1
    assert len(_titles(body)) == 3  # the bad filter is left out


def test_another_icss_group_is_not_a_filter(client, cast, scene):
    body = _get(client, cast, group=cast.other_group.pk)
    assert "Choose a group from the list" in body
    assert "Other ICS position" not in body


@pytest.mark.parametrize("bad", ["abc", "0", "-1", "99999", "1.5", "%00"])
def test_a_bad_page_number_is_never_an_error(client, cast, scene, bad):
    body = _get(client, cast, page=bad)
    assert len(_titles(body)) == 3


def test_pages_of_25_keep_the_search_and_filters(client, cast):
    for n in range(27):
        _draft(cast, f"Position {n:02d}")
    first = _get(client, cast, q="position", state="draft")
    assert len(_titles(first)) == 25
    assert _titles(first)[0] == "Position 26"
    assert "?q=position&amp;state=draft&amp;page=2" in first
    assert "Page 2 of 2" in first
    second = _get(client, cast, q="position", state="draft", page=2)
    assert _titles(second) == ["Position 01", "Position 00"]
    assert "page=1" in second and "page=3" not in second


# --- Access ----------------------------------------------------------------------------------


def test_the_icss_reviewer_sees_the_list(client, cast):
    assert sign_in(client, cast.reviewer).get(_url(cast)).status_code == 200


@pytest.mark.parametrize("who", ["gp_lead", "chair", "secretary", "gp_rep"])
def test_other_roles_in_the_ics_are_refused(client, cast, who):
    assert sign_in(client, getattr(cast, who)).get(_url(cast)).status_code == 403


def test_another_ics_is_a_404(client, cast):
    assert sign_in(client, cast.outsider).get(_url(cast)).status_code == 404
    other = reverse("engagement:positions", args=[cast.other_ics.pk])
    assert sign_in(client, cast.reviewer).get(other).status_code == 404


def test_signed_out_goes_to_sign_in_and_posts_are_refused(client, cast):
    response = client.get(_url(cast))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))
    assert sign_in(client, cast.reviewer).post(_url(cast)).status_code == 405


# --- Queries ---------------------------------------------------------------------------------


def _count(client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_the_list_keeps_its_queries_flat_as_positions_grow(client, cast, make_agreed):
    def grow(n: int) -> None:
        at = meeting(cast.board, cast.secretary, 14)
        briefs = []
        for i in range(n):
            briefs.append(table(cast, make_agreed(f"Agreed {i} at {at.pk}"), at))
            _draft(cast, f"Draft {i} at {at.pk}")
        for brief in briefs:
            brief = held(brief)
            brief_services.response_record(
                brief=brief, kind="noted", reasons="Noted.", actor=cast.secretary
            )

    sign_in(client, cast.reviewer)
    grow(2)
    client.get(_url(cast))
    few = _count(client, _url(cast, q="agreed"))
    grow(4)
    assert _count(client, _url(cast, q="agreed")) == few
    assert few <= 15
