"""Agenda services: building the draft, timings, publishing, new versions with changes
marked, agenda requests from briefs, and the notifications publishing sends."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from boards.models import AgendaItem, AgendaVersion, Board, Brief
from boards.selectors import meetings as selectors
from boards.services import meetings as services
from icsvoice.models import AuditEvent, OutboxMessage
from tests import factories as f
from tests.boards.meetings_fixtures import (
    add_item,
    add_private_item,
    events,
    refused,
    schedule,
    table,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def meeting(cast):
    return schedule(cast.board, cast.secretary)


def _publish(meeting, secretary, note=""):
    return services.agenda_publish(meeting=meeting, change_note=note, actor=secretary)


def _fields(item, **over):
    return {name: getattr(item, name) for name in services.ITEM_FIELDS} | over


# --- Building the draft ----------------------------------------------------------------------


def test_the_first_item_starts_draft_version_1(cast, meeting):
    item = add_item(meeting, cast.secretary)
    version = item.version
    assert (version.number, version.state) == (1, AgendaVersion.State.DRAFT)
    assert (item.order, item.duration_minutes, item.purpose, item.part) == (
        1,
        20,
        "information",
        "public",
    )
    second = add_item(meeting, cast.secretary, "Quality report")
    assert second.version == version and second.order == 2
    event = AuditEvent.objects.filter(event="board.agenda_item_added").first()
    assert event.role == "board_secretary" and event.payload["version"] == 1


def test_a_private_item_carries_its_reason_and_review_date(cast, meeting):
    item = add_private_item(meeting, cast.secretary)
    assert item.is_confidential and item.confidential_reason and item.review_on


def test_a_private_item_without_a_reason_or_review_date_is_refused(cast, meeting):
    with refused("A private item needs a reason for confidentiality"):
        add_item(meeting, cast.secretary, part="private", review_on=timezone.localdate())
    with refused("A private item needs a review date"):
        add_item(meeting, cast.secretary, part="private", confidential_reason="Personal data.")


@pytest.mark.parametrize(
    ("over", "match"),
    [
        ({"title": ""}, "Enter the item's title"),
        ({"duration_minutes": 0}, "duration must be between 1 and 480"),
        ({"duration_minutes": None}, "duration must be between"),
        ({"purpose": "gossip"}, "Choose the item's purpose"),
        ({"part": "secret"}, "Choose the part of the meeting"),
        ({"presenter": "<script>x</script>"}, "The presenter"),
    ],
)
def test_bad_items_are_refused(cast, meeting, over, match):
    fields = {"title": "Report", "duration_minutes": 10, "purpose": "decision", **over}
    with refused(match):
        services.agenda_item_add(meeting=meeting, actor=cast.secretary, **fields)


@pytest.mark.parametrize("who", ["board_member", "gp_rep", "reviewer"])
def test_only_the_secretary_builds_the_agenda(cast, meeting, who):
    with refused("Only this board's secretary"):
        add_item(meeting, getattr(cast, who))


def test_the_secretary_of_another_board_cannot_touch_this_agenda(cast, meeting, other_secretary):
    item = add_item(meeting, cast.secretary)
    with refused("Only this board's secretary"):
        add_item(meeting, other_secretary)
    with refused("Only this board's secretary"):
        services.agenda_item_change(item=item, actor=other_secretary, **_fields(item, title="X"))
    with refused("Only this board's secretary"):
        services.agenda_item_remove(item=item, actor=other_secretary)
    with refused("Only this board's secretary"):
        _publish(meeting, other_secretary)


def test_the_secretary_changes_an_item(cast, meeting):
    item = add_item(meeting, cast.secretary)
    changed = services.agenda_item_change(
        item=item, actor=cast.secretary, **_fields(item, title="Finance report, month 9")
    )
    assert changed.title == "Finance report, month 9"
    event = AuditEvent.objects.get(event="board.agenda_item_changed")
    assert event.payload["changed"] == {"title": "Finance report, month 9"}
    with refused("Nothing has changed"):
        services.agenda_item_change(item=changed, actor=cast.secretary, **_fields(changed))
    with refused("A private item needs a reason"):
        services.agenda_item_change(
            item=changed, actor=cast.secretary, **_fields(changed, part="private")
        )


def test_making_an_item_public_drops_its_confidential_reason(cast, meeting):
    item = add_private_item(meeting, cast.secretary)
    public = services.agenda_item_change(
        item=item, actor=cast.secretary, **_fields(item, part="public")
    )
    assert (public.part, public.confidential_reason, public.review_on) == ("public", "", None)


def test_removing_and_moving_items(cast, meeting):
    first = add_item(meeting, cast.secretary, "First")
    second = add_item(meeting, cast.secretary, "Second")
    third = add_item(meeting, cast.secretary, "Third")
    private = add_private_item(meeting, cast.secretary, "Private")
    services.agenda_item_move(item=third, direction="up", actor=cast.secretary)
    titles = [i.title for i in first.version.items.order_by("order")]
    assert titles == ["First", "Third", "Second", "Private"]
    with refused("already first in its part"):
        services.agenda_item_move(item=first, direction="up", actor=cast.secretary)
    with refused("already last in its part"):
        services.agenda_item_move(item=second, direction="down", actor=cast.secretary)
    with refused("already first in its part"):
        services.agenda_item_move(item=private, direction="up", actor=cast.secretary)
    with refused("Choose whether to move"):
        services.agenda_item_move(item=first, direction="sideways", actor=cast.secretary)
    services.agenda_item_remove(item=second, actor=cast.secretary)
    assert [i.title for i in first.version.items.order_by("order")] == [
        "First",
        "Third",
        "Private",
    ]
    assert events()[-2:] == ["board.agenda_item_moved", "board.agenda_item_removed"]


def test_timings_run_from_the_start_public_part_first(cast, meeting):
    add_private_item(meeting, cast.secretary, "Private first added", duration_minutes=30)
    add_item(meeting, cast.secretary, "Opening", duration_minutes=10)
    add_item(meeting, cast.secretary, "Finance", duration_minutes=25)
    page = selectors.meeting_page(meeting, with_draft=True)
    assert page.draft is not None
    rows = page.draft.rows
    assert [r.item.title for r in rows] == ["Opening", "Finance", "Private first added"]
    assert [f"{timezone.localtime(r.starts_at):%H:%M}" for r in rows] == ["10:00", "10:10", "10:35"]
    assert [r.number for r in rows] == [1, 2, 3]
    assert f"{timezone.localtime(page.draft.ends_at):%H:%M}" == "11:05"


# --- Publishing and versions -----------------------------------------------------------------


def test_publishing_an_empty_agenda_is_refused(cast, meeting):
    with refused("There is no draft agenda"):
        _publish(meeting, cast.secretary)
    item = add_item(meeting, cast.secretary)
    services.agenda_item_remove(item=item, actor=cast.secretary)
    with refused("The agenda has no items"):
        _publish(meeting, cast.secretary)


def test_publishing_freezes_the_version_and_tells_the_seat_holders(cast, meeting):
    add_item(meeting, cast.secretary)
    version = _publish(meeting, cast.secretary)
    assert version.state == AgendaVersion.State.PUBLISHED
    assert version.published_by == cast.secretary and version.published_at is not None
    assert events()[-1] == "board.agenda_published"
    rows = OutboxMessage.objects.filter(kind="board.agenda_published")
    assert {r.recipient_id for r in rows} == {cast.gp_rep.pk, cast.board_member.pk}
    assert {r.version for r in rows} == {"1"}


def test_a_published_version_cannot_be_edited(cast, meeting):
    item = add_item(meeting, cast.secretary)
    _publish(meeting, cast.secretary)
    with refused("is published and cannot be edited: start a new version"):
        add_item(meeting, cast.secretary, "Late item")
    with refused("cannot be edited: start a new version"):
        services.agenda_item_change(item=item, actor=cast.secretary, **_fields(item, title="X"))
    with refused("cannot be edited"):
        services.agenda_item_remove(item=item, actor=cast.secretary)
    with refused("cannot be edited"):
        services.agenda_item_move(item=item, direction="down", actor=cast.secretary)
    with refused("There is no draft agenda"):
        _publish(meeting, cast.secretary)


def test_a_new_version_copies_the_items_and_publishing_it_supersedes_the_old(cast, meeting):
    kept = add_item(meeting, cast.secretary, "Finance report")
    dropped = add_item(meeting, cast.secretary, "Estates update")
    moved = add_item(meeting, cast.secretary, "Workforce plan")
    v1 = _publish(meeting, cast.secretary)
    other = schedule(cast.board, cast.secretary, days=40)
    with refused("has not been published yet"):
        services.agenda_version_start(meeting=other, actor=cast.secretary)

    v2 = services.agenda_version_start(meeting=meeting, actor=cast.secretary)
    assert (v2.number, v2.state) == (2, AgendaVersion.State.DRAFT)
    copies = {i.key: i for i in v2.items.all()}
    assert set(copies) == {kept.key, dropped.key, moved.key}
    assert events()[-1] == "board.agenda_version_started"
    with refused("already being drafted"):
        services.agenda_version_start(meeting=meeting, actor=cast.secretary)

    services.agenda_item_change(
        item=copies[kept.key],
        actor=cast.secretary,
        **_fields(copies[kept.key], duration_minutes=40, presenter="Director of Finance"),
    )
    services.agenda_item_remove(item=copies[dropped.key], actor=cast.secretary)
    services.agenda_item_change(
        item=copies[moved.key],
        actor=cast.secretary,
        **_fields(
            copies[moved.key],
            part="private",
            confidential_reason="Staff consultation not yet concluded.",
            review_on=timezone.localdate() + dt.timedelta(days=90),
        ),
    )
    added = add_item(meeting, cast.secretary, "Winter plan")
    with refused("Enter what changed since version 1"):
        _publish(meeting, cast.secretary)
    _publish(meeting, cast.secretary, "Winter plan added; estates deferred.")

    v1.refresh_from_db()
    v2.refresh_from_db()
    assert v1.state == AgendaVersion.State.SUPERSEDED
    assert v2.state == AgendaVersion.State.PUBLISHED
    assert v2.change_note == "Winter plan added; estates deferred."
    assert v1.items.count() == 3  # the old version stays as it was

    old = selectors.version_page(meeting, 1)
    assert old is not None and old.agenda.previous is None
    assert [r.item.title for r in old.agenda.rows] == [
        "Finance report",
        "Estates update",
        "Workforce plan",
    ]
    page = selectors.version_page(meeting, 2)
    assert page is not None and page.agenda.previous == v1
    changes = {r.item.title: r.change for r in page.agenda.rows}
    assert changes["Finance report"].changed == ("duration", "presenter")
    assert changes["Winter plan"].added and added.key not in {kept.key, moved.key}
    assert changes["Workforce plan"].moved_to == "Part 2 (in private)"
    assert "reason for confidentiality" in changes["Workforce plan"].changed
    assert [i.title for i in page.agenda.removed] == ["Estates update"]
    assert page.agenda.has_changes

    # Republishing tells the seat holders again, as a new version.
    versions = set(
        OutboxMessage.objects.filter(
            kind="board.agenda_published", recipient=cast.board_member
        ).values_list("version", flat=True)
    )
    assert versions == {"1", "2"}
    assert (
        AuditEvent.objects.filter(event="board.agenda_published").last().payload["supersedes"] == 1
    )


def test_a_cancelled_meeting_s_agenda_cannot_change(cast, meeting):
    item = add_item(meeting, cast.secretary)
    services.meeting_cancel(meeting=meeting, reason="Snow.", actor=cast.secretary)
    with refused("has been cancelled"):
        add_item(meeting, cast.secretary)
    with refused("has been cancelled"):
        services.agenda_item_change(item=item, actor=cast.secretary, **_fields(item, title="X"))
    with refused("has been cancelled"):
        _publish(meeting, cast.secretary)


# --- Agenda requests from briefs -------------------------------------------------------------


def test_a_tabled_brief_is_an_agenda_request_until_added(cast, meeting, agreed):
    brief = table(meeting, agreed, cast.gp_rep)
    assert selectors.agenda_requests(meeting) == [brief]
    item = services.agenda_add_brief(meeting=meeting, brief=brief, actor=cast.secretary)
    assert item.brief == brief and item.is_primary_care
    assert item.title == agreed.current_version.title
    assert item.presenter == cast.gp_rep.get_full_name()
    assert (item.purpose, item.part) == ("discussion", "public")
    assert selectors.agenda_requests(meeting) == []
    event = AuditEvent.objects.filter(event="board.agenda_item_added").last()
    assert event.payload["brief"] == brief.pk
    with refused("already on this meeting's agenda"):
        services.agenda_add_brief(meeting=meeting, brief=brief, actor=cast.secretary)

    # It stays on through a new version, and is still not a request.
    _publish(meeting, cast.secretary)
    v2 = services.agenda_version_start(meeting=meeting, actor=cast.secretary)
    assert v2.items.get().brief == brief
    assert selectors.agenda_requests(meeting) == []


def test_a_brief_for_another_board_or_meeting_is_refused(cast, meeting, make_agreed):
    second_board = f.BoardFactory(ics=cast.ics, name="ICS A Committee", slug="ics-a-committee")
    assert isinstance(second_board, Board)
    position = make_agreed("Estates for general practice")
    elsewhere = Brief.objects.create(
        board=second_board,
        position=position,
        version=position.current_version,
        route="tabled",
        routed_by=cast.gp_rep,
    )
    with refused("sent to another board"):
        services.agenda_add_brief(meeting=meeting, brief=elsewhere, actor=cast.secretary)

    later = schedule(cast.board, cast.secretary, days=60)
    for_later = table(later, make_agreed("Workforce"), cast.gp_rep)
    with refused("not tabled for this meeting"):
        services.agenda_add_brief(meeting=meeting, brief=for_later, actor=cast.secretary)
    with refused("Only this board's secretary"):
        services.agenda_add_brief(meeting=later, brief=for_later, actor=cast.gp_rep)
    assert selectors.agenda_requests(meeting) == []
    assert selectors.agenda_requests(later) == [for_later]


def test_a_request_needs_a_draft_once_the_agenda_is_published(cast, meeting, agreed):
    add_item(meeting, cast.secretary)
    _publish(meeting, cast.secretary)
    brief = table(meeting, agreed, cast.gp_rep)
    with refused("start a new version"):
        services.agenda_add_brief(meeting=meeting, brief=brief, actor=cast.secretary)
    services.agenda_version_start(meeting=meeting, actor=cast.secretary)
    item = services.agenda_add_brief(meeting=meeting, brief=brief, actor=cast.secretary)
    assert item.version.number == 2
    assert AgendaItem.objects.filter(brief=brief).count() == 1


# --- Home card -------------------------------------------------------------------------------


def test_the_card_lists_meetings_soon_whose_agenda_is_not_published(cast, other_secretary):
    soon = schedule(cast.board, cast.secretary, days=3, title="Soon")
    later = schedule(cast.board, cast.secretary, days=20, title="Later")
    schedule(cast.board, cast.secretary, days=40, title="Far off")
    schedule(cast.other_board, other_secretary, days=5, title="Other board")
    cancelled = schedule(cast.board, cast.secretary, days=10, title="Cancelled")
    services.meeting_cancel(meeting=cancelled, reason="Snow.", actor=cast.secretary)

    items = selectors.agendas_to_publish_card(cast.secretary)
    assert [i.label.split(",")[0] for i in items] == ["Soon", "Later"]
    assert [i.urgent for i in items] == [True, False]
    assert items[0].url == reverse("boards:agenda-edit", args=[soon.pk])
    assert "agenda not published" in items[0].detail

    add_item(later, cast.secretary)
    _publish(later, cast.secretary)
    assert [i.label.split(",")[0] for i in selectors.agendas_to_publish_card(cast.secretary)] == [
        "Soon"
    ]
    services.agenda_version_start(meeting=later, actor=cast.secretary)
    items = selectors.agendas_to_publish_card(cast.secretary)
    assert [i.label.split(",")[0] for i in items] == ["Soon", "Later"]
    assert "new version is drafted" in items[1].detail
    assert selectors.agendas_to_publish_card(cast.board_member) == []
    assert [i.label.split(",")[0] for i in selectors.agendas_to_publish_card(other_secretary)] == [
        "Other board"
    ]
