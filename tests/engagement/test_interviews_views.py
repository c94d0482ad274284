"""Exit interview pages through the client: who may open each (signed out, wrong role 403,
another ICS 404), confidentiality (only named readers see who and what; other reviewers,
chairs and site administrators do not), the forms and their errors, and query counts that
stay flat as interviews, questions, themes and staff grow."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from engagement.models.interviews import ExitInterview, InterviewQuestion
from engagement.reports import Period, financial_year
from engagement.services import interviews as services
from engagement.views.reports import period_query
from groups.models import GroupMembership
from icsvoice.models import OutboxMessage
from tests import factories as f
from tests.engagement.test_interviews import (
    SECRET,
    answered,
    build_themes,
    invite,
    other_chair,
    other_reviewer,
)
from tests.helpers import page, sign_in

pytestmark = pytest.mark.django_db


def _as(client, person):
    client.logout()
    return sign_in(client, person)


def staff_pages(cast) -> list[str]:
    question = services.questions_ensure(ics=cast.ics, actor=cast.chair)[0]
    ics = cast.ics.pk
    return [
        reverse("engagement:interviews", args=[ics]),
        reverse("engagement:interview-invite", args=[ics]),
        reverse("engagement:interview-questions", args=[ics]),
        reverse("engagement:interview-question-reword", args=[ics, question.pk]),
        reverse("engagement:interview-report", args=[ics]),
    ]


# --- Access ----------------------------------------------------------------------------------


def test_staff_pages_are_for_the_icss_reviewers_and_group_chairs(client, cast):
    urls = staff_pages(cast)
    for url in urls:
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("account_login"))
    admin = f.UserFactory(email="admin@example.nhs.uk", is_superuser=True, is_staff=True)
    for person, status in (
        (cast.gp_lead, 403),
        (cast.gp_rep, 403),
        (cast.secretary, 403),
        (cast.board_member, 403),
        (cast.outsider, 404),
        (admin, 404),
        (cast.reviewer, 200),
        (cast.chair, 200),
    ):
        _as(client, person)
        assert [client.get(url).status_code for url in urls] == [status] * len(urls), person
    assert client.get(reverse("engagement:interviews", args=[999999])).status_code == 404
    theirs = services.questions_ensure(ics=cast.other_ics, actor=cast.outsider)[0]
    other = reverse("engagement:interview-question-reword", args=[cast.ics.pk, theirs.pk])
    assert client.get(other).status_code == 404


def test_retiring_a_question_is_a_post_for_staff(client, cast):
    question = services.questions_ensure(ics=cast.ics, actor=cast.chair)[0]
    url = reverse("engagement:interview-question-retire", args=[cast.ics.pk, question.pk])
    assert client.post(url).status_code == 302 and client.post(url)["Location"].startswith(
        reverse("account_login")
    )
    assert _as(client, cast.gp_lead).post(url).status_code == 403
    assert _as(client, cast.outsider).post(url).status_code == 404
    assert _as(client, cast.chair).get(url).status_code == 405
    response = client.post(url)
    assert response["Location"] == reverse("engagement:interview-questions", args=[cast.ics.pk])
    question.refresh_from_db()
    assert question.retired_at is not None
    again = client.post(url, follow=True)
    assert "already retired" in again.content.decode()


def test_only_named_readers_open_an_interview(client, cast):
    second = other_reviewer(cast)
    chair_b = other_chair(cast)
    interview = answered(cast, readers=[cast.reviewer, chair_b])
    services.themes_ensure(cast.ics)
    urls = [
        reverse("engagement:interview-detail", args=[interview.pk]),
        reverse("engagement:interview-themes", args=[interview.pk]),
        reverse("engagement:interview-resend", args=[interview.pk]),
    ]
    admin = f.UserFactory(email="admin@example.nhs.uk", is_superuser=True, is_staff=True)
    admin_reviewer = f.UserFactory(email="admin.rev@example.nhs.uk", is_superuser=True)
    f.IcsReviewerFactory(ics=cast.ics, user=admin_reviewer)
    for person, status in (
        (cast.reviewer, 200),
        (chair_b, 200),
        (second, 403),  # a reviewer of the ICS, not named
        (cast.chair, 403),  # a chair of the ICS, not named
        (admin_reviewer, 403),  # a site administrator is no exception
        (cast.gp_lead, 403),
        (cast.outsider, 404),
        (admin, 404),
    ):
        _as(client, person)
        got = [client.get(url).status_code for url in urls]
        assert got == [status] * 3, person
        if status != 200:
            assert SECRET not in client.get(urls[0]).content.decode()
    for url in urls:
        client.logout()
        assert client.get(url).status_code == 302
    _as(client, cast.reviewer)
    assert client.get(reverse("engagement:interview-detail", args=[999999])).status_code == 404


def test_a_reader_sends_the_link_again_through_the_page(client, cast):
    interview = invite(cast)
    detail = reverse("engagement:interview-detail", args=[interview.pk])
    url = reverse("engagement:interview-resend", args=[interview.pk])
    _as(client, cast.reviewer)
    assert url in client.get(detail).content.decode()
    bad = client.post(url, {"email": "lee@"})
    assert bad.status_code == 200 and "nhsuk-error-summary" in bad.content.decode()
    assert "Enter an email address in the correct format" in bad.content.decode()
    assert OutboxMessage.objects.filter(kind=services.INVITATION_KIND).count() == 1
    response = client.post(url, {"email": ""})
    assert response.status_code == 302 and response["Location"] == detail
    assert "A new link is on its way to lee@gp.example.nhs.uk" in page(client.get(detail))
    assert OutboxMessage.objects.filter(kind=services.INVITATION_KIND).count() == 2
    # Answered: the page says why there is nothing to send, and a post sends nothing.
    services.answers_save(interview=interview, answers={1: SECRET}, send=True)
    assert "there is no link to send" in client.get(url).content.decode()
    refused = client.post(url, {"email": ""})
    assert refused.status_code == 200 and "there is no link to send" in refused.content.decode()
    assert OutboxMessage.objects.filter(kind=services.INVITATION_KIND).count() == 2


def test_a_reader_who_is_no_longer_staff_cannot_read(client, cast):
    interview = answered(cast, readers=[cast.chair])
    GroupMembership.objects.filter(user=cast.chair, group=cast.group).update(role="member")
    url = reverse("engagement:interview-detail", args=[interview.pk])
    assert _as(client, cast.chair).get(url).status_code == 403


def test_the_list_shows_others_only_that_an_interview_exists_and_its_state(client, cast):
    second = other_reviewer(cast)
    mine = answered(cast, name="Dr Mine Leaver", readers=[second])
    theirs = invite(cast, name="Dr Hidden Leaver", email="hidden@x.nhs.uk")
    lapsed = invite(cast, name="Dr Lapsed Leaver", email="lapsed@x.nhs.uk")
    ExitInterview.objects.filter(pk=lapsed.pk).update(
        closes_on=timezone.localdate() - dt.timedelta(days=1)
    )
    body = page(_as(client, second).get(reverse("engagement:interviews", args=[cast.ics.pk])))
    assert "3 interviews" in body and "You are a named reader of 1 of them." in body
    assert "Dr Mine Leaver" in body and f'id="interview-{mine.pk}"' in body
    assert "Dr Hidden Leaver" not in body and "Dr Lapsed Leaver" not in body
    assert "hidden@x.nhs.uk" not in body and "Riverside" in body  # only their own row's role
    assert body.count("Riverside") == 1
    assert f'id="interview-{theirs.pk}"' not in body
    for tag in ("Answered", "Invited", "Lapsed"):
        assert f">{tag}</strong>" in body
    chair_body = page(
        _as(client, cast.chair).get(reverse("engagement:interviews", args=[cast.ics.pk]))
    )
    assert "Leaver" not in chair_body.replace("Invite a leaver", "")


# --- The forms -------------------------------------------------------------------------------


def _invite_data(**change):
    close = timezone.localdate() + dt.timedelta(days=21)
    data = {
        "name": "Dr Pat Leaver",
        "email": "pat@gp.example.nhs.uk",
        "role_left": "Salaried GP, Riverside Surgery",
        "role_kind": "salaried_gp",
        "leaving_on[day]": str(close.day),
        "leaving_on[month]": str(close.month),
        "leaving_on[year]": str(close.year),
        "closes_on[day]": str(close.day),
        "closes_on[month]": str(close.month),
        "closes_on[year]": str(close.year),
    }
    data.update(change)
    return data


def test_a_chair_invites_a_leaver_with_named_readers(client, cast):
    url = reverse("engagement:interview-invite", args=[cast.ics.pk])
    body = page(_as(client, cast.chair).get(url))
    assert "Riya Reviewer (reviewer@a.example.nhs.uk)" in body
    assert "Dr Asha Lead" not in body  # members are not offered as readers
    checked = re.findall(r'name="readers" type="checkbox" value="(\d+)"\s+checked', body)
    assert checked == [str(cast.chair.pk)]  # the inviter, by default
    response = client.post(url, _invite_data(readers=[cast.chair.pk, cast.reviewer.pk]))
    interview = ExitInterview.objects.get()
    assert response["Location"] == reverse("engagement:interview-detail", args=[interview.pk])
    assert set(interview.readers.all()) == {cast.chair, cast.reviewer}
    assert interview.invited_by == cast.chair and interview.role_kind == "salaried_gp"
    detail = page(client.get(response["Location"]))
    assert "The invitation is on its way to pat@gp.example.nhs.uk" in detail
    assert "The leaver has not sent their answers yet." in detail


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"readers": []}, "Choose at least one named reader"),
        ({"email": "not-an-address"}, "Enter an email address in the correct format"),
        ({"closes_on[day]": "31", "closes_on[month]": "2"}, "must be a real date"),
        ({"closes_on[year]": "2001"}, "today or in the future"),
        ({"readers": ["999999"]}, "Choose named readers from the list"),
        ({"role_kind": "astronaut"}, "Choose the kind of role from the list"),
    ],
)
def test_a_wrong_invitation_gets_a_clear_message(client, cast, change, message):
    url = reverse("engagement:interview-invite", args=[cast.ics.pk])
    data = {"readers": [cast.reviewer.pk], **change}
    response = _as(client, cast.reviewer).post(url, _invite_data(**data))
    assert response.status_code == 200
    body = response.content.decode()
    assert "There is a problem" in body and message in body
    assert not ExitInterview.objects.exists()


def test_staff_add_and_reword_questions(client, cast):
    url = reverse("engagement:interview-questions", args=[cast.ics.pk])
    body = page(_as(client, cast.reviewer).get(url))
    assert services.DEFAULT_QUESTIONS[0] in body
    missing = client.post(url, {"text": ""})
    assert "Enter the question" in missing.content.decode()
    added = client.post(url, {"text": "Would you come back?"}, follow=True)
    assert "The question is added" in added.content.decode()
    question = InterviewQuestion.objects.get(text="Would you come back?")
    reword = reverse("engagement:interview-question-reword", args=[cast.ics.pk, question.pk])
    same = client.post(reword, {"text": "Would you come back?"})
    assert "The wording is the same" in same.content.decode()
    done = client.post(reword, {"text": "Would you ever come back?"}, follow=True)
    assert "Interviews already sent keep the wording they had" in done.content.decode()
    services.question_retire(question=question, actor=cast.reviewer)
    assert "This question is retired" in client.get(reword).content.decode()


def test_a_reader_tags_themes_through_the_page(client, cast):
    interview = answered(cast)
    url = reverse("engagement:interview-themes", args=[interview.pk])
    body = page(_as(client, cast.reviewer).get(url))
    assert "Family and health" in body
    nothing = client.post(url, {})
    assert "Choose at least one theme, or add a new one" in nothing.content.decode()
    workload = cast.ics.interview_themes.get(name="Workload")
    done = client.post(url, {"themes": [workload.pk], "new_theme": "Indemnity"}, follow=True)
    text = done.content.decode()
    assert "The themes are saved." in text and "Indemnity" in text and SECRET in text
    assert sorted(t.name for t in interview.themes.all()) == ["Indemnity", "Workload"]
    waiting = invite(cast, email="later@x.nhs.uk")
    refused = client.get(reverse("engagement:interview-themes", args=[waiting.pk]))
    assert "once the leaver has sent their answers" in refused.content.decode()


def test_the_themes_report_page_shows_fewer_than_3(client, cast):
    build_themes(cast)
    period = financial_year(timezone.localdate())
    url = reverse("engagement:interview-report", args=[cast.ics.pk])
    body = page(_as(client, cast.chair).get(f"{url}?{period_query(period)}"))
    assert 'id="answered-count">5<' in body
    assert "GP partner (not shown)" in body and "Salaried GP (fewer than 3)" in body
    assert body.count("fewer than 3") >= 8
    assert "Dr Lee Leaver" not in body and SECRET not in body and "Riverside" not in body
    bad = client.get(f"{url}?start[day]=31&start[month]=2&start[year]=2026")
    assert bad.status_code == 200 and "There is a problem" in bad.content.decode()
    assert 'id="answered-count"' not in bad.content.decode()


def test_the_themes_report_takes_whole_financial_years_only(client, cast):
    """Two periods a day apart would single out the leaver who answered on that day."""
    build_themes(cast)
    url = reverse("engagement:interview-report", args=[cast.ics.pk])
    today = timezone.localdate()
    year = financial_year(today)
    _as(client, cast.chair)
    for period in (Period(year.start, today), Period(today - dt.timedelta(days=30), today)):
        refused = client.get(f"{url}?{period_query(period)}").content.decode()
        assert "Choose a whole financial year" in refused and "There is a problem" in refused
        assert 'id="answered-count"' not in refused
    last = financial_year(year.start - dt.timedelta(days=1))
    shown = page(client.get(f"{url}?{period_query(last)}"))
    assert 'id="answered-count">fewer than 3<' in shown


def test_the_leavers_page_and_thanks_need_no_sign_in(client, cast):
    assert client.get(reverse("engagement:interview-thanks")).status_code == 200
    assert client.put(reverse("engagement:interview-thanks")).status_code == 405


# --- Query counts ----------------------------------------------------------------------------


def _grow(cast, n: int, start: int) -> None:
    """n answered interviews read by the reviewer, with themes, and as many questions,
    themes and staff reviewers more."""
    services.themes_ensure(cast.ics)
    for i in range(start, start + n):
        reader = other_reviewer(cast, email=f"reader{i}@a.example.nhs.uk")
        interview = answered(cast, email=f"l{i}@x.nhs.uk", readers=[cast.reviewer, reader])
        services.question_add(ics=cast.ics, text=f"Question {i}?", actor=cast.reviewer)
        services.themes_tag(
            interview=interview, theme_ids=[], new_theme=f"Theme {i}", actor=cast.reviewer
        )


def test_pages_keep_flat_query_counts(client, cast, django_assert_max_num_queries):
    _grow(cast, 1, 0)
    first = ExitInterview.objects.order_by("id").first()
    today = timezone.localdate()
    period = period_query(financial_year(today))
    ics = cast.ics.pk
    urls = [
        reverse("engagement:interviews", args=[ics]),
        reverse("engagement:interview-invite", args=[ics]),
        reverse("engagement:interview-questions", args=[ics]),
        reverse("engagement:interview-report", args=[ics]) + "?" + period,
        reverse("engagement:interview-detail", args=[first.pk]),
        reverse("engagement:interview-themes", args=[first.pk]),
        reverse("engagement:interview-resend", args=[first.pk]),
    ]
    _as(client, cast.reviewer)
    for url in urls:
        client.get(url)  # first visits make the defaults
    counts = {}
    for url in [*urls, _link(cast, "before@x.nhs.uk")]:
        with django_assert_max_num_queries(40) as captured:
            assert client.get(url).status_code == 200
        counts[url.split("/respond/")[0]] = len(captured.captured_queries)
    _grow(cast, 3, 1)
    for url in [*urls, _link(cast, "after@x.nhs.uk")]:
        with django_assert_max_num_queries(counts[url.split("/respond/")[0]]):
            assert client.get(url).status_code == 200


def _link(cast, email: str) -> str:
    """A leaver's page for a new interview (asked every question so far)."""
    interview = invite(cast, email=email)
    row = OutboxMessage.objects.get(kind=services.INVITATION_KIND, object_id=str(interview.pk))
    return services.mint_link(row)


def test_the_home_card_lists_answered_interviews_waiting_for_themes(client, cast):
    interview = answered(cast, readers=[cast.reviewer])
    body = _as(client, cast.reviewer).get(reverse("home")).content.decode()
    card = body.split('id="card-exit_interviews"', 1)[1].split("</li>", 1)[0]
    assert reverse("engagement:interview-detail", args=[interview.pk]) in card
    assert "Dr Lee Leaver" not in card
    chair = _as(client, cast.chair).get(reverse("home")).content.decode()
    assert "No answered exit interviews are waiting for you" in chair
    services.themes_ensure(cast.ics)
    services.themes_tag(
        interview=interview, theme_ids=[], new_theme="Workload", actor=cast.reviewer
    )
    again = _as(client, cast.reviewer).get(reverse("home")).content.decode()
    assert reverse("engagement:interview-detail", args=[interview.pk]) not in again
