"""Seat and appointment pages: who may see and do what, the journey through HTTP, and flat
query counts."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from boards.models import Appointment, BoardSeat
from boards.services import seats as services
from groups.models import today
from icsvoice.models import AuditEvent
from tests import factories as f
from tests.boards.checks import board_fingerprint
from tests.helpers import page, sign_in, title


def _date(prefix: str, day: dt.date) -> dict[str, str]:
    return {
        f"{prefix}[day]": str(day.day),
        f"{prefix}[month]": str(day.month),
        f"{prefix}[year]": str(day.year),
    }


def _appointment(board, actor):
    return services.appointment_open(
        board=board,
        nominations_close_on=today() + dt.timedelta(days=7),
        starts_on=today() + dt.timedelta(days=20),
        actor=actor,
    )


def _nomination(cast, board, actor):
    appointment = _appointment(board, actor)
    practice = f.PracticeFactory(ics=board.ics)
    nomination = services.nomination_add(
        appointment=appointment, practice=practice, nominee=f.UserFactory(), actor=actor
    )
    Appointment.objects.filter(pk=appointment.pk).update(
        nominations_close_on=today() - dt.timedelta(days=1)
    )
    return nomination


def _target(cast, kind, other_secretary, mine=True):
    board = cast.board if mine else cast.other_board
    secretary = cast.secretary if mine else other_secretary
    if kind == "board":
        return board.pk
    if kind == "seat":
        return board.seats.filter(role=BoardSeat.Role.SECRETARY).first().pk
    if kind == "appointment":
        return _appointment(board, secretary).pk
    return _nomination(cast, board, secretary).pk


# (name, who may, a wrong role, what to post, whose object)
PAGES = [
    ("boards:seat-list", "reviewer", "gp_lead", None, "board"),
    ("boards:seat-add", "secretary", "gp_rep", {"email": "x@example.nhs.uk"}, "board"),
    ("boards:seat-end", "secretary", "board_member", _date("ends_on", today()), "seat"),
    ("boards:appointment-open", "secretary", "board_chair", {}, "board"),
    ("boards:appointment-detail", "board_member", "gp_lead", None, "appointment"),
    ("boards:nomination-add", "secretary", "gp_rep", {"practice_code": "A1"}, "appointment"),
    ("boards:appointment-cancel", "secretary", "board_chair", {"reason": "No"}, "appointment"),
    ("boards:nomination-approve", "board_chair", "secretary", {}, "nomination"),
]
POST_ONLY = {"boards:nomination-approve"}


@pytest.mark.parametrize(("name", "who", "wrong", "data", "kind"), PAGES)
def test_each_page_refuses_another_ics_with_404_and_a_wrong_role_with_403(
    client, cast, board_chair, other_secretary, name, who, wrong, data, kind
):
    people = {"board_chair": board_chair}
    person = people.get(who) or getattr(cast, who)
    wrong_person = people.get(wrong) or getattr(cast, wrong)
    other = _target(cast, kind, other_secretary, mine=False)
    mine = _target(cast, kind, other_secretary)
    sign_in(client, person)
    if name not in POST_ONLY:
        assert client.get(reverse(name, args=[mine])).status_code == 200
        assert client.get(reverse(name, args=[other])).status_code == 404
    if data is not None:
        before = board_fingerprint()
        assert client.post(reverse(name, args=[other]), data).status_code == 404
        assert board_fingerprint() == before
    client.logout()
    sign_in(client, wrong_person)
    if name not in POST_ONLY:
        assert client.get(reverse(name, args=[mine])).status_code == 403
    if data is not None:
        before = board_fingerprint()
        assert client.post(reverse(name, args=[mine]), data).status_code == 403
        assert board_fingerprint() == before
    if name in POST_ONLY:
        client.logout()
        sign_in(client, person)
        assert client.get(reverse(name, args=[mine])).status_code == 405


def test_the_secretary_seats_someone_and_ends_the_seat(client, cast):
    newcomer = f.UserFactory(email="cfo@a.example.nhs.uk", full_name="Fay Finance")
    sign_in(client, cast.secretary)
    body = page(client.get(reverse("boards:seat-add", args=[cast.board.pk])))
    assert "Seat someone on the board" in body
    response = client.post(
        reverse("boards:seat-add", args=[cast.board.pk]),
        {
            "email": "CFO@a.example.nhs.uk",
            "role": "member",
            "title": "Chief Finance Officer",
            **_date("starts_on", today()),
        },
    )
    assert response.status_code == 302
    seat = BoardSeat.objects.get(user=newcomer)
    assert (seat.role, seat.title) == ("member", "Chief Finance Officer")
    body = page(client.get(reverse("boards:seat-list", args=[cast.board.pk]), follow=True))
    assert "Fay Finance" in body and "Chief Finance Officer" in body

    response = client.post(reverse("boards:seat-end", args=[seat.pk]), _date("ends_on", today()))
    assert response.status_code == 302
    seat.refresh_from_db()
    assert seat.ends_on == today()
    assert list(
        AuditEvent.objects.filter(event__startswith="board.seat_")
        .order_by("id")
        .values_list("event", flat=True)
    )[-2:] == ["board.seat_added", "board.seat_ended"]


def test_bad_seat_input_shows_the_error_summary_and_changes_nothing(client, cast):
    sign_in(client, cast.secretary)
    before = board_fingerprint()
    response = client.post(
        reverse("boards:seat-add", args=[cast.board.pk]),
        {"email": "nobody@a.example.nhs.uk", "role": "gp_representative", "title": "<b>x</b>"},
    )
    body = page(response)
    assert response.status_code == 200
    assert title(body).startswith("Error: ")
    assert "nhsuk-error-summary" in body
    assert "There is no icsvoice account with that email address" in body
    assert "Enter the date the seat starts" in body
    # A second GP representative: the service's refusal lands in the error summary.
    response = client.post(
        reverse("boards:seat-add", args=[cast.board.pk]),
        {
            "email": cast.board_member.email,
            "role": "gp_representative",
            **_date("starts_on", today()),
        },
    )
    assert "already has a GP representative" in page(response)
    assert board_fingerprint() == before


def test_nominations_and_approval_through_the_pages(client, cast, board_chair):
    practice = f.PracticeFactory(ics=cast.ics, code="A81001", name="Harbour Surgery")
    nominee = f.UserFactory(email="new.rep@a.example.nhs.uk", full_name="Dr Nia Newrep")
    sign_in(client, cast.secretary)
    close_on, start_on = today() + dt.timedelta(days=7), today() + dt.timedelta(days=21)
    response = client.post(
        reverse("boards:appointment-open", args=[cast.board.pk]),
        {**_date("nominations_close_on", close_on), **_date("starts_on", start_on)},
    )
    appointment = Appointment.objects.get()
    assert response["Location"] == reverse("boards:appointment-detail", args=[appointment.pk])
    bad = client.post(
        reverse("boards:nomination-add", args=[appointment.pk]),
        {"practice_code": "Z99999", "email": nominee.email},
    )
    assert "There is no GP practice with the code Z99999 in this ICS" in page(bad)
    client.post(
        reverse("boards:nomination-add", args=[appointment.pk]),
        {"practice_code": " a81001 ", "email": nominee.email, "statement": "Strong voice."},
    )
    nomination = appointment.nominations.get()
    assert nomination.practice == practice
    client.logout()

    sign_in(client, board_chair)
    body = page(client.get(reverse("boards:appointment-detail", args=[appointment.pk])))
    assert "You can approve once nominations close" in body
    Appointment.objects.filter(pk=appointment.pk).update(
        nominations_close_on=today() - dt.timedelta(days=1), starts_on=today()
    )
    body = page(client.get(reverse("boards:appointment-detail", args=[appointment.pk])))
    assert "Approve<span" in body
    response = client.post(reverse("boards:nomination-approve", args=[nomination.pk]), follow=True)
    body = page(response)
    assert "Dr Nia Newrep is the board&#x27;s GP representative" in body
    rep = BoardSeat.objects.current().get(board=cast.board, role=BoardSeat.Role.GP_REPRESENTATIVE)
    assert rep.user == nominee
    history = page(client.get(reverse("boards:seat-list", args=[cast.board.pk])))
    assert "Nominated by Harbour Surgery" in history
    assert cast.gp_rep.get_full_name() in history


def _queries(client, path: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(path).status_code == 200
    return len(queries)


def test_seat_and_appointment_pages_keep_flat_query_counts(client, cast):
    appointment = _appointment(cast.board, cast.secretary)
    pages = [
        reverse("boards:seat-list", args=[cast.board.pk]),
        reverse("boards:appointment-detail", args=[appointment.pk]),
    ]
    sign_in(client, cast.secretary)
    client.get(reverse("home"))
    counts = []
    for n in (3, 9):
        while appointment.nominations.count() < n:
            f.BoardSeatFactory(board=cast.board, role=BoardSeat.Role.MEMBER)
            f.BoardSeatFactory(
                board=cast.board,
                role=BoardSeat.Role.MEMBER,
                starts_on=today() - dt.timedelta(days=400),
                ends_on=today() - dt.timedelta(days=30),
            )
            services.nomination_add(
                appointment=appointment,
                practice=f.PracticeFactory(ics=cast.ics),
                nominee=f.UserFactory(),
                actor=cast.secretary,
            )
        counts.append([_queries(client, path) for path in pages])
    assert counts[0] == counts[1]
    assert max(counts[0]) <= 16


def test_the_board_page_and_board_list(client, cast):
    sign_in(client, cast.reviewer)
    body = page(client.get(reverse("boards:board-list")))
    assert cast.board.name in body and cast.other_board.name not in body
    body = page(client.get(reverse("boards:board-detail", args=[cast.board.pk])))
    assert "Seats and the GP representative" in body
    assert client.get(reverse("boards:board-detail", args=[cast.other_board.pk])).status_code == 404
    client.logout()
    sign_in(client, cast.gp_lead)
    assert client.get(reverse("boards:board-detail", args=[cast.board.pk])).status_code == 403
