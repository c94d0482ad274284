"""Learning reviews through the services: flag and record for a position and a board action,
"too early to tell" opening the next review, cancelling, every refusal, the audit events,
the position's journey and the reminder on the due date. The pages are in
test_learning_views.py, the report's figures in test_learning_report.py."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from boards.models import Action, BoardSeat
from boards.services import conduct as conduct_services
from boards.services import meetings as meeting_services
from engagement.hooks.learning import journey_steps
from engagement.models.learning import LearningReview
from engagement.services import learning as services
from engagement.services.learning import LearningError
from groups import services as group_services
from groups.models import today
from icsvoice.errors import DomainError
from icsvoice.models import AuditEvent, OutboxMessage
from icsvoice.registry import position_journey
from tests import factories as f

pytestmark = pytest.mark.django_db

Outcome = LearningReview.Outcome
State = LearningReview.State


def soon(days: int = 7) -> dt.date:
    return today() + dt.timedelta(days=days)


def make_action(board, secretary, owner, description: str = "Bring the estates plan") -> Action:
    """An action from a meeting a month ahead, through the board's services."""
    meeting = meeting_services.meeting_schedule(
        board=board,
        title="Board meeting in public",
        starts_at=timezone.now() + dt.timedelta(days=30),
        location="Civic Centre",
        actor=secretary,
    )
    return conduct_services.action_add(
        meeting=meeting,
        description=description,
        owner=owner,
        due_on=meeting.day + dt.timedelta(days=14),
        actor=secretary,
    )


def flag_position(cast, position, due_on: dt.date | None = None) -> LearningReview:
    return services.learning_flag_position(
        position=position,
        due_on=due_on or soon(),
        look_at="Did same-day demand fall at A&E?",
        actor=cast.chair,
    )


def flag_action(cast, action, due_on: dt.date | None = None) -> LearningReview:
    return services.learning_flag_action(
        action=action,
        due_on=due_on or soon(),
        look_at="Did the estates plan land?",
        actor=cast.secretary,
    )


def events(name: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(event=name).order_by("id"))


@pytest.fixture
def action(cast):
    return make_action(cast.board, cast.secretary, cast.board_member)


# --- Flag and record, both kinds ------------------------------------------------------------


def test_a_chair_flags_an_agreed_position_and_records_its_review(cast, agreed):
    review = flag_position(cast, agreed)
    assert (review.state, review.group, review.board, review.ics) == (
        State.OPEN,
        cast.group,
        None,
        cast.ics,
    )
    flagged = events("learning.review_flagged")[-1]
    assert flagged.object_type == "engagement.learningreview"
    assert flagged.role == "group_chair" and flagged.group_id == cast.group.pk
    assert flagged.payload["due_on"] == soon().isoformat()

    services.learning_record(
        review=review,
        outcome=Outcome.PARTLY_WORKED,
        what_happened="Attendances fell in two places of three.",
        learned="Hubs need a GP on site.",
        next_steps="Staff the third hub.",
        actor=cast.chair,
    )
    review.refresh_from_db()
    assert review.state == State.DONE and review.outcome == Outcome.PARTLY_WORKED
    assert review.recorded_by == cast.chair and review.learned == "Hubs need a GP on site."
    recorded = events("learning.review_recorded")[-1]
    assert recorded.payload == {"outcome": "partly_worked", "due_on": soon().isoformat()}
    assert recorded.group_id == cast.group.pk
    # Done: nothing open any more, so the position can be flagged again.
    assert flag_position(cast, agreed, soon(60)).state == State.OPEN


def test_a_secretary_flags_a_board_action_and_records_its_review(cast, action):
    review = flag_action(cast, action)
    assert (review.board, review.group, review.ics) == (cast.board, None, cast.ics)
    flagged = events("learning.review_flagged")[-1]
    assert flagged.role == "board_secretary" and flagged.board_id == cast.board.pk
    services.learning_record(
        review=review,
        outcome=Outcome.DID_NOT_WORK,
        learned="No money behind it.",
        actor=cast.secretary,
    )
    review.refresh_from_db()
    assert review.outcome == Outcome.DID_NOT_WORK and review.what_happened == ""
    assert events("learning.review_recorded")[-1].board_id == cast.board.pk


