"""Meetings, agendas and papers. The board's secretary schedules meetings, builds and
publishes agendas (a new version to change a published one) and uploads papers; every reader
of the board (its seat holders and the ICS's staff reviewers) reads them."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.views.decorators.http import require_GET, require_POST

from boards import access
from boards.forms.meetings import (
    AgendaItemForm,
    CancelMeetingForm,
    MeetingForm,
    PaperForm,
    PublishForm,
)
from boards.models import AgendaItem, AgendaVersion, Board, Meeting, Part
from boards.selectors import meetings as selectors
from boards.selectors.conduct import conduct_summary
from boards.services import meetings as services
from boards.views.common import form_page
from groups.forms.common import NHSForm
from groups.views.common import GET_POST, act, attempt, posted, posted_files
from icsvoice.http import AuthedRequest
from icsvoice.models import User


def _item_for_secretary(user: User, pk: int) -> AgendaItem:
    """An agenda item, for the secretary of its meeting's board (404 for another ICS's,
    403 for anyone else)."""
    item = AgendaItem.objects.select_related("version").filter(pk=pk).first()
    if item is None:
        raise Http404("No such agenda item.")
    meeting = access.meeting_for_secretary(user=user, meeting_id=item.version.meeting_id)
    item.version.meeting = meeting
    return item


def _builder(meeting: Meeting) -> str:
    return reverse("boards:agenda-edit", args=[meeting.pk])


def _detail(meeting: Meeting) -> str:
    return reverse("boards:meeting-detail", args=[meeting.pk])


def _form_page(
    request: AuthedRequest,
    form: NHSForm,
    *,
    board: Board,
    heading: str,
    button: str,
    parent_label: str,
    parent_url: str,
    lede: str = "",
    caption: str = "",
    warning: bool = False,
    multipart: bool = False,
) -> HttpResponse:
    """One layout for every meeting, agenda and paper form."""
    return form_page(
        request,
        form,
        board=board,
        heading=heading,
        button=button,
        back=(parent_label, parent_url),
        caption=caption,
        lede=lede,
        warning=warning,
        multipart=multipart,
    )


# --- Meetings --------------------------------------------------------------------------------


@login_required
@require_GET
def meeting_list(request: AuthedRequest, board_id: int) -> HttpResponse:
    board = access.board_for_reader(user=request.user, board_id=board_id)
    return render(
        request,
        "boards/meeting_list.html",
        {
            "board": board,
            "meetings": selectors.meetings_for_board(board),
            "is_secretary": access.is_secretary(request.user, board),
        },
    )


@login_required
@GET_POST
def meeting_create(request: AuthedRequest, board_id: int) -> HttpResponse:
    board = access.board_for_secretary(user=request.user, board_id=board_id)
    form = MeetingForm(posted(request), initial={"title": "Board meeting in public"})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        meeting = attempt(
            form,
            lambda: services.meeting_schedule(
                board=board,
                title=data["title"],
                starts_at=data["starts_at"],
                ends_at=data["ends_at"],
                location=data["location"],
                online_url=data["online_url"],
                actor=request.user,
            ),
        )
        if meeting is not None:
            messages.success(request, f"{meeting} is scheduled. Build its agenda next.")
            return redirect(_detail(meeting))
    return _form_page(
        request,
        form,
        board=board,
        heading="Schedule a meeting",
        lede="Times are UK time. Give a place, an online joining link, or both.",
        button="Schedule meeting",
        parent_label="Meetings",
        parent_url=reverse("boards:meeting-list", args=[board.pk]),
    )


@login_required
@GET_POST
def meeting_edit(request: AuthedRequest, pk: int) -> HttpResponse:
    meeting = access.meeting_for_secretary(user=request.user, meeting_id=pk)
    form = MeetingForm(posted(request), initial=MeetingForm.initial_for(meeting))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        changed = attempt(
            form,
            lambda: services.meeting_change(
                meeting=meeting,
                title=data["title"],
                starts_at=data["starts_at"],
                ends_at=data["ends_at"],
                location=data["location"],
                online_url=data["online_url"],
                actor=request.user,
            ),
        )
        if changed is not None:
            messages.success(request, "The meeting's details are saved.")
            return redirect(_detail(meeting))
    return _form_page(
        request,
        form,
        board=meeting.board,
        heading="Change the meeting's details",
        caption=str(meeting),
        lede="Times are UK time.",
        button="Save changes",
        parent_label=meeting.title,
        parent_url=_detail(meeting),
    )


@login_required
@GET_POST
def meeting_cancel(request: AuthedRequest, pk: int) -> HttpResponse:
    meeting = access.meeting_for_secretary(user=request.user, meeting_id=pk)
    form = CancelMeetingForm(posted(request))
    if request.method == "POST" and form.is_valid():
        cancelled = attempt(
            form,
            lambda: services.meeting_cancel(
                meeting=meeting, reason=form.cleaned_data["reason"], actor=request.user
            ),
        )
        if cancelled is not None:
            messages.success(request, f"{meeting} is cancelled. The board's members are told.")
            return redirect(_detail(meeting))
    return _form_page(
        request,
        form,
        board=meeting.board,
        heading="Cancel this meeting",
        caption=str(meeting),
        lede="The meeting stays listed, marked as cancelled, with its agenda and papers.",
        button="Cancel meeting",
        warning=True,
        parent_label=meeting.title,
        parent_url=_detail(meeting),
    )


@login_required
@require_GET
def meeting_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    meeting = access.meeting_for_reader(user=request.user, meeting_id=pk)
    board = meeting.board
    is_secretary = access.is_secretary(request.user, board)
    return render(
        request,
        "boards/meeting_detail.html",
        {
            "board": board,
            "meeting": meeting,
            "page": selectors.meeting_page(meeting, with_draft=is_secretary),
            "conduct": conduct_summary(meeting),
            "is_secretary": is_secretary,
            "parent_label": "Meetings",
            "parent_url": reverse("boards:meeting-list", args=[board.pk]),
        },
    )


# --- Agendas ---------------------------------------------------------------------------------


@login_required
@require_GET
def agenda_edit(request: AuthedRequest, pk: int) -> HttpResponse:
    """The agenda builder: the draft with its controls, or the published version with the
    way to start a new one; and the agenda requests waiting to be added."""
    meeting = access.meeting_for_secretary(user=request.user, meeting_id=pk)
    page = selectors.meeting_page(meeting, with_draft=True)
    return render(
        request,
        "boards/agenda_edit.html",
        {
            "board": meeting.board,
            "meeting": meeting,
            "page": page,
            "requests": selectors.agenda_requests(meeting),
            "parent_label": meeting.title,
            "parent_url": _detail(meeting),
        },
    )


def _item_form_page(
    request: AuthedRequest, form: AgendaItemForm, meeting: Meeting, heading: str, button: str
) -> HttpResponse:
    return _form_page(
        request,
        form,
        board=meeting.board,
        heading=heading,
        caption=str(meeting),
        lede="An item in the private part must say why, and when that reason is reviewed.",
        button=button,
        parent_label="Agenda",
        parent_url=_builder(meeting),
    )


def _item_fields(form: AgendaItemForm) -> dict[str, object]:
    data = form.cleaned_data
    return {
        "title": data["title"],
        "duration_minutes": data["duration_minutes"],
        "presenter": data["presenter"],
        "purpose": data["purpose"],
        "part": data["part"],
        "confidential_reason": data["confidential_reason"],
        "review_on": data["review_on"],
    }


@login_required
@GET_POST
def agenda_item_add(request: AuthedRequest, pk: int) -> HttpResponse:
    meeting = access.meeting_for_secretary(user=request.user, meeting_id=pk)
    form = AgendaItemForm(posted(request), initial={"duration_minutes": 15, "part": Part.PUBLIC})
    if request.method == "POST" and form.is_valid():
        fields = _item_fields(form)
        item = attempt(
            form,
            lambda: services.agenda_item_add(meeting=meeting, actor=request.user, **fields),  # type: ignore[arg-type]
        )
        if item is not None:
            messages.success(request, f"“{item.title}” is on the draft agenda.")
            return redirect(_builder(meeting))
    return _item_form_page(request, form, meeting, "Add an agenda item", "Add item")


@login_required
@GET_POST
def agenda_item_edit(request: AuthedRequest, pk: int) -> HttpResponse:
    item = _item_for_secretary(request.user, pk)
    meeting = item.version.meeting
    initial = {name: getattr(item, name) for name in services.ITEM_FIELDS}
    form = AgendaItemForm(posted(request), initial=initial)
    if request.method == "POST" and form.is_valid():
        fields = _item_fields(form)
        changed = attempt(
            form,
            lambda: services.agenda_item_change(item=item, actor=request.user, **fields),  # type: ignore[arg-type]
        )
        if changed is not None:
            messages.success(request, f"“{changed.title}” is saved.")
            return redirect(_builder(meeting))
    return _item_form_page(request, form, meeting, "Change an agenda item", "Save item")


@login_required
@require_POST
def agenda_item_remove(request: AuthedRequest, pk: int) -> HttpResponse:
    item = _item_for_secretary(request.user, pk)
    if act(request, lambda: services.agenda_item_remove(item=item, actor=request.user)):
        messages.success(request, f"“{item.title}” is off the draft agenda.")
    return redirect(_builder(item.version.meeting))


@login_required
@require_POST
def agenda_item_move(request: AuthedRequest, pk: int) -> HttpResponse:
    item = _item_for_secretary(request.user, pk)
    direction = request.POST.get("direction", "")
    if act(
        request,
        lambda: services.agenda_item_move(item=item, direction=direction, actor=request.user),
    ):
        messages.success(request, f"“{item.title}” moved {direction}.")
    return redirect(f"{_builder(item.version.meeting)}#item-{item.pk}")


@login_required
@require_POST
def agenda_add_brief(request: AuthedRequest, pk: int, brief_id: int) -> HttpResponse:
    meeting = access.meeting_for_secretary(user=request.user, meeting_id=pk)
    brief = access.brief_for_secretary(user=request.user, brief_id=brief_id)
    item = act(
        request, lambda: services.agenda_add_brief(meeting=meeting, brief=brief, actor=request.user)
    )
    if item is not None:
        messages.success(request, f"“{item.title}” is on the draft agenda as a primary care item.")
    return redirect(_builder(meeting))


@login_required
@GET_POST
def agenda_publish(request: AuthedRequest, pk: int) -> HttpResponse:
    meeting = access.meeting_for_secretary(user=request.user, meeting_id=pk)
    published = meeting.agendas.filter(state=AgendaVersion.State.PUBLISHED).first()
    form = PublishForm(posted(request), needs_note=published is not None)
    if request.method == "POST" and form.is_valid():
        version = attempt(
            form,
            lambda: services.agenda_publish(
                meeting=meeting,
                change_note=form.cleaned_data.get("change_note", ""),
                actor=request.user,
            ),
        )
        if version is not None:
            messages.success(
                request,
                f"Version {version.number} of the agenda is published. The board's members "
                "are told.",
            )
            return redirect(_detail(meeting))
    lede = "Once published, the agenda cannot be edited: changes need a new version."
    if published is not None:
        lede = (
            f"This replaces version {published.number}, which stays readable. "
            "The board's members are told what changed."
        )
    return _form_page(
        request,
        form,
        board=meeting.board,
        heading="Publish the agenda",
        caption=str(meeting),
        lede=lede,
        button="Publish agenda",
        parent_label="Agenda",
        parent_url=_builder(meeting),
    )


@login_required
@require_POST
def agenda_new_version(request: AuthedRequest, pk: int) -> HttpResponse:
    meeting = access.meeting_for_secretary(user=request.user, meeting_id=pk)
    version = act(
        request, lambda: services.agenda_version_start(meeting=meeting, actor=request.user)
    )
    if version is not None:
        messages.success(
            request,
            f"Version {version.number} is a draft copy of the published agenda. Change it, "
            "then publish it.",
        )
    return redirect(_builder(meeting))


@login_required
@require_GET
def agenda_version(request: AuthedRequest, pk: int, number: int) -> HttpResponse:
    meeting = access.meeting_for_reader(user=request.user, meeting_id=pk)
    is_secretary = access.is_secretary(request.user, meeting.board)
    page = selectors.version_page(meeting, number)
    if page is None or (
        page.agenda.version.state == AgendaVersion.State.DRAFT and not is_secretary
    ):
        raise Http404("No such agenda version.")
    return render(
        request,
        "boards/agenda_version.html",
        {
            "board": meeting.board,
            "meeting": meeting,
            "page": page,
            "agenda": page.agenda,
            "is_secretary": is_secretary,
            "parent_label": meeting.title,
            "parent_url": _detail(meeting),
        },
    )


# --- Papers ----------------------------------------------------------------------------------


@login_required
@GET_POST
def paper_upload(request: AuthedRequest, pk: int) -> HttpResponse:
    item = _item_for_secretary(request.user, pk)
    meeting = item.version.meeting
    form = PaperForm(posted(request), posted_files(request), initial={"title": item.title})
    if request.method == "POST" and form.is_valid():
        paper = attempt(
            form,
            lambda: services.paper_add(
                item=item,
                title=form.cleaned_data["title"],
                upload=form.cleaned_data["file"],
                actor=request.user,
            ),
            field="file",
        )
        if paper is not None:
            late = " It is marked as a late paper." if paper.is_late else ""
            messages.success(request, f"“{paper.title}” is added.{late}")
            return redirect(_builder(meeting))
    due = services.papers_due_at(meeting)
    return _form_page(
        request,
        form,
        board=meeting.board,
        heading=f"Add a paper to “{item.title}”",
        caption=str(meeting),
        lede=f"Papers are due by {due:%-d %B %Y at %H:%M}; later ones are marked late.",
        button="Upload paper",
        multipart=True,
        parent_label="Agenda",
        parent_url=_builder(meeting),
    )


@login_required
@require_GET
def paper_download(request: AuthedRequest, pk: int) -> FileResponse:
    paper = access.paper_for_reader(user=request.user, paper_id=pk)
    try:
        handle = paper.file.open("rb")
    except FileNotFoundError:
        raise Http404("This paper's file is missing.") from None
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=f"{paper.title[:80]}.pdf",
        content_type="application/pdf",
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


urlpatterns = [
    path("boards/<int:board_id>/meetings/", meeting_list, name="meeting-list"),
    path("boards/<int:board_id>/meetings/new/", meeting_create, name="meeting-create"),
    path("meetings/<int:pk>/", meeting_detail, name="meeting-detail"),
    path("meetings/<int:pk>/edit/", meeting_edit, name="meeting-edit"),
    path("meetings/<int:pk>/cancel/", meeting_cancel, name="meeting-cancel"),
    path("meetings/<int:pk>/agenda/", agenda_edit, name="agenda-edit"),
    path("meetings/<int:pk>/agenda/items/new/", agenda_item_add, name="agenda-item-add"),
    path("meetings/<int:pk>/agenda/publish/", agenda_publish, name="agenda-publish"),
    path("meetings/<int:pk>/agenda/new-version/", agenda_new_version, name="agenda-new-version"),
    path(
        "meetings/<int:pk>/agenda/briefs/<int:brief_id>/add/",
        agenda_add_brief,
        name="agenda-add-brief",
    ),
    path("meetings/<int:pk>/agenda/<int:number>/", agenda_version, name="agenda-version"),
    path("agenda-items/<int:pk>/edit/", agenda_item_edit, name="agenda-item-edit"),
    path("agenda-items/<int:pk>/remove/", agenda_item_remove, name="agenda-item-remove"),
    path("agenda-items/<int:pk>/move/", agenda_item_move, name="agenda-item-move"),
    path("agenda-items/<int:pk>/papers/new/", paper_upload, name="paper-upload"),
    path("papers/<int:pk>/", paper_download, name="paper-download"),
]
