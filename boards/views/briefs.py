"""Briefs: the GP representative's queue, routing an agreed position, the brief's page with
the representative's account beside the group's position, the board's response, and the
list of responses owed by the board. Thin: access, form, service, message, redirect."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.views.decorators.http import require_GET

from boards import access
from boards.forms.briefs import AccountForm, DueDateForm, ResponseForm, RouteForm
from boards.models import Board, BoardResponse, Brief
from boards.selectors import briefs as selectors
from boards.services import briefs as services
from boards.views.common import form_page
from groups.forms.common import NHSForm
from groups.views.common import GET_POST, attempt, posted
from icsvoice.http import AuthedRequest


def _queue_link(board: Board) -> tuple[str, str]:
    return "Briefs", reverse("boards:brief-queue", args=[board.pk])


def _brief_link(brief: Brief) -> tuple[str, str]:
    return brief.version.title, reverse("boards:brief-detail", args=[brief.pk])


@login_required
@require_GET
def brief_queue(request: AuthedRequest, board_id: int) -> HttpResponse:
    board = access.board_for_gp_representative(user=request.user, board_id=board_id)
    return render(
        request,
        "boards/brief_queue.html",
        {"board": board, "queue": selectors.queue(board)},
    )


@login_required
@GET_POST
def brief_route(request: AuthedRequest, board_id: int, position_id: int) -> HttpResponse:
    board = access.board_for_gp_representative(user=request.user, board_id=board_id)
    position = access.agreed_position_for_gp_representative(
        user=request.user, board=board, position_id=position_id
    )
    existing = Brief.objects.filter(board=board, position=position).first()
    if existing is not None:
        return redirect("boards:brief-detail", existing.pk)
    meetings = selectors.upcoming_meetings(board)
    form = RouteForm(posted(request), meetings=meetings)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if data["route"] == Brief.Route.TABLED:
            brief = attempt(
                form,
                lambda: services.brief_table(
                    board=board, position=position, meeting=data["meeting"], actor=request.user
                ),
            )
            done = "The position is tabled: the secretary has your agenda request."
        else:
            brief = attempt(
                form,
                lambda: services.brief_route(
                    board=board,
                    position=position,
                    route=data["route"],
                    reason=data["reason"],
                    actor=request.user,
                ),
            )
            done = "The route is recorded."
        if brief is not None:
            messages.success(request, done)
            return redirect("boards:brief-detail", brief.pk)
    return form_page(
        request,
        form,
        board=board,
        heading=f"Route “{position.title}”",
        button="Record route",
        back=_queue_link(board),
        template="boards/brief_route.html",
        position=position,
        version=position.current_version,
        vote=selectors.agreed_vote(position.current_version_id),
        meetings=meetings,
    )


@login_required
@require_GET
def brief_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    brief = access.brief_for_reader(user=request.user, brief_id=pk)
    page = selectors.brief_page(brief, request.user)
    if page.is_gp_representative:
        label, url = _queue_link(brief.board)
    else:
        label, url = "Responses", reverse("boards:response-list", args=[brief.board_id])
    return render(
        request,
        "boards/brief_detail.html",
        {
            "board": page.brief.board,
            "page": page,
            "brief": page.brief,
            "row": page.row,
            "version": page.brief.version,
            "parent_label": label,
            "parent_url": url,
        },
    )


@login_required
@GET_POST
def brief_account(request: AuthedRequest, pk: int) -> HttpResponse:
    brief = access.brief_for_gp_representative(user=request.user, brief_id=pk)
    form = AccountForm(posted(request), initial={"account": brief.account})
    if request.method == "POST" and form.is_valid():
        done = attempt(
            form,
            lambda: services.brief_account_record(
                brief=brief, account=form.cleaned_data["account"], actor=request.user
            ),
            field="account",
        )
        if done is not None:
            messages.success(request, "Your account is recorded. The group sees it.")
            return redirect("boards:brief-detail", brief.pk)
    return _form_page(
        request,
        form,
        brief=brief,
        heading="Update your account" if brief.account else "Record your account",
        button="Save account",
        template="boards/brief_account.html",
    )


@login_required
@GET_POST
def brief_response(request: AuthedRequest, pk: int) -> HttpResponse:
    brief = access.brief_for_secretary(user=request.user, brief_id=pk)
    form = ResponseForm(posted(request), meetings=selectors.past_meetings(brief.board))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        response = attempt(
            form,
            lambda: services.response_record(
                brief=brief,
                kind=data["kind"],
                reasons=data["reasons"],
                meeting=data["meeting"],
                due_on=data["due_on"],
                actor=request.user,
            ),
        )
        if response is not None:
            if response.kind == BoardResponse.Kind.DEFERRED:
                messages.success(
                    request,
                    f"The deferral is recorded. The response is now due by "
                    f"{data['due_on']:%-d %B %Y}.",
                )
            else:
                messages.success(
                    request, "The board's response is recorded. The position's journey is closed."
                )
            return redirect("boards:brief-detail", brief.pk)
    return _form_page(
        request,
        form,
        brief=brief,
        heading="Record the board's response",
        button="Record response",
        template="boards/response_form.html",
    )


@login_required
@GET_POST
def brief_due(request: AuthedRequest, pk: int) -> HttpResponse:
    brief = access.brief_for_secretary(user=request.user, brief_id=pk)
    form = DueDateForm(posted(request), initial={"due_on": brief.response_due_on})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        done = attempt(
            form,
            lambda: services.response_due_change(
                brief=brief, due_on=data["due_on"], reason=data["reason"], actor=request.user
            ),
        )
        if done is not None:
            messages.success(
                request, f"The board's response is now due by {data['due_on']:%-d %B %Y}."
            )
            return redirect("boards:brief-detail", brief.pk)
    return _form_page(
        request,
        form,
        brief=brief,
        heading="Change the response due date",
        button="Change due date",
        template="boards/response_due.html",
    )


@login_required
@require_GET
def response_list(request: AuthedRequest, board_id: int) -> HttpResponse:
    board = access.board_for_reader(user=request.user, board_id=board_id)
    return render(
        request,
        "boards/response_list.html",
        {
            "board": board,
            "rows": selectors.response_rows(board),
            "is_secretary": access.is_secretary(request.user, board),
        },
    )


def _form_page(
    request: AuthedRequest,
    form: NHSForm,
    *,
    brief: Brief,
    heading: str,
    button: str,
    template: str,
) -> HttpResponse:
    return form_page(
        request,
        form,
        board=brief.board,
        heading=heading,
        button=button,
        back=_brief_link(brief),
        caption=brief.version.title,
        template=template,
        brief=brief,
        version=brief.version,
    )


urlpatterns = [
    path("boards/<int:board_id>/briefs/", brief_queue, name="brief-queue"),
    path(
        "boards/<int:board_id>/positions/<int:position_id>/route/",
        brief_route,
        name="brief-route",
    ),
    path("briefs/<int:pk>/", brief_detail, name="brief-detail"),
    path("briefs/<int:pk>/account/", brief_account, name="brief-account"),
    path("briefs/<int:pk>/response/", brief_response, name="brief-response"),
    path("briefs/<int:pk>/due/", brief_due, name="brief-due"),
    path("boards/<int:board_id>/responses/", response_list, name="response-list"),
]