def test_too_early_to_tell_records_the_review_and_opens_the_next_one(cast, agreed):
    review = flag_position(cast, agreed)
    later = soon(120)
    services.learning_record(
        review=review,
        outcome=Outcome.TOO_EARLY,
        learned="Only one month of data.",
        next_due_on=later,
        actor=cast.chair,
    )
    review.refresh_from_db()
    following = review.followed_by
    assert review.state == State.DONE and review.outcome == Outcome.TOO_EARLY
    assert (following.state, following.due_on, following.look_at) == (
        State.OPEN,
        later,
        review.look_at,
    )
    assert following.position == agreed and following.group == cast.group
    assert events("learning.review_recorded")[-1].payload["next_due_on"] == later.isoformat()
    assert events("learning.review_flagged")[-1].payload == {
        "follows": review.pk,
        "due_on": later.isoformat(),
    }
    # The new due date is needed, and must be in the future.
    second = flag_action(cast, make_action(cast.board, cast.secretary, cast.board_member))
    with pytest.raises(LearningError, match="Enter the date the next review is due"):
        services.learning_record(
            review=second, outcome=Outcome.TOO_EARLY, learned="x", actor=cast.secretary
        )
    with pytest.raises(LearningError, match="must be in the future"):
        services.learning_record(
            review=second,
            outcome=Outcome.TOO_EARLY,
            learned="x",
            next_due_on=today(),
            actor=cast.secretary,
        )
    assert LearningReview.objects.get(pk=second.pk).state == State.OPEN


def test_a_review_is_cancelled_with_a_reason(cast, action):
    review = flag_action(cast, action)
    with pytest.raises(LearningError, match="Enter the reason for cancelling"):
        services.learning_cancel(review=review, reason="  ", actor=cast.secretary)
    services.learning_cancel(
        review=review, reason="The action was withdrawn.", actor=cast.secretary
    )
    review.refresh_from_db()
    assert review.state == State.CANCELLED and review.cancelled_by == cast.secretary
    assert events("learning.review_cancelled")[-1].payload["reason"] == "The action was withdrawn."
    with pytest.raises(LearningError, match="already been recorded or cancelled"):
        services.learning_cancel(review=review, reason="Again.", actor=cast.secretary)
    with pytest.raises(LearningError, match="already been recorded or cancelled"):
        services.learning_record(
            review=review, outcome=Outcome.WORKED, learned="x", actor=cast.secretary
        )


# --- Refusals ------------------------------------------------------------------------------


def test_only_the_chair_flags_only_an_agreed_position_once(cast, agreed):
    for person in (cast.gp_lead, cast.reviewer, cast.secretary):
        with pytest.raises(DomainError, match="Only the chair of this group"):
            services.learning_flag_position(
                position=agreed, due_on=soon(), look_at="x", actor=person
            )
    flag_position(cast, agreed)
    draft = group_services.position_draft(
        group=cast.group, actor=cast.gp_lead, title="A draft", summary="S.", ask="A."
    )
    with pytest.raises(LearningError, match="Only an agreed position"):
        flag_position(cast, draft)
    with pytest.raises(LearningError, match="already has a learning review due on"):
        flag_position(cast, agreed, soon(30))
    assert LearningReview.objects.count() == 1


def test_only_the_secretary_flags_an_action_once(cast, action):
    with pytest.raises(DomainError, match="Only this board's secretary"):
        services.learning_flag_action(
            action=action, due_on=soon(), look_at="x", actor=cast.board_member
        )
    flag_action(cast, action)
    with pytest.raises(LearningError, match="already has a learning review due on"):
        flag_action(cast, action)
    assert LearningReview.objects.count() == 1


@pytest.mark.parametrize(
    ("days", "look_at", "message"),
    [
        (0, "x", "must be in the future"),
        (6 * 366, "x", "within 5 years"),
        (7, "  ", "Enter what the review should look at"),
        (7, "<script>alert(1)</script>", "must be plain text"),
        (7, "x" * 2001, "2000 characters or fewer"),
    ],
)
def test_bad_flags_are_refused_and_nothing_is_saved(cast, agreed, days, look_at, message):
    with pytest.raises(DomainError, match=message):
        services.learning_flag_position(
            position=agreed, due_on=soon(days), look_at=look_at, actor=cast.chair
        )
    assert not LearningReview.objects.exists()
    assert not events("learning.review_flagged")


