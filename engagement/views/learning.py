"""Learning reviews: flag an agreed position (its group's chair) or a board action (its
board's secretary) for a review, record what the review found, cancel it; a list per ICS
(reviewers see all of it, chairs and secretaries theirs) and a page per review (for the
readers of its position or board).

Another ICS's review is a 404; a person of the ICS who may not see or do it gets a 403.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from crispy_forms.layout import Layout
from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef, Q
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path, reverse
from django.views.decorators.http import require_GET

from boards import access as board_access
from boards.models import Action, BoardSeat
from engagement.access import (
    LEARNING_LISTERS_ONLY,
    ics_for_learning_list,
    is_learning_lister,
)
from engagement.models.learning import LearningReview
from engagement.services import learning as services
from groups import access as group_access
from groups.forms.common import NHSForm, text
from groups.models import ICS, GroupMembership, Position, today
from groups.views.common import GET_POST, attempt, posted
from icsvoice.forms_nhsuk import DateField
from icsvoice.http import AuthedRequest
from icsvoice.models import User
from icsvoice.registry import has_role, ics_ids_for

State = LearningReview.State
Outcome = LearningReview.Outcome
CANDIDATES = 50  # actions offered for flagging on the list page, newest first

# --- Access ------------------------------------------------------------------------------------


def _review(pk: int) -> LearningReview:
    review = (
        LearningReview.objects.select_related(
            "ics",
            "group",
            "board",
            "position__current_version",
            "action__meeting",
            "flagged_by",
            "recorded_by",
            "cancelled_by",
            "follows",
            "followed_by",
        )
        .filter(pk=pk)
        .first()
    )
    if review is None:
        raise Http404("No such learning review.")
    return review


def review_for_reader(*, user: User, review_id: int) -> LearningReview:
    """A position's review for its group's readers (members, chair, the ICS's reviewers); an
    action's for its board's (seat holders, reviewers)."""
    review = _review(review_id)
    if review.ics_id not in ics_ids_for(user):
        raise Http404("No such learning review.")
    if review.group_id is not None:
        group_access.group_for_reader(user=user, group_id=review.group_id)
    else:
        assert review.board_id is not None
        board_access.board_for_reader(user=user, board_id=review.board_id)
    return review


def review_for_recorder(*, user: User, review_id: int) -> LearningReview:
    """The group's chair for a position's review; the board's secretary for an action's."""
    review = review_for_reader(user=user, review_id=review_id)
    if review.group_id is not None:
        group_access.group_for_chair(user=user, group_id=review.group_id)
    else:
        assert review.board_id is not None
        board_access.board_for_secretary(user=user, board_id=review.board_id)
    return review


def _may_record(user: User, review: LearningReview) -> bool:
    if review.group is not None:
        return group_access.is_chair(user, review.group)
    assert review.board is not None
    return board_access.is_secretary(user, review.board)


# --- Forms -----------------------------------------------------------------------------------

DATE_ERRORS = {
    "required": "Enter the date",
    "incomplete": "The date must include a %(missing)s",
    "invalid": "The date must be a real date",
    "year": "Year must include 4 numbers",
}


def _after_choices(start: dt.date) -> list[tuple[str, str]]:
    months = [
        (str(n), f"In {n} months ({services.months_after(start, n):%-d %B %Y})")
        for n in services.AFTER_MONTHS
    ]
    return [*months, ("date", "On a date of your choice")]


def _due(form: forms.Form, data: dict[str, Any], after: str, on: str) -> dt.date | None:
    """The due date the form asks for, or an error on the right field."""
    choice = data.get(after)
    if not choice:
        return None
    if choice == "date" and not data.get(on):
        if on not in form.errors:
            form.add_error(on, "Enter the date the review is due")
        return None
    try:
        return services.due_date(after=choice, on=data.get(on))
    except services.LearningError as error:
        form.add_error(on if choice == "date" else after, str(error))
        return None


class FlagForm(NHSForm):
    after = forms.ChoiceField(
        label="When should it be reviewed?",
        widget=forms.RadioSelect,
        error_messages={
            "required": "Choose when the review is due",
            "invalid_choice": "Choose when the review is due",
        },
    )
    on = DateField(
        label="If on a date of your choice, which date?",
        required=False,
        help_text="For example, 15 9 2027",
        error_messages=DATE_ERRORS,
    )
    look_at = text(
        "What should the review look at?",
        max_length=services.LOOK_AT_MAX,
        rows=5,
        help_text="What to check when the time comes: what was meant to change, and how you "
        "will know whether it did.",
        missing="Enter what the review should look at",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        after: Any = self.fields["after"]
        after.choices = _after_choices(today())
        # Plain fields, not a conditional reveal: nhsuk-frontend marks a revealing radio
        # aria-expanded, which axe refuses on a radio.
        self.helper.layout = Layout("after", "on", "look_at")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        data["due_on"] = _due(self, data, "after", "on")
        return data


class RecordForm(NHSForm):
    outcome = forms.ChoiceField(
        label="Did it work?",
        choices=Outcome.choices,
        widget=forms.RadioSelect,
        error_messages={
            "required": "Choose whether it worked",
            "invalid_choice": "Choose whether it worked",
        },
    )
    what_happened = text(
        "What happened",
        max_length=services.TEXT_MAX,
        rows=5,
        required=False,
        help_text="What changed, for whom, and what the evidence shows.",
    )
    learned = text(
        "What was learned",
        max_length=services.TEXT_MAX,
        rows=5,
        help_text="What the group or board would do the same, or differently, next time.",
        missing="Enter what was learned",
    )
    next_steps = text(
        "What to do next",
        max_length=services.TEXT_MAX,
        rows=4,
        required=False,
    )
    next_after = forms.ChoiceField(
        label="If it is too early to tell, when should it be looked at again?",
        widget=forms.RadioSelect,
        required=False,
        help_text="Only for “too early to tell”: a new review is then due on that date.",
        error_messages={"invalid_choice": "Choose when it should be looked at again"},
    )
    next_on = DateField(
        label="If on a date of your choice, which date?",
        required=False,
        help_text="For example, 15 9 2027",
        error_messages=DATE_ERRORS,
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        after: Any = self.fields["next_after"]
        after.choices = _after_choices(today())
        self.helper.layout = Layout(
            "outcome", "what_happened", "learned", "next_steps", "next_after", "next_on"
        )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("outcome") != Outcome.TOO_EARLY:
            # The new date is only for "too early to tell": anything typed there is ignored.
            self.errors.pop("next_after", None)
            self.errors.pop("next_on", None)
            data["next_due_on"] = None
            return data
        if not data.get("next_after") and "next_after" not in self.errors:
            self.add_error("next_after", "Choose when it should be looked at again")
        data["next_due_on"] = _due(self, data, "next_after", "next_on")
        return data


class CancelForm(NHSForm):
    reason = text(
        "Why is the review cancelled?",
        max_length=services.TEXT_MAX,
        rows=4,
        help_text="Kept with the review, and shown wherever it is.",
        missing="Enter why the review is cancelled",
    )


# --- Pages -----------------------------------------------------------------------------------


def _crumbs_for(user: User, review: LearningReview) -> list[tuple[str, str]]:
    if is_learning_lister(user, review.ics_id):
        return [("Learning reviews", reverse("engagement:learning-list", args=[review.ics_id]))]
    return [_subject_link(review)]


def _subject_link(review: LearningReview) -> tuple[str, str]:
    if review.position_id is not None:
        return review.subject_title, reverse("groups:position-detail", args=[review.position_id])
    assert review.board_id is not None
    return "Action log", reverse("boards:action-log", args=[review.board_id])


def _form_page(
    request: AuthedRequest,
    form: forms.Form,
    *,
    heading: str,
    caption: str,
    button: str,
    crumbs: list[tuple[str, str]],
    **extra: Any,
) -> HttpResponse:
    return render(
        request,
        "engagement/learning/form.html",
        {
            "form": form,
            "heading": heading,
            "caption": caption,
            "button": button,
            "crumbs": crumbs,
            "parent_label": crumbs[-1][0],
            "parent_url": crumbs[-1][1],
            **extra,
        },
    )


@login_required
@require_GET
def learning_home(request: AuthedRequest) -> HttpResponse:
    """Straight to the person's ICS; a choice when they have learning reviews in several."""
    ics_ids = sorted(i for i in ics_ids_for(request.user) if is_learning_lister(request.user, i))
    if not ics_ids:
        raise PermissionDenied(LEARNING_LISTERS_ONLY)
    if len(ics_ids) == 1:
        return redirect("engagement:learning-list", ics_id=ics_ids[0])
    systems = ICS.objects.filter(pk__in=ics_ids).order_by("name")
    return render(request, "engagement/learning/home.html", {"systems": systems, "crumbs": []})


@login_required
@require_GET
def learning_list(request: AuthedRequest, ics_id: int) -> HttpResponse:
    user = request.user
    ics = ics_for_learning_list(user=user, ics_id=ics_id)
    reviewer = has_role(user, "ics_reviewer", ics_id=ics_id)
    chaired = list(
        GroupMembership.objects.current()
        .filter(user=user, role=GroupMembership.Role.CHAIR, group__ics_id=ics_id)
        .values_list("group_id", flat=True)
    )
    boards = list(
        BoardSeat.objects.current()
        .filter(user=user, role=BoardSeat.Role.SECRETARY, board__ics_id=ics_id)
        .values_list("board_id", flat=True)
    )
    reviews = LearningReview.objects.filter(ics=ics)
    if not reviewer:
        reviews = reviews.filter(Q(group_id__in=chaired) | Q(board_id__in=boards))
    rows = list(
        reviews.select_related("position__current_version", "action", "group", "board").order_by(
            "due_on", "pk"
        )
    )
    day = today()
    open_rows = [r for r in rows if r.state == State.OPEN]
    done = sorted(
        (r for r in rows if r.state == State.DONE),
        key=lambda r: (r.recorded_at, r.pk),
        reverse=True,
    )
    cancelled = sorted(
        (r for r in rows if r.state == State.CANCELLED),
        key=lambda r: (r.cancelled_at, r.pk),
        reverse=True,
    )
    open_review = LearningReview.objects.filter(state=State.OPEN)
    positions = (
        list(
            Position.objects.filter(group_id__in=chaired, state=Position.State.AGREED)
            .exclude(Exists(open_review.filter(position=OuterRef("pk"))))
            .select_related("current_version", "group")
            .order_by("-updated_at", "-pk")
        )
        if chaired
        else []
    )
    actions = (
        list(
            Action.objects.filter(meeting__board_id__in=boards)
            .exclude(Exists(open_review.filter(action=OuterRef("pk"))))
            .select_related("meeting__board")
            .order_by("-due_on", "-pk")[:CANDIDATES]
        )
        if boards
        else []
    )
    return render(
        request,
        "engagement/learning/list.html",
        {
            "ics": ics,
            "crumbs": [],
            "open_rows": [(r, r.due_on < day, services.is_due(r, day)) for r in open_rows],
            "done": done,
            "cancelled": cancelled,
            "positions": positions,
            "actions": actions,
            "may_flag": bool(chaired or boards),
            "candidates_limit": CANDIDATES,
        },
    )


@login_required
@require_GET
def learning_review(request: AuthedRequest, pk: int) -> HttpResponse:
    review = review_for_reader(user=request.user, review_id=pk)
    try:
        following = review.followed_by
    except LearningReview.DoesNotExist:
        following = None
    day = today()
    return render(
        request,
        "engagement/learning/review.html",
        {
            "review": review,
            "crumbs": _crumbs_for(request.user, review),
            "subject": _subject_link(review),
            "following": following,
            "may_record": review.is_open and _may_record(request.user, review),
            "due": services.is_due(review, day),
            "overdue": review.is_open and review.due_on < day,
            "recordable_from": services.recordable_from(review),
        },
    )


def _flag(
    request: AuthedRequest,
    *,
    subject: Position | Action,
    caption: str,
    crumbs: list[tuple[str, str]],
    existing: LearningReview | None,
    **extra: Any,
) -> HttpResponse:
    form = FlagForm(posted(request))
    if request.method == "POST" and existing is None and form.is_valid():
        data = form.cleaned_data
        if isinstance(subject, Position):
            review = attempt(
                form,
                lambda: services.learning_flag_position(
                    position=subject,
                    due_on=data["due_on"],
                    look_at=data["look_at"],
                    actor=request.user,
                ),
            )
        else:
            review = attempt(
                form,
                lambda: services.learning_flag_action(
                    action=subject,
                    due_on=data["due_on"],
                    look_at=data["look_at"],
                    actor=request.user,
                ),
            )
        if review is not None:
            messages.success(
                request, f"Flagged for a learning review, due {review.due_on:%-d %B %Y}."
            )
            return redirect("engagement:learning-review", review.pk)
    return _form_page(
        request,
        form,
        heading="Flag for a learning review",
        caption=caption,
        button="Flag for review",
        crumbs=crumbs,
        existing=existing,
        lede="Set a time to look back at whether this worked. When the review is due, it "
        "appears on your home page, and you record what happened and what was learned.",
        **extra,
    )


def _open_review(**subject: Any) -> LearningReview | None:
    return LearningReview.objects.filter(state=State.OPEN, **subject).first()


@login_required
@GET_POST
def flag_position(request: AuthedRequest, position_id: int) -> HttpResponse:
    position = group_access.position_for_chair(user=request.user, position_id=position_id)
    if position.state != Position.State.AGREED:
        raise Http404("No such agreed position.")
    return _flag(
        request,
        subject=position,
        caption=position.title,
        crumbs=[
            ("Learning reviews", reverse("engagement:learning-list", args=[position.group.ics_id])),
            (position.title, reverse("groups:position-detail", args=[position.pk])),
        ],
        existing=_open_review(position=position),
    )


@login_required
@GET_POST
def flag_action(request: AuthedRequest, action_id: int) -> HttpResponse:
    action = board_access.action_for_secretary(user=request.user, action_id=action_id)
    board = action.meeting.board
    return _flag(
        request,
        subject=action,
        caption=f"{board.name}: action from {action.meeting.title}",
        crumbs=[
            ("Learning reviews", reverse("engagement:learning-list", args=[board.ics_id])),
            ("Action log", reverse("boards:action-log", args=[board.pk])),
        ],
        existing=_open_review(action=action),
        action=action,
    )


def _review_crumbs(user: User, review: LearningReview) -> list[tuple[str, str]]:
    return [
        *_crumbs_for(user, review),
        ("The review", reverse("engagement:learning-review", args=[review.pk])),
    ]


@login_required
@GET_POST
def record(request: AuthedRequest, pk: int) -> HttpResponse:
    review = review_for_recorder(user=request.user, review_id=pk)
    form = RecordForm(posted(request))
    refusal = ""
    if not review.is_open:
        refusal = f"This review is already {review.get_state_display().lower()}."
    elif not services.is_due(review):
        refusal = (
            f"This review is due on {review.due_on:%-d %B %Y}. You can record it from "
            f"{services.recordable_from(review):%-d %B %Y}."
        )
    if request.method == "POST" and not refusal and form.is_valid():
        data = form.cleaned_data
        recorded = attempt(
            form,
            lambda: services.learning_record(
                review=review,
                outcome=data["outcome"],
                what_happened=data["what_happened"],
                learned=data["learned"],
                next_steps=data["next_steps"],
                next_due_on=data["next_due_on"],
                actor=request.user,
            ),
        )
        if recorded is not None:
            if recorded.outcome == Outcome.TOO_EARLY:
                following = LearningReview.objects.get(follows=recorded)
                messages.success(
                    request,
                    f"The review is recorded. The next one is due {following.due_on:%-d %B %Y}.",
                )
                return redirect("engagement:learning-review", following.pk)
            messages.success(request, "The review is recorded.")
            return redirect("engagement:learning-review", recorded.pk)
    return _form_page(
        request,
        form,
        heading="Record the learning review",
        caption=review.subject_title,
        button="Record the review",
        crumbs=_review_crumbs(request.user, review),
        review=review,
        refusal=refusal,
    )


@login_required
@GET_POST
def cancel(request: AuthedRequest, pk: int) -> HttpResponse:
    review = review_for_recorder(user=request.user, review_id=pk)
    form = CancelForm(posted(request))
    refusal = (
        "" if review.is_open else (f"This review is already {review.get_state_display().lower()}.")
    )
    if request.method == "POST" and not refusal and form.is_valid():
        cancelled = attempt(
            form,
            lambda: services.learning_cancel(
                review=review, reason=form.cleaned_data["reason"], actor=request.user
            ),
        )
        if cancelled is not None:
            messages.success(request, "The learning review is cancelled.")
            return redirect("engagement:learning-review", cancelled.pk)
    return _form_page(
        request,
        form,
        heading="Cancel the learning review",
        caption=review.subject_title,
        button="Cancel the review",
        warning=True,
        crumbs=_review_crumbs(request.user, review),
        review=review,
        refusal=refusal,
    )


urlpatterns: list[URLPattern] = [
    path("learning/", learning_home, name="learning-home"),
    path("learning/<int:ics_id>/", learning_list, name="learning-list"),
    path("learning/reviews/<int:pk>/", learning_review, name="learning-review"),
    path("learning/reviews/<int:pk>/record/", record, name="learning-record"),
    path("learning/reviews/<int:pk>/cancel/", cancel, name="learning-cancel"),
    path(
        "learning/positions/<int:position_id>/flag/", flag_position, name="learning-flag-position"
    ),
    path("learning/actions/<int:action_id>/flag/", flag_action, name="learning-flag-action"),
]
