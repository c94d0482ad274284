"""What the learning reviews register with the kernel when the app starts: where a review's
group and board are (the audit trail), the home page's "Learning reviews due" card, and the
review steps of a position's journey."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Q
from django.urls import reverse

from boards.models import BoardSeat
from engagement.access import reviewed_ics_ids
from engagement.models.learning import LearningReview
from engagement.services.learning import DUE_NOTICE_DAYS
from groups.models import GroupMembership, Position, today
from icsvoice.audit import register_scope
from icsvoice.models import User
from icsvoice.registry import (
    CardItem,
    HomeCard,
    JourneyStep,
    register_home_card,
    register_position_journey,
)

State = LearningReview.State
CARD_ROLES = frozenset({"group_chair", "board_secretary", "ics_reviewer"})


def _day(value: dt.date) -> str:
    return f"{value:%-d %B %Y}"


def visible_reviews(user: User) -> Q:
    """The reviews a person looks after or oversees: their chaired groups', their boards'
    as secretary, and every review of an ICS they review. Subqueries, not queries."""
    chaired = GroupMembership.objects.current().filter(user=user, role=GroupMembership.Role.CHAIR)
    secretary = BoardSeat.objects.current().filter(user=user, role=BoardSeat.Role.SECRETARY)
    scope = Q(group__in=chaired.values("group")) | Q(board__in=secretary.values("board"))
    reviewed = reviewed_ics_ids(user)
    if reviewed:
        scope |= Q(ics_id__in=reviewed)
    return scope


def reviews_due(user: User) -> list[CardItem]:
    """Open reviews due within the notice period or overdue, that the person looks after or
    oversees: one query, however many."""
    day = today()
    reviews = (
        LearningReview.objects.filter(
            visible_reviews(user),
            state=State.OPEN,
            due_on__lte=day + dt.timedelta(days=DUE_NOTICE_DAYS),
        )
        .select_related("position__current_version", "action", "group", "board")
        .order_by("due_on", "pk")
    )
    items = []
    for review in reviews:
        if review.due_on < day:
            late = (day - review.due_on).days
            when = f"was due {_day(review.due_on)} ({late} day{'s' * (late != 1)} ago)"
        elif review.due_on == day:
            when = "due today"
        else:
            when = f"due {_day(review.due_on)}"
        items.append(
            CardItem(
                label=review.subject_title,
                url=reverse("engagement:learning-review", args=[review.pk]),
                detail=f"{review.where}: {when}",
                urgent=review.due_on < day,
                urgent_label="Overdue",
            )
        )
    return items


def journey_steps(position: Any) -> list[JourneyStep]:
    """A position's learning reviews: flagged, what each found, or cancelled. No query
    unless the position is agreed (only those are flagged); then one."""
    if getattr(position, "state", None) != Position.State.AGREED:
        return []
    reviews = list(
        LearningReview.objects.filter(position_id=position.pk).order_by("flagged_at", "pk")
    )
    next_of = {review.follows_id: review for review in reviews if review.follows_id}
    steps: list[tuple[dt.datetime, int, JourneyStep]] = []
    for review in reviews:
        url = reverse("engagement:learning-review", args=[review.pk])
        if review.follows_id is None:
            steps.append(
                (
                    review.flagged_at,
                    review.pk,
                    JourneyStep(
                        label="Flagged for a learning review",
                        when=review.flagged_at,
                        text=f"Due {_day(review.due_on)}. What to look at: {review.look_at}",
                        url=url,
                    ),
                )
            )
        if review.state == State.DONE and review.recorded_at is not None:
            text = f"Learned: {review.learned}"
            following = next_of.get(review.pk)
            if following is not None:
                text += f" The next review is due {_day(following.due_on)}."
            steps.append(
                (
                    review.recorded_at,
                    review.pk,
                    JourneyStep(
                        label=f"Learning review: {review.get_outcome_display().lower()}",
                        when=review.recorded_at,
                        text=text,
                        url=url,
                    ),
                )
            )
        elif review.state == State.CANCELLED and review.cancelled_at is not None:
            steps.append(
                (
                    review.cancelled_at,
                    review.pk,
                    JourneyStep(
                        label="Learning review cancelled",
                        when=review.cancelled_at,
                        text=f"Reason: {review.cancel_reason}",
                        url=url,
                    ),
                )
            )
    steps.sort(key=lambda s: (s[0], s[1]))
    return [step for _, _, step in steps]


def register() -> None:
    register_scope(LearningReview, group="group_id", board="board_id")
    register_home_card(
        HomeCard(
            key="learning_reviews_due",
            title="Learning reviews due",
            for_roles=CARD_ROLES,
            items=reviews_due,
            order=70,
            empty="No learning reviews are due. Reviews appear here two weeks before their "
            "due date.",
        )
    )
    register_position_journey(journey_steps)
