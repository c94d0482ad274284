"""The meeting's record: the register and quorum, declarations of interest on items,
decisions, the action log and the minutes. The board's secretary records; every reader of
the board (its seat holders and the ICS's staff reviewers) reads."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.views.decorators.http import require_GET

from boards import access
from boards.forms.conduct import (
    ActionDoneForm,
    ActionForm,
    ApproveForm,
    AttendeeForm,
    DecisionForm,
    DeclarationForm,
    MinutesForm,
    RegisterForm,
)
from boards.models import Action, Meeting, Minutes
from boards.selectors import conduct as selectors
from boards.services import conduct as services
from boards.views.common import form_page
from groups.forms.common import NHSForm
from groups.views.common import GET_POST, attempt, posted
from icsvoice.http import AuthedRequest


def meeting_url(meeting: Meeting) -> str:
    return reverse("boards:meeting-detail", args=[meeting.pk])


def _meeting_context(request: AuthedRequest, meeting: Meeting, **extra: Any) -> dict[str, Any]:
    return {
        "meeting": meeting,
        "board": meeting.board,
        "is_secretary": access.is_secretary(request.user, meeting.board),
        "parent_label": str(meeting),
        "parent_url": meeting_url(meeting),
        **extra,
    }


def _meeting(request: AuthedRequest, pk: int) -> Meeting:
    """Readers may look; only the secretary may post."""
    if request.method == "POST":
        return access.meeting_for_secretary(user=request.user, meeting_id=pk)
    return access.meeting_for_reader(user=request.user, meeting_id=pk)


# --- Attendance ------------------------------------------------------------------------------


@login_required
@GET_POST
def meeting_attendance(request: AuthedRequest, pk: int) -> HttpResponse:
    meeting = _meeting(request, pk)
    register = selectors.register(meeting)
    form = RegisterForm(posted(request), rows=register.members)
    if request.method == "POST" and form.is_valid():
        saved = attempt(
            form,
            lambda: services.attendance_record(
                meeting=meeting, statuses=form.statuses(), actor=request.user
            ),
        )
        if saved is not None:
            messages.success(request, "The register is recorded.")
            return redirect("boards:meeting-attendance", meeting.pk)
    return render(
        request,
        "boards/conduct_register.html",
        _meeting_context(request, meeting, register=register, form=form),
    )


@login_required
@GET_POST
def attendance_add(request: AuthedRequest, pk: int) -> HttpResponse:
    meeting = access.meeting_for_secretary(user=request.user, meeting_id=pk)
    form = AttendeeForm(posted(request))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        attendance = attempt(
            form,
            lambda: services.attendee_add(
                meeting=meeting, person=data["person"], role=data["role"], actor=request.user
            ),
        )
        if attendance is not None:
            messages.success(
                request, f"{attendance.person.get_full_name()} is recorded as in attendance."
            )
            return redirect("boards:meeting-attendance", meeting.pk)
    return _form_page(
        request,
        form,
        meeting,
        heading="Add someone in attendance",
        lede="Someone who is not a member of the board: a director presenting an item, or an "
        "observer. Record the board's members in the register.",
        button="Add to the register",
        back=("Attendance", reverse("boards:meeting-attendance", args=[meeting.pk])),
    )


# --- Declarations ----------------------------------------------------------------------------


@login_required
@require_GET
def meeting_declarations(request: AuthedRequest, pk: int) -> HttpResponse:
    meeting = access.meeting_for_reader(user=request.user, meeting_id=pk)
    items = selectors.meeting_items(meeting)
    records = selectors.by_item(meeting, items, declared=selectors.declarations(meeting))
    return render(
        request,
        "boards/conduct_declarations.html",
        _meeting_context(request, meeting, records=records, items=items),
    )


@login_required
@GET_POST
def declaration_add(request: AuthedRequest, pk: int) -> HttpResponse:
    meeting = access.meeting_for_secretary(user=request.user, meeting_id=pk)
    items = selectors.meeting_items(meeting)
    register = selectors.register(meeting)
    people = [r.person for r in register.members] + [a.person for a in register.in_attendance]
    form = DeclarationForm(
        posted(request), people=people, items=items, initial={"item": request.GET.get("item")}
    )
    people_by_id = {p.pk: p for p in people}
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        declaration = attempt(
            form,
            lambda: services.declaration_record(
                meeting=meeting,
                item_key=data["item"],
                person=people_by_id[data["person"]],
                category=data["category"],
                interest=data["interest"],
                withdrew=data["withdrew"] == "yes",
                chair_note=data["chair_note"],
                actor=request.user,
            ),
        )
        if declaration is not None:
            messages.success(
                request,
                f"{declaration.person.get_full_name()}'s declaration is recorded"
                + (", and their withdrawal from the item." if declaration.withdrew else "."),
            )
            return redirect("boards:meeting-declarations", meeting.pk)
    return _form_page(
        request,
        form,
        meeting,
        heading="Record a declaration of interest",
        lede="Under NHS conflict of interest rules, a person who declares an interest in an "
        "item withdraws from its discussion and decision. The declaration and the withdrawal "
        "are minuted.",
        button="Record declaration",
        back=("Declarations", reverse("boards:meeting-declarations", args=[meeting.pk])),
        empty="" if items else "This meeting has no agenda items yet.",
    )


# --- Decisions and actions -------------------------------------------------------------------


@login_required
@require_GET
def meeting_decisions(request: AuthedRequest, pk: int) -> HttpResponse:
    meeting = access.meeting_for_reader(user=request.user, meeting_id=pk)
    items = selectors.meeting_items(meeting)
    actions = selectors.meeting_actions(meeting)
    decided = selectors.decisions(meeting)
    records = selectors.by_item(meeting, items, decided=decided, actions=actions)
    titles = {item.key: f"{item.order}. {item.title}" for item in items}
    return render(
        request,
        "boards/conduct_decisions.html",
        _meeting_context(
            request,
            meeting,
            records=records,
            decision_count=len(decided),
            log=selectors.action_rows(actions, titles),
            started=meeting.has_started,
        ),
    )


@login_required
@GET_POST
def decision_add(request: AuthedRequest, pk: int) -> HttpResponse:
    meeting = access.meeting_for_secretary(user=request.user, meeting_id=pk)
    items = selectors.meeting_items(meeting)
    form = DecisionForm(posted(request), items=items, initial={"item": request.GET.get("item")})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        decision = attempt(
            form,
            lambda: services.decision_record(
                meeting=meeting, text=data["text"], item_key=data["item"], actor=request.user
            ),
        )
        if decision is not None:
            messages.success(request, "The decision is recorded.")
            return redirect("boards:meeting-decisions", meeting.pk)
    return _form_page(
        request,
        form,
        meeting,
        heading="Record a decision",
        lede="As the chair stated it, so the minutes can record it.",
        button="Record decision",
        back=("Decisions and actions", reverse("boards:meeting-decisions", args=[meeting.pk])),
        refusal=""
        if meeting.has_started
        else "You can record decisions once the meeting has started.",
    )


@login_required
@GET_POST
def action_add(request: AuthedRequest, pk: int) -> HttpResponse:
    meeting = access.meeting_for_secretary(user=request.user, meeting_id=pk)
    items = selectors.meeting_items(meeting)
    owners = selectors.action_owners(meeting.board)
    owners_by_id = {o.pk: o for o in owners}
    form = ActionForm(
        posted(request), owners=owners, items=items, initial={"item": request.GET.get("item")}
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        action = attempt(
            form,
            lambda: services.action_add(
                meeting=meeting,
                description=data["description"],
                owner=owners_by_id[data["owner"]],
                due_on=data["due_on"],
                item_key=data["item"],
                actor=request.user,
            ),
        )
        if action is not None:
            messages.success(
                request,
                f"The action is in the log for {action.owner.get_full_name()}, due "
                f"{action.due_on:%-d %B %Y}.",
            )
            return redirect("boards:meeting-decisions", meeting.pk)
    return _form_page(
        request,
        form,
        meeting,
        heading="Add an action",
        lede="The owner is told, and the action stays in the board's action log until it is "
        "marked done.",
        button="Add action",
        back=("Decisions and actions", reverse("boards:meeting-decisions", args=[meeting.pk])),
    )


@login_required
@GET_POST
def action_done(request: AuthedRequest, pk: int) -> HttpResponse:
    action = access.action_for_secretary(user=request.user, action_id=pk)
    form = ActionDoneForm(posted(request))
    if request.method == "POST" and form.is_valid():
        done = attempt(
            form,
            lambda: services.action_done(
                action=action, note=form.cleaned_data["note"], actor=request.user
            ),
        )
        if done is not None:
            messages.success(request, "The action is marked done.")
            return redirect("boards:action-log", action.meeting.board_id)
    return _form_page(
        request,
        form,
        action.meeting,
        heading="Mark the action done",
        lede=f"{action.description} (owner {action.owner.get_full_name()}, due "
        f"{action.due_on:%-d %B %Y}).",
        button="Mark done",
        back=("Action log", reverse("boards:action-log", args=[action.meeting.board_id])),
        refusal="This action is already done." if action.state == Action.State.DONE else "",
    )


@login_required
@require_GET
def action_log(request: AuthedRequest, board_id: int) -> HttpResponse:
    board = access.board_for_reader(user=request.user, board_id=board_id)
    return render(
        request,
        "boards/action_log.html",
        {
            "board": board,
            "log": selectors.action_log(board),
            "is_secretary": access.is_secretary(request.user, board),
        },
    )


# --- Minutes ---------------------------------------------------------------------------------


@login_required
@require_GET
def minutes_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    meeting = access.meeting_for_reader(user=request.user, meeting_id=pk)
    record = selectors.minutes_record(meeting)
    return render(
        request,
        "boards/minutes_detail.html",
        _meeting_context(request, meeting, record=record, started=meeting.has_started),
    )


@login_required
@GET_POST
def minutes_edit(request: AuthedRequest, pk: int) -> HttpResponse:
    meeting = access.meeting_for_secretary(user=request.user, meeting_id=pk)
    minutes = Minutes.objects.filter(meeting=meeting).first()
    initial = (
        {"public_text": minutes.public_text, "private_text": minutes.private_text}
        if minutes
        else {}
    )
    form = MinutesForm(posted(request), initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if minutes is None:
            saved = attempt(
                form,
                lambda: services.minutes_draft(
                    meeting=meeting,
                    public_text=data["public_text"],
                    private_text=data["private_text"],
                    actor=request.user,
                ),
            )
        else:
            saved = attempt(
                form,
                lambda: services.minutes_change(
                    minutes=minutes,
                    public_text=data["public_text"],
                    private_text=data["private_text"],
                    actor=request.user,
                ),
            )
        if saved is not None:
            messages.success(request, "The draft minutes are saved.")
            return redirect("boards:minutes-detail", meeting.pk)
    return _form_page(
        request,
        form,
        meeting,
        heading="Edit the draft minutes" if minutes else "Draft the minutes",
        lede="The attendance, declarations, decisions and actions you recorded appear with "
        "the minutes on their own; write the discussion here. Once the board approves the "
        "minutes they cannot be changed.",
        button="Save draft minutes",
        back=("Minutes", reverse("boards:minutes-detail", args=[meeting.pk])),
        wide=True,
        refusal=_minutes_refusal(meeting, minutes),
    )


def _minutes_refusal(meeting: Meeting, minutes: Minutes | None) -> str:
    if minutes is not None and minutes.state == Minutes.State.APPROVED:
        return "These minutes have been approved, so they cannot be changed."
    if not meeting.has_started:
        return "You can draft the minutes once the meeting has started."
    return ""


@login_required
@GET_POST
def minutes_approve(request: AuthedRequest, pk: int) -> HttpResponse:
    meeting = access.meeting_for_secretary(user=request.user, meeting_id=pk)
    minutes = Minutes.objects.filter(meeting=meeting).first()
    meetings = selectors.approval_meetings(meeting)
    form = ApproveForm(posted(request), meetings=meetings)
    if request.method == "POST" and minutes is not None and form.is_valid():
        at_meeting = form.meetings[form.cleaned_data["at_meeting"]]
        approved = attempt(
            form,
            lambda: services.minutes_approve(
                minutes=minutes, at_meeting=at_meeting, actor=request.user
            ),
        )
        if approved is not None:
            messages.success(request, f"The minutes are approved, at {at_meeting}.")
            return redirect("boards:minutes-detail", meeting.pk)
    refusal = ""
    if minutes is None:
        refusal = "There are no draft minutes of this meeting to approve yet."
    elif minutes.state == Minutes.State.APPROVED:
        refusal = "These minutes have already been approved."
    elif not meetings:
        refusal = (
            "Minutes are approved at a later meeting of the board. Record the approval once "
            "that meeting has started."
        )
    return _form_page(
        request,
        form,
        meeting,
        heading="Record the approval of the minutes",
        lede="The board approves the minutes of a meeting at a later meeting. Once approved "
        "they cannot be changed, and the board's members are told.",
        button="Record approval",
        back=("Minutes", reverse("boards:minutes-detail", args=[meeting.pk])),
        refusal=refusal,
    )


def _form_page(
    request: AuthedRequest,
    form: NHSForm,
    meeting: Meeting,
    *,
    heading: str,
    lede: str,
    button: str,
    back: tuple[str, str],
    empty: str = "",
    refusal: str = "",
    wide: bool = False,
) -> HttpResponse:
    """One layout for every form about a meeting's record; `refusal` replaces the form with
    the reason it cannot be used now."""
    return form_page(
        request,
        form,
        board=meeting.board,
        heading=heading,
        button=button,
        back=back,
        caption=str(meeting),
        lede=lede,
        refusal=refusal or empty,
        wide=wide,
        meeting=meeting,
    )


urlpatterns = [
    path("meetings/<int:pk>/attendance/", meeting_attendance, name="meeting-attendance"),
    path("meetings/<int:pk>/attendance/add/", attendance_add, name="meeting-attendance-add"),
    path("meetings/<int:pk>/declarations/", meeting_declarations, name="meeting-declarations"),
    path("meetings/<int:pk>/declarations/new/", declaration_add, name="declaration-add"),
    path("meetings/<int:pk>/decisions/", meeting_decisions, name="meeting-decisions"),
    path("meetings/<int:pk>/decisions/new/", decision_add, name="decision-add"),
    path("meetings/<int:pk>/actions/new/", action_add, name="action-add"),
    path("actions/<int:pk>/done/", action_done, name="action-done"),
    path("boards/<int:board_id>/actions/", action_log, name="action-log"),
    path("meetings/<int:pk>/minutes/", minutes_detail, name="minutes-detail"),
    path("meetings/<int:pk>/minutes/edit/", minutes_edit, name="minutes-edit"),
    path("meetings/<int:pk>/minutes/approve/", minutes_approve, name="minutes-approve"),
]
