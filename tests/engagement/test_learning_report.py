"""The influence report's "Learning reviews" section, checked against reviews built through
the services and then moved to their dates with .update(), with the figures worked out by
hand below. The period is the NHS financial year 2024/25: 1 April 2024 to 31 March 2025,
UK dates (both ends in British Summer Time, so 00:30 on 1 April 2024 is 23:30 UTC on 31
March, and counts by its UK date).

ICS A: one agreed position P, two board actions A1 and A2.

    R1  P   due  1 Apr 2024 (first day); recorded 10 Apr 2024: worked
    R3  P   due 15 Mar 2024 (before);    recorded  1 Apr 2024 00:30 (first day): partly worked
    R6  P   due  1 Jul 2024;             cancelled
    R7  P   due  1 Sep 2024;             recorded  1 Apr 2025 00:30 (the day after): did not work
    R8  P   due 10 Oct 2024;             still open
    R2  A1  due 31 Mar 2025 (last day);  still open
    R4  A2  due  1 Jun 2024;             recorded  3 Jun 2024: too early to tell, so
    R5  A2  due  1 Apr 2025 (the day after), following R4; open

    due in the period      R1 R2 R4 R7 R8 (R3 before, R5 after, R6 cancelled)     = 5
    overdue, not recorded  R2 R8 (open, due in the period, before today)          = 2 of 5
    recorded in the period R1 R3 R4 (R7 the day after)                            = 3
    by outcome             worked 1 (R1), partly 1 (R3), did not 0, too early 1 (R4)

ICS B has a review due and recorded "did not work" in the period, and one open and due in
it: had either leaked in, "due", "overdue", "recorded" and "did not work" would change.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.urls import reverse

from boards.models import BoardSeat
from engagement import reports
from engagement.models.learning import LearningReview
from engagement.services import learning as services
from engagement.views.reports import period_query
from tests import factories as f
from tests.engagement.test_learning import flag_action, flag_position, make_action, soon
from tests.engagement.test_reports import FY_2024, at
from tests.helpers import page, sign_in

pytestmark = pytest.mark.django_db

Outcome = LearningReview.Outcome


def _move(review: LearningReview, due: dt.date, recorded: dt.datetime | None = None) -> None:
    fields: dict[str, object] = {"due_on": due}
    if recorded is not None:
        fields["recorded_at"] = recorded
    LearningReview.objects.filter(pk=review.pk).update(**fields)


def _record(review: LearningReview, actor, outcome: str, **extra) -> LearningReview:
    return services.learning_record(
        review=review, outcome=outcome, learned="What we learned.", actor=actor, **extra
    )


def build(cast, position) -> None:
    chair, secretary = cast.chair, cast.secretary
    a1 = make_action(cast.board, secretary, cast.board_member, "A1")
    a2 = make_action(cast.board, secretary, cast.board_member, "A2")

    for due, recorded, outcome in (
        (dt.date(2024, 4, 1), at(2024, 4, 10), Outcome.WORKED),  # R1
        (dt.date(2024, 3, 15), at(2024, 4, 1, 0, 30), Outcome.PARTLY_WORKED),  # R3
        (dt.date(2024, 9, 1), at(2025, 4, 1, 0, 30), Outcome.DID_NOT_WORK),  # R7
    ):
        review = _record(flag_position(cast, position), chair, outcome)
        _move(review, due, recorded)
    r6 = flag_position(cast, position)
    services.learning_cancel(review=r6, reason="Superseded.", actor=chair)
    _move(r6, dt.date(2024, 7, 1))
    _move(flag_position(cast, position), dt.date(2024, 10, 10))  # R8
    _move(flag_action(cast, a1), dt.date(2025, 3, 31))  # R2
    r4 = flag_action(cast, a2)
    _record(r4, secretary, Outcome.TOO_EARLY, next_due_on=services.months_after(r4.due_on, 3))
    _move(r4, dt.date(2024, 6, 1), at(2024, 6, 3))
    _move(LearningReview.objects.get(follows=r4), dt.date(2025, 4, 1))  # R5

    # ICS B
    secretary_b = f.UserFactory(email="secretary@b.example.nhs.uk")
    f.BoardSeatFactory(board=cast.other_board, user=secretary_b, role=BoardSeat.Role.SECRETARY)
    for n, outcome in ((1, Outcome.DID_NOT_WORK), (2, None)):
        action = make_action(cast.other_board, secretary_b, secretary_b, f"B{n}")
        review = services.learning_flag_action(
            action=action,
            due_on=soon(3),
            look_at="B",
            actor=secretary_b,
        )
        if outcome:
            _record(review, secretary_b, outcome)
        _move(review, dt.date(2024, 8, 1), at(2024, 8, 2) if outcome else None)


def _values(figures) -> dict[str, tuple]:
    return {figure.key: (figure.value, figure.out_of) for figure in figures}


def test_the_learning_figures_worked_out_by_hand(cast, agreed, django_assert_num_queries):
    build(cast, agreed)
    with django_assert_num_queries(1):
        figures = reports.learning_reviews(ics=cast.ics, period=FY_2024)
    assert _values(figures) == {
        "learning_due": (5, None),
        "learning_overdue": (2, 5),
        "learning_done": (3, None),
        "learning_worked": (1, None),
        "learning_partly_worked": (1, None),
        "learning_did_not_work": (0, None),
        "learning_too_early": (1, None),
    }
    assert [figure.display for figure in figures][:3] == ["5", "2 of 5 (40%)", "3"]
    assert all(figure.definition for figure in figures)
    # ICS B's own: one due and recorded, one open, both in the period.
    theirs = _values(reports.learning_reviews(ics=cast.other_ics, period=FY_2024))
    assert theirs["learning_due"] == (2, None) and theirs["learning_overdue"] == (1, 2)
    assert theirs["learning_done"] == (1, None) and theirs["learning_did_not_work"] == (1, None)
    # The influence report carries the section.
    report = reports.influence_report(ics=cast.ics, period=FY_2024)
    assert _values(report.learning) == _values(figures)


def test_a_period_with_no_reviews_says_so(cast):
    figures = {f.key: f for f in reports.learning_reviews(ics=cast.ics, period=FY_2024)}
    assert figures["learning_due"].display == "0"
    assert figures["learning_overdue"].display == "No reviews due"
    assert figures["learning_done"].display == "0"


def test_the_report_page_shows_the_section_with_its_definitions(client, cast, agreed):
    build(cast, agreed)
    sign_in(client, cast.reviewer)
    url = f"{reverse('engagement:report', args=[cast.ics.pk])}?{period_query(FY_2024)}"
    body = page(client.get(url))
    section = body.split('id="learning-figures"', 1)[1].split("</dl>", 1)[0]

    def shown(key: str) -> str:
        found = re.search(
            rf'id="figure-{key}".*?<strong class="icsvoice-figure__value">(.*?)</strong>',
            section,
            re.S,
        )
        assert found, key
        return found.group(1)

    assert shown("learning_due") == "5"
    assert shown("learning_overdue") == "2 of 5 (40%)"
    assert shown("learning_done") == "3"
    assert shown("learning_too_early") == "1"
    assert "Learning reviews: partly worked" in section
    for definition in reports.LEARNING_DEFINITIONS.values():
        assert definition.replace("'", "&#x27;") in section
