"""Seats on a board and the GP representative's appointment. The secretary (or a site
administrator) seats people and runs nominations; the board's chair approves one nomination;
every reader of the board sees the seats and the history of representatives."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.views.decorators.http import require_GET, require_POST

from boards import access
from boards.forms.seats import AppointmentForm, CancelForm, NominationForm, SeatEndForm, SeatForm
from boards.models import Appointment, Board, BoardSeat
from boards.services import seats as services
from boards.views.common import form_page
from groups.forms.common import NHSForm
from groups.models import today
from groups.views.common import GET_POST, act, attempt, posted
from icsvoice.http import AuthedRequest

GP_REP = BoardSeat.Role.GP_REPRESENTATIVE


@login_required
@require_GET
def seat_list(request: AuthedRequest, board_id: int) -> HttpResponse:
    board = access.board_for_seat_reader(user=request.user, board_id=board_id)
    seats = list(board.seats.select_related("user").order_by("role", "user__full_name"))
    on = today()
    current = [s for s in seats if s.starts_on <= on and (s.ends_on is None or s.ends_on > on)]
    future = [s for s in seats if s.starts_on > on]
    past = [s for s in seats if s.ends_on is not None and s.ends_on <= on]
    representatives = sorted(
        (s for s in seats if s.role == GP_REP), key=lambda s: (s.starts_on, s.pk), reverse=True
    )
    appointed = {
        a.seat_id: a
        for a in Appointment.objects.filter(board=board, seat__isnull=False).select_related(
            "approved__practice"
        )
    }
    history = [(seat, appointed.get(seat.pk)) for seat in representatives]
    appointments = list(board.appointments.all())
    return render(
        request,
        "boards/seat_list.html",
        {
            "board": board,
            "current": current,
            "future": future,
            "past": past,
            "history": history,
            "appointments": appointments,
            "may_manage": access.may_manage_seats(request.user, board),
        },
    )


@login_required
@GET_POST
def seat_add(request: AuthedRequest, board_id: int) -> HttpResponse:
    board = access.board_for_seat_manager(user=request.user, board_id=board_id)
    form = SeatForm(posted(request), initial={"starts_on": today()})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        seat = attempt(
            form,
            lambda: services.seat_add(
                board=board,
                user=data["user"],
                role=data["role"],
                title=data["title"],
                starts_on=data["starts_on"],
                actor=request.user,
            ),
        )
        if seat is not None:
            messages.success(
                request, f"{seat.user.get_full_name()} holds the seat: {seat.get_role_display()}."
            )
            return redirect("boards:seat-list", board.pk)
    return _form_page(
        request,
        form,
        board=board,
        heading="Seat someone on the board",
        lede="They need an icsvoice account. A board has one GP representative at a time: "
        "to change representative, run nominations instead.",
        button="Add seat",
    )


@login_required
@GET_POST
def seat_end(request: AuthedRequest, pk: int) -> HttpResponse:
    seat = access.seat_for_manager(user=request.user, seat_id=pk)
    form = SeatEndForm(posted(request), initial={"ends_on": today()})
    if request.method == "POST" and form.is_valid():
        ended = attempt(
            form,
            lambda: services.seat_end(
                seat=seat, ends_on=form.cleaned_data["ends_on"], actor=request.user
            ),
        )
        if ended is not None:
            messages.success(
                request,
                f"{seat.user.get_full_name()}'s seat ends on {ended.ends_on:%-d %B %Y}.",
            )
            return redirect("boards:seat-list", seat.board_id)
    return _form_page(
        request,
        form,
        board=seat.board,
        heading=f"End {seat.user.get_full_name()}'s seat",
        lede=f"{seat.get_role_display()} since {seat.starts_on:%-d %B %Y}. The seat stays in "
        "the board's history.",
        button="End seat",
        warning=True,
    )


@login_required
@GET_POST
def appointment_open(request: AuthedRequest, board_id: int) -> HttpResponse:
    board = access.board_for_seat_manager(user=request.user, board_id=board_id)
    form = AppointmentForm(posted(request))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        appointment = attempt(
            form,
            lambda: services.appointment_open(
                board=board,
                nominations_close_on=data["nominations_close_on"],
                starts_on=data["starts_on"],
                actor=request.user,
            ),
        )
        if appointment is not None:
            messages.success(request, "Nominations are open. Record each practice's as it comes.")
            return redirect("boards:appointment-detail", appointment.pk)
    return _form_page(
        request,
        form,
        board=board,
        heading="Open nominations for the GP representative",
        lede="As the ICB's constitution sets out, each primary medical services provider (each "
        "GP practice in the ICS) may nominate one person. You record the nominations as they "
        "arrive; once nominations close, the board's chair approves one.",
        button="Open nominations",
    )


@login_required
@require_GET
def appointment_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    appointment = access.appointment_for_seat_reader(user=request.user, appointment_id=pk)
    board = appointment.board
    nominations = list(appointment.nominations.select_related("practice", "nominee", "recorded_by"))
    is_open = appointment.state == Appointment.State.OPEN
    return render(
        request,
        "boards/appointment_detail.html",
        {
            "board": board,
            "appointment": appointment,
            "nominations": nominations,
            "is_open": is_open,
            "closed_for_nominations": today() > appointment.nominations_close_on,
            "may_manage": is_open and access.may_manage_seats(request.user, board),
            "may_approve": is_open and access.is_chair(request.user, board),
        },
    )


@login_required
@GET_POST
def nomination_add(request: AuthedRequest, pk: int) -> HttpResponse:
    appointment = access.appointment_for_manager(user=request.user, appointment_id=pk)
    form = NominationForm(posted(request), ics_id=appointment.board.ics_id)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        nomination = attempt(
            form,
            lambda: services.nomination_add(
                appointment=appointment,
                practice=data["practice"],
                nominee=data["nominee"],
                statement=data["statement"],
                actor=request.user,
            ),
        )
        if nomination is not None:
            messages.success(
                request,
                f"{nomination.practice.name} nominates {nomination.nominee.get_full_name()}.",
            )
            return redirect("boards:appointment-detail", appointment.pk)
    return _form_page(
        request,
        form,
        board=appointment.board,
        appointment=appointment,
        heading="Record a practice's nomination",
        lede=f"Nominations close at the end of {appointment.nominations_close_on:%-d %B %Y}.",
        button="Record nomination",
    )


@login_required
@require_POST
def nomination_approve(request: AuthedRequest, pk: int) -> HttpResponse:
    nomination = access.nomination_for_chair(user=request.user, nomination_id=pk)
    appointment = act(
        request, lambda: services.appointment_approve(nomination=nomination, actor=request.user)
    )
    if appointment is not None and appointment.seat is not None:
        messages.success(
            request,
            f"{nomination.nominee.get_full_name()} is the board's GP representative from "
            f"{appointment.seat.starts_on:%-d %B %Y}.",
        )
    return redirect("boards:appointment-detail", nomination.appointment_id)


@login_required
@GET_POST
def appointment_cancel(request: AuthedRequest, pk: int) -> HttpResponse:
    appointment = access.appointment_for_manager(user=request.user, appointment_id=pk)
    form = CancelForm(posted(request))
    if request.method == "POST" and form.is_valid():
        cancelled = attempt(
            form,
            lambda: services.appointment_cancel(
                appointment=appointment, reason=form.cleaned_data["reason"], actor=request.user
            ),
        )
        if cancelled is not None:
            messages.success(request, "The appointment is cancelled.")
            return redirect("boards:appointment-detail", appointment.pk)
    return _form_page(
        request,
        form,
        board=appointment.board,
        appointment=appointment,
        heading="Cancel this appointment",
        lede="The nominations stay on record. You can open a new round afterwards.",
        button="Cancel appointment",
        warning=True,
    )


def _form_page(
    request: AuthedRequest,
    form: NHSForm,
    *,
    board: Board,
    heading: str,
    lede: str,
    button: str,
    appointment: Appointment | None = None,
    warning: bool = False,
) -> HttpResponse:
    """Seat forms go back to the seats page; appointment forms to their appointment."""
    if appointment is not None:
        back = (
            "GP representative appointment",
            reverse("boards:appointment-detail", args=[appointment.pk]),
        )
    else:
        back = ("Seats", reverse("boards:seat-list", args=[board.pk]))
    return form_page(
        request,
        form,
        board=board,
        heading=heading,
        lede=lede,
        button=button,
        back=back,
        warning=warning,
    )


urlpatterns = [
    path("boards/<int:board_id>/seats/", seat_list, name="seat-list"),
    path("boards/<int:board_id>/seats/new/", seat_add, name="seat-add"),
    path("seats/<int:pk>/end/", seat_end, name="seat-end"),
    path("boards/<int:board_id>/appointments/new/", appointment_open, name="appointment-open"),
    path("appointments/<int:pk>/", appointment_detail, name="appointment-detail"),
    path("appointments/<int:pk>/nominations/new/", nomination_add, name="nomination-add"),
    path("appointments/<int:pk>/cancel/", appointment_cancel, name="appointment-cancel"),
    path("nominations/<int:pk>/approve/", nomination_approve, name="nomination-approve"),
]
