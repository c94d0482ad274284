"""Learning review pages through the client: who may see and do what (200, 403 for a wrong
role in the ICS, 404 for another ICS, sign-in when signed out), flagging and recording
through the forms, bad input shown in the NHS error summary with nothing saved, the home
page's card for each role, and query counts that stay flat as reviews grow."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from boards.models import BoardSeat
from engagement.hooks.learning import reviews_due
from engagement.models.learning import LearningReview
from engagement.services import learning as services
from groups.models import today
from icsvoice.models import AuditEvent
from icsvoice.registry import roles_for
from tests import factories as f
from tests.engagement.test_learning import flag_action, flag_position, make_action, soon
from tests.helpers import page, sign_in, title

pytestmark = pytest.mark.django_db

State = LearningReview.State
Outcome = LearningReview.Outcome


def _as(client, person):
    client.logout()
    return sign_in(client, person)


def _dates(prefix: str, day: dt.date | tuple[str, str, str]) -> dict[str, str]:
    parts = (str(day.day), str(day.month), str(day.year)) if isinstance(day, dt.date) else day
    return {f"{prefix}[day]": parts[0], f"{prefix}[month]": parts[1], f"{prefix}[year]": parts[2]}


@pytest.fixture
def action(cast):
    return make_action(cast.board, cast.secretary, cast.board_member)


@pytest.fixture
def reviews(cast, agreed, action):
    """A position's review and an action's, both due in a week (so recordable now)."""
    return flag_position(cast, agreed), flag_action(cast, action)


@pytest.fixture
def other_secretary(cast):
    secretary = f.UserFactory(email="secretary@b.example.nhs.uk", full_name="Otis Othersec")
    f.BoardSeatFactory(board=cast.other_board, user=secretary, role=BoardSeat.Role.SECRETARY)
    return secretary


def _check(client, cast, url: str, allowed, refused, method: str = "get") -> None:
    client.logout()
    response = getattr(client, method)(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))
    for person in allowed:
        assert getattr(_as(client, person), method)(url).status_code in (200, 302), person
    for person in refused:
        assert getattr(_as(client, person), method)(url).status_code == 403, person
    assert getattr(_as(client, cast.outsider), method)(url).status_code == 404


# --- Access ----------------------------------------------------------------------------------


def test_the_list_is_for_reviewers_chairs_and_secretaries(client, cast, reviews):
    url = reverse("engagement:learning-list", args=[cast.ics.pk])
    _check(
        client,
        cast,
        url,
        allowed=(cast.reviewer, cast.chair, cast.secretary),
        refused=(cast.gp_lead, cast.gp_rep, cast.board_member),
    )
    assert _as(client, cast.chair).post(url).status_code == 405
    assert client.get(
        reverse("engagement:learning-list", args=[cast.other_ics.pk])
    ).status_code == (404)
    assert client.get(reverse("engagement:learning-list", args=[999999])).status_code == 404
    # Where to start: straight to the person's ICS.
    home = reverse("engagement:learning-home")
    assert client.get(home)["Location"] == url
    assert _as(client, cast.gp_lead).get(home).status_code == 403


def test_a_review_page_is_for_the_readers_of_its_position_or_board(client, cast, reviews):
    on_position, on_action = reviews
    _check(
        client,
        cast,
        reverse("engagement:learning-review", args=[on_position.pk]),
        allowed=(cast.chair, cast.gp_lead, cast.gp_rep, cast.reviewer),
        refused=(cast.secretary, cast.board_member),
    )
    _check(
        client,
        cast,
        reverse("engagement:learning-review", args=[on_action.pk]),
        allowed=(cast.secretary, cast.board_member, cast.gp_rep, cast.reviewer),
        refused=(cast.chair, cast.gp_lead),
    )
    assert client.get(reverse("engagement:learning-review", args=[999999])).status_code == 404


@pytest.mark.parametrize("name", ["engagement:learning-record", "engagement:learning-cancel"])
@pytest.mark.parametrize("method", ["get", "post"])
def test_recording_and_cancelling_are_for_the_chair_or_the_secretary(
    client, cast, reviews, name, method
):
    on_position, on_action = reviews
    _check(
        client,
        cast,
        reverse(name, args=[on_position.pk]),
        allowed=(cast.chair,),
        refused=(cast.gp_lead, cast.reviewer, cast.secretary),
        method=method,
    )
    _check(
        client,
        cast,
        reverse(name, args=[on_action.pk]),
        allowed=(cast.secretary,),
        refused=(cast.board_member, cast.reviewer, cast.chair),
        method=method,
    )
    assert not LearningReview.objects.exclude(state=State.OPEN).exists()  # empty posts


@pytest.mark.parametrize("method", ["get", "post"])
def test_flagging_is_for_the_chair_or_the_secretary(client, cast, agreed, action, method):
    _check(
        client,
        cast,
        reverse("engagement:learning-flag-position", args=[agreed.pk]),
        allowed=(cast.chair,),
        refused=(cast.gp_lead, cast.reviewer, cast.secretary),
        method=method,
    )
    _check(
        client,
        cast,
        reverse("engagement:learning-flag-action", args=[action.pk]),
        allowed=(cast.secretary,),
        refused=(cast.board_member, cast.reviewer, cast.chair),
        method=method,
    )
    assert not LearningReview.objects.exists()
    assert (
        _as(client, cast.chair)
        .put(reverse("engagement:learning-flag-position", args=[agreed.pk]))
        .status_code
        == 405
    )


def test_a_position_not_agreed_cannot_be_flagged(client, cast):
    from groups import services as group_services

    draft = group_services.position_draft(
        group=cast.group, actor=cast.gp_lead, title="A draft", summary="S.", ask="A."
    )
    _as(client, cast.chair)
    url = reverse("engagement:learning-flag-position", args=[draft.pk])
    assert client.get(url).status_code == 404
    assert client.get(reverse("engagement:learning-flag-action", args=[999999])).status_code == 404


# --- Flag, record, cancel through the forms ------------------------------------------------


def test_a_chair_flags_a_position_and_records_its_review(client, cast, agreed):
    _as(client, cast.chair)
    url = reverse("engagement:learning-flag-position", args=[agreed.pk])
    body = page(client.get(url))
    assert title(body).startswith("Flag for a learning review")
    assert f"In 3 months ({services.months_after(today(), 3):%-d %B %Y})" in body
    response = client.post(
        url, {"after": "date", **_dates("on", soon(5)), "look_at": "Fewer A&E attendances?"}
    )
    review = LearningReview.objects.get()
    assert response["Location"] == reverse("engagement:learning-review", args=[review.pk])
    assert review.due_on == soon(5) and review.flagged_by == cast.chair
    body = page(client.get(response["Location"]))
    assert "Flagged for a learning review, due" in body
    assert 'id="record-review"' in body

    record = reverse("engagement:learning-record", args=[review.pk])
    response = client.post(
        record,
        {
            "outcome": "partly_worked",
            "what_happened": "Two places of three.",
            "learned": "Hubs need a GP on site.",
            "next_steps": "Staff the third hub.",
            "next_after": "3",  # ignored: only for "too early to tell"
        },
    )
    assert response["Location"] == reverse("engagement:learning-review", args=[review.pk])
    review.refresh_from_db()
    assert (review.state, review.outcome) == (State.DONE, Outcome.PARTLY_WORKED)
    assert not LearningReview.objects.filter(follows=review).exists()
    body = page(client.get(response["Location"]))
    assert "Hubs need a GP on site." in body and "Partly worked" in body
    # Recorded: the form says so rather than recording twice.
    assert "This review is already recorded." in client.get(record).content.decode()
    # The position's page shows the step.
    position_page = client.get(reverse("groups:position-detail", args=[agreed.pk])).content
    assert "Learning review: partly worked" in position_page.decode()


def test_too_early_to_tell_sets_a_new_due_date(client, cast, action):
    review = flag_action(cast, action)
    _as(client, cast.secretary)
    response = client.post(
        reverse("engagement:learning-record", args=[review.pk]),
        {"outcome": "too_early", "learned": "One month of data.", "next_after": "6"},
    )
    following = LearningReview.objects.get(follows=review)
    assert response["Location"] == reverse("engagement:learning-review", args=[following.pk])
    assert following.due_on == services.months_after(today(), 6)
    assert following.state == State.OPEN
    body = page(client.get(response["Location"]))
    assert f"The next one is due {following.due_on:%-d %B %Y}" in body
    assert "found it too early to tell" in body


def test_a_secretary_cancels_a_review(client, cast, action):
    review = flag_action(cast, action)
    _as(client, cast.secretary)
    response = client.post(
        reverse("engagement:learning-cancel", args=[review.pk]), {"reason": "Withdrawn."}
    )
    assert response.status_code == 302
    review.refresh_from_db()
    assert review.state == State.CANCELLED
    body = page(client.get(response["Location"]))
    assert "Reason: Withdrawn." in body


def test_a_review_not_yet_due_says_when_it_can_be_recorded(client, cast, agreed):
    review = flag_position(cast, agreed, soon(60))
    _as(client, cast.chair)
    body = page(client.get(reverse("engagement:learning-record", args=[review.pk])))
    assert f"You can record it from {soon(60 - services.DUE_NOTICE_DAYS):%-d %B %Y}" in body
    assert "<form" not in body.split("<main", 1)[1]
    client.post(
        reverse("engagement:learning-record", args=[review.pk]),
        {"outcome": "worked", "learned": "x"},
    )
    assert LearningReview.objects.get(pk=review.pk).state == State.OPEN


def test_a_position_already_flagged_points_at_its_review(client, cast, agreed):
    review = flag_position(cast, agreed)
    _as(client, cast.chair)
    url = reverse("engagement:learning-flag-position", args=[agreed.pk])
    body = page(client.get(url))
    assert "already has a learning review due on" in body
    assert reverse("engagement:learning-review", args=[review.pk]) in body
    client.post(url, {"after": "3", "look_at": "Again"})
    assert LearningReview.objects.count() == 1


# --- Bad input -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "messages"),
    [
        ({}, ["Choose when the review is due", "Enter what the review should look at"]),
        ({"after": "date", "look_at": "x"}, ["Enter the date the review is due"]),
        ({"after": "date", **_dates("on", ("31", "2", "2030")), "look_at": "x"}, ["real date"]),
        ({"after": "date", **_dates("on", ("1", "", "2030")), "look_at": "x"}, ["a month"]),
        ({"after": "date", **_dates("on", today()), "look_at": "x"}, ["must be in the future"]),
        ({"after": "date", **_dates("on", ("1", "1", "2099")), "look_at": "x"}, ["5 years"]),
        ({"after": "9", "look_at": "x"}, ["Choose when the review is due"]),
        ({"after": "3", "look_at": "<b>x</b>"}, ["must be plain text"]),
    ],
)
def test_a_bad_flag_shows_the_error_summary_and_saves_nothing(client, cast, agreed, data, messages):
    _as(client, cast.chair)
    response = client.post(reverse("engagement:learning-flag-position", args=[agreed.pk]), data)
    assert response.status_code == 200
    body = page(response)
    assert title(body).startswith("Error: Flag for a learning review")
    summary = body.split('class="nhsuk-error-summary"', 1)[1].split("</ul>", 1)[0]
    for message in messages:
        assert message in summary
    assert not LearningReview.objects.exists()
    assert not AuditEvent.objects.filter(event__startswith="learning.").exists()


@pytest.mark.parametrize(
    ("data", "messages"),
    [
        ({}, ["Choose whether it worked", "Enter what was learned"]),
        ({"outcome": "too_early", "learned": "x"}, ["Choose when it should be looked at again"]),
        ({"outcome": "too_early", "learned": "x", "next_after": "date"}, ["Enter the date"]),
        (
            {
                "outcome": "too_early",
                "learned": "x",
                "next_after": "date",
                **_dates("next_on", today()),
            },
            ["must be in the future"],
        ),
        ({"outcome": "sort_of", "learned": "x"}, ["Choose whether it worked"]),
        ({"outcome": "worked", "learned": "<script>x</script>"}, ["must be plain text"]),
    ],
)
def test_a_bad_record_shows_the_error_summary_and_saves_nothing(
    client, cast, action, data, messages
):
    review = flag_action(cast, action)
    _as(client, cast.secretary)
    response = client.post(reverse("engagement:learning-record", args=[review.pk]), data)
    assert response.status_code == 200
    body = page(response)
    assert title(body).startswith("Error: Record the learning review")
    summary = body.split('class="nhsuk-error-summary"', 1)[1].split("</ul>", 1)[0]
    for message in messages:
        assert message in summary
    assert LearningReview.objects.get().state == State.OPEN
    assert not AuditEvent.objects.filter(event="learning.review_recorded").exists()


def test_a_cancel_without_a_reason_is_refused(client, cast, action):
    review = flag_action(cast, action)
    _as(client, cast.secretary)
    body = page(client.post(reverse("engagement:learning-cancel", args=[review.pk]), {}))
    assert "Enter why the review is cancelled" in body
    assert LearningReview.objects.get().state == State.OPEN


# --- The home page card --------------------------------------------------------------------


def _card(user) -> list[tuple[str, bool]]:
    return [(item.label, item.urgent) for item in reviews_due(user)]


def test_the_home_card_shows_each_role_its_reviews(client, cast, agreed, action, other_secretary):
    on_position = flag_position(cast, agreed)
    on_action = flag_action(cast, action)
    LearningReview.objects.filter(pk=on_action.pk).update(due_on=today() - dt.timedelta(days=3))
    later = flag_action(cast, make_action(cast.board, cast.secretary, cast.board_member, "Later"))
    LearningReview.objects.filter(pk=later.pk).update(due_on=soon(services.DUE_NOTICE_DAYS + 1))
    theirs = make_action(cast.other_board, other_secretary, other_secretary, "ICS B's action")
    flag_action_b = services.learning_flag_action(
        action=theirs, due_on=soon(), look_at="B", actor=other_secretary
    )
    title_a = agreed.title
    assert _card(cast.chair) == [(title_a, False)]
    assert _card(cast.secretary) == [("Bring the estates plan", True)]
    assert _card(cast.reviewer) == [("Bring the estates plan", True), (title_a, False)]
    assert _card(other_secretary) == [("ICS B's action", False)]
    for person in (cast.gp_lead, cast.board_member, cast.outsider):
        assert _card(person) == []
    detail = reviews_due(cast.secretary)[0].detail
    three_ago = today() - dt.timedelta(days=3)
    assert detail == f"ICS A Integrated Care Board: was due {three_ago:%-d %B %Y} (3 days ago)"
    assert flag_action_b.ics == cast.other_ics

    body = _as(client, cast.reviewer).get(reverse("home")).content.decode()
    card = body.split('id="card-learning_reviews_due"', 1)[1].split('id="card-', 1)[0]
    assert "Learning reviews due" in card and "Overdue" in card
    assert reverse("engagement:learning-review", args=[on_position.pk]) in card
    assert "ICS B" not in card
    body = _as(client, cast.gp_lead).get(reverse("home")).content.decode()
    assert 'id="card-learning_reviews_due"' not in body


def test_the_home_card_takes_one_query_however_many(cast, make_agreed, django_assert_num_queries):
    def add(n: int) -> None:
        for i in range(n):
            flag_position(cast, make_agreed(f"Position {i} {LearningReview.objects.count()}"))
            flag_action(cast, make_action(cast.board, cast.secretary, cast.board_member, f"A{i}"))

    for person in (cast.chair, cast.secretary, cast.reviewer):
        roles_for(person)  # the home page has them already
    add(1)
    for person in (cast.chair, cast.secretary, cast.reviewer):
        with django_assert_num_queries(1):
            reviews_due(person)
    add(2)
    for person, count in ((cast.chair, 3), (cast.secretary, 3), (cast.reviewer, 6)):
        with django_assert_num_queries(1):
            assert len(reviews_due(person)) == count


# --- Lists and pages: flat query counts ----------------------------------------------------


def test_the_list_shows_each_kind_and_what_may_be_flagged(client, cast, make_agreed, action):
    flagged = make_agreed("Flagged already")
    flag_position(cast, flagged)
    waiting = make_agreed("Waiting to be flagged")
    done = flag_action(cast, action)
    services.learning_record(
        review=done, outcome=Outcome.WORKED, learned="It landed.", actor=cast.secretary
    )
    body = page(
        _as(client, cast.chair).get(reverse("engagement:learning-list", args=[cast.ics.pk]))
    )
    due_table = body.split('id="learning-due"', 1)[1].split("</table>", 1)[0]
    assert "Flagged already" in due_table
    assert 'id="learning-recorded"' not in body  # the chair does not see the board's
    flag_list = body.split('id="flag-positions"', 1)[1].split("</ul>", 1)[0]
    assert "Waiting to be flagged" in flag_list and "Flagged already" not in flag_list
    assert reverse("engagement:learning-flag-position", args=[waiting.pk]) in flag_list
    body = page(
        _as(client, cast.reviewer).get(reverse("engagement:learning-list", args=[cast.ics.pk]))
    )
    assert "Bring the estates plan" in body.split('id="learning-recorded"', 1)[1]
    assert 'id="flag"' not in body  # reviewers only read


def test_pages_keep_a_flat_query_count(client, cast, make_agreed):
    def add(n: int) -> None:
        for i in range(n):
            position = make_agreed(f"P{i} {LearningReview.objects.count()}")
            review = flag_position(cast, position)
            services.learning_record(
                review=review, outcome=Outcome.WORKED, learned="Yes.", actor=cast.chair
            )
            flag_position(cast, position, soon(40))
            flag_action(cast, make_action(cast.board, cast.secretary, cast.board_member, f"A{i}"))

    def count(person, url) -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return len(queries)

    list_url = reverse("engagement:learning-list", args=[cast.ics.pk])
    home_url = reverse("home")
    add(1)
    before = {}
    for person in (cast.chair, cast.secretary, cast.reviewer):
        _as(client, person)
        before[person.pk] = (count(person, list_url), count(person, home_url))
    add(2)
    for person in (cast.chair, cast.secretary, cast.reviewer):
        _as(client, person)
        assert (count(person, list_url), count(person, home_url)) == before[person.pk], person
    review = LearningReview.objects.filter(state=State.DONE).first()
    _as(client, cast.reviewer)
    assert count(cast.reviewer, reverse("engagement:learning-review", args=[review.pk])) <= 14


def test_a_person_in_two_icss_chooses_one(client, cast):
    f.IcsReviewerFactory(ics=cast.other_ics, user=cast.reviewer)
    body = page(_as(client, cast.reviewer).get(reverse("engagement:learning-home")))
    for ics in (cast.ics, cast.other_ics):
        assert reverse("engagement:learning-list", args=[ics.pk]) in body


def test_the_group_page_links_only_to_the_engagement_pages_each_member_may_open(client, cast):
    """Every member sees the register and the log; exit interviews and learning reviews are
    the chair's (as ICS staff's), so a GP lead is never shown a link that would refuse them."""
    group_page = reverse("groups:group-detail", args=[cast.group.pk])
    links = {
        reverse("engagement:register", args=[cast.ics.pk]),
        reverse("engagement:log", args=[cast.ics.pk]),
        reverse("engagement:interviews", args=[cast.ics.pk]),
        reverse("engagement:learning-list", args=[cast.ics.pk]),
    }
    for person in (cast.chair, cast.gp_lead):
        body = page(_as(client, person).get(group_page))
        shown = {link for link in links if f'href="{link}"' in body}
        assert shown
        for link in shown:
            assert client.get(link).status_code == 200, (person, link)
        client.logout()
    chair_sees = page(_as(client, cast.chair).get(group_page))
    assert all(f'href="{link}"' in chair_sees for link in links)