def test_recording_is_for_the_same_role_once_the_review_is_due(cast, agreed, action):
    review = flag_position(cast, agreed, soon(services.DUE_NOTICE_DAYS + 1))
    with pytest.raises(LearningError, match="not due yet: it can be recorded from"):
        services.learning_record(
            review=review, outcome=Outcome.WORKED, learned="x", actor=cast.chair
        )
    LearningReview.objects.filter(pk=review.pk).update(due_on=soon(services.DUE_NOTICE_DAYS))
    review.refresh_from_db()
    for person in (cast.gp_lead, cast.reviewer, cast.secretary):
        with pytest.raises(DomainError, match="Only the chair of this group"):
            services.learning_record(
                review=review, outcome=Outcome.WORKED, learned="x", actor=person
            )
    with pytest.raises(LearningError, match="Enter what was learned"):
        services.learning_record(
            review=review, outcome=Outcome.WORKED, learned=" ", actor=cast.chair
        )
    with pytest.raises(LearningError, match="Choose whether it worked"):
        services.learning_record(review=review, outcome="maybe", learned="x", actor=cast.chair)
    on_board = flag_action(cast, action)
    with pytest.raises(DomainError, match="Only this board's secretary"):
        services.learning_record(
            review=on_board, outcome=Outcome.WORKED, learned="x", actor=cast.chair
        )
    assert not LearningReview.objects.filter(state=State.DONE).exists()
    assert not events("learning.review_recorded")


def test_due_dates_in_months_keep_the_day_or_take_the_months_last(cast):
    assert services.months_after(dt.date(2026, 8, 31), 6) == dt.date(2027, 2, 28)
    assert services.months_after(dt.date(2027, 11, 30), 3) == dt.date(2028, 2, 29)
    assert services.months_after(dt.date(2026, 1, 15), 12) == dt.date(2027, 1, 15)
    assert services.due_date(after="3", on=None) == services.months_after(today(), 3)
    with pytest.raises(LearningError, match="Choose when the review is due"):
        services.due_date(after="7", on=None)


# --- The journey ---------------------------------------------------------------------------


def test_the_positions_journey_shows_each_review(cast, agreed, django_assert_num_queries):
    review = flag_position(cast, agreed)
    services.learning_record(
        review=review,
        outcome=Outcome.TOO_EARLY,
        learned="One month of data.",
        next_due_on=soon(90),
        actor=cast.chair,
    )
    following = LearningReview.objects.get(follows=review)
    LearningReview.objects.filter(pk=following.pk).update(due_on=soon(3))
    following.refresh_from_db()
    services.learning_record(
        review=following,
        outcome=Outcome.PARTLY_WORKED,
        learned="Hubs need a GP on site.",
        actor=cast.chair,
    )
    agreed.refresh_from_db()
    with django_assert_num_queries(1):
        steps = journey_steps(agreed)
    assert [s.label for s in steps] == [
        "Flagged for a learning review",
        "Learning review: too early to tell",
        "Learning review: partly worked",
    ]
    assert steps[0].text == (
        f"Due {soon():%-d %B %Y}. What to look at: Did same-day demand fall at A&E?"
    )
    assert (
        steps[1].text == f"Learned: One month of data. The next review is due {soon(3):%-d %B %Y}."
    )
    assert steps[2].text == "Learned: Hubs need a GP on site."
    assert steps[2].url == f"/learning/reviews/{following.pk}/"
    # Registered with the kernel: the group's position page shows them.
    assert [s.label for s in position_journey(agreed)][-1] == "Learning review: partly worked"
    # A draft costs no query.
    draft = group_services.position_draft(
        group=cast.group, actor=cast.gp_lead, title="A draft", summary="S.", ask="A."
    )
    with django_assert_num_queries(0):
        assert journey_steps(draft) == []


# --- The reminder on the due date ----------------------------------------------------------


def test_the_reminder_goes_once_to_whoever_records_it(cast, agreed, action):
    on_position = flag_position(cast, agreed)
    on_action = flag_action(cast, action)
    later = flag_action(cast, make_action(cast.board, cast.secretary, cast.board_member, "Later"))
    second_secretary = f.UserFactory(email="sec2@a.example.nhs.uk")
    f.BoardSeatFactory(board=cast.board, user=second_secretary, role=BoardSeat.Role.SECRETARY)
    LearningReview.objects.filter(pk__in=[on_position.pk, on_action.pk]).update(due_on=today())
    assert services.remind_learning_reviews_due() == 3
    assert services.remind_learning_reviews_due() == 0  # once
    sent = OutboxMessage.objects.filter(kind=services.REMINDER)
    assert {(m.object_id, m.recipient_id) for m in sent} == {
        (str(on_position.pk), cast.chair.pk),
        (str(on_action.pk), cast.secretary.pk),
        (str(on_action.pk), second_secretary.pk),
    }
    assert str(later.pk) not in {m.object_id for m in sent}  # not due yet
    message = sent.get(recipient=cast.chair)
    assert message.url == f"/learning/reviews/{on_position.pk}/record/"
    assert "Did same-day demand fall at A&E?" in message.body
