"""Appointing the GP representative in a real browser: the secretary opens nominations and
records a practice's nomination, the board's chair approves it, and the seats page shows
the history. Every page passes axe at 320 and 1280 pixels."""

from __future__ import annotations

import datetime as dt

import pytest

from boards.models import Appointment, BoardSeat
from groups.models import today
from tests import factories as f
from tests.browser.actions import follow, submit

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _fill_date(page, legend: str, day: dt.date) -> None:
    group = page.get_by_role("group", name=legend)
    group.get_by_label("Day").fill(str(day.day))
    group.get_by_label("Month").fill(str(day.month))
    group.get_by_label("Year").fill(str(day.year))


def test_nominate_and_approve_a_gp_representative(visitor, cast):
    page = visitor.page
    chair = f.UserFactory(email="board.chair@a.example.nhs.uk", full_name="Cara Boardchair")
    f.BoardSeatFactory(board=cast.board, user=chair, role=BoardSeat.Role.CHAIR)
    f.PracticeFactory(ics=cast.ics, code="A81001", name="Harbour Surgery")
    nominee = f.UserFactory(email="new.rep@a.example.nhs.uk", full_name="Dr Nia Newrep")

    visitor.sign_in_as(cast.secretary)
    visitor.goto("/")
    follow(page.get_by_role("link", name="Boards").first)
    visitor.check("board-list")
    follow(page.get_by_role("link", name=cast.board.name))
    visitor.check("board-detail")
    follow(page.get_by_role("link", name="Seats and the GP representative"))
    visitor.check("seat-list")
    follow(page.get_by_role("link", name="Open nominations for the GP representative"))
    submit(page, "Open nominations")
    assert page.title().startswith("Error:")
    visitor.check("appointment-open-errors")
    _fill_date(page, "When do nominations close?", today() + dt.timedelta(days=7))
    _fill_date(
        page, "When does the new representative take the seat?", today() + dt.timedelta(days=14)
    )
    submit(page, "Open nominations")
    appointment = Appointment.objects.get()
    visitor.wait_for_path(f"/appointments/{appointment.pk}/")
    follow(page.get_by_role("link", name="Record a nomination"))
    page.get_by_label("Nominating practice's ODS code").fill("A81001")
    page.get_by_label("Who does the practice nominate?").fill(nominee.email)
    page.get_by_label("The practice's statement (optional)").fill("A steady voice.")
    visitor.check("nomination-add")
    submit(page, "Record nomination")
    visitor.wait_for_path(f"/appointments/{appointment.pk}/")
    assert "Harbour Surgery" in page.content()

    # Time passes: nominations close, and the chair approves.
    Appointment.objects.filter(pk=appointment.pk).update(
        nominations_close_on=today() - dt.timedelta(days=1), starts_on=today()
    )
    visitor.sign_in_as(chair)
    visitor.goto(f"/appointments/{appointment.pk}/")
    visitor.check("appointment-detail")
    submit(page, "Approve Dr Nia Newrep")
    assert "Dr Nia Newrep is the board" in page.content()
    current = BoardSeat.objects.current().get(
        board=cast.board, role=BoardSeat.Role.GP_REPRESENTATIVE
    )
    assert current.user == nominee
    visitor.goto(f"/boards/{cast.board.pk}/seats/")
    assert "Nominated by Harbour Surgery" in page.content()
    visitor.check("seat-list-history")
