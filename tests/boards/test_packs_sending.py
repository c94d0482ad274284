"""When packs are built and sent: after the agenda is published and whenever it, a paper or
the meeting changes (a task queued after commit, with beat's scan as the safety net); the
confidential pack goes to every current seat holder once, the board's own number of days
before the meeting, and a later version is announced once as a change."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.db import connection, connections, transaction
from django.urls import reverse
from django.utils import timezone

from boards.models import Board, Meeting, MeetingPack
from boards.packs import CONFIDENTIAL, PUBLIC
from boards.services import meetings as services
from boards.services.packs import pack_build, pack_send, packs_scan
from boards.tasks import build_pack, pack_scan
from icsvoice.errors import DomainError
from icsvoice.models import AuditEvent, OutboxMessage
from tests import factories as f
from tests.boards.packs_fixtures import add_paper, text_pdf, three_items

pytestmark = pytest.mark.django_db


def _versions(meeting, part=CONFIDENTIAL) -> list[int]:
    return list(
        MeetingPack.objects.filter(meeting=meeting, part=part)
        .order_by("version")
        .values_list("version", flat=True)
    )


def _sent(kind: str) -> set[tuple[int, str]]:
    return set(OutboxMessage.objects.filter(kind=kind).values_list("recipient_id", "version"))


def _due_now(board) -> None:
    Board.objects.filter(pk=board.pk).update(pack_send_days=30)


# --- Triggers --------------------------------------------------------------------------------


def test_publishing_queues_a_build_of_both_packs_after_commit(
    cast, media, eager, django_capture_on_commit_callbacks
):
    pm = three_items(cast, publish=False)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.agenda_publish(meeting=pm.meeting, actor=cast.secretary)
    assert not MeetingPack.objects.exists()  # nothing is built before the commit
    for callback in callbacks:
        callback()
    assert _versions(pm.meeting, CONFIDENTIAL) == [1]
    assert _versions(pm.meeting, PUBLIC) == [1]


def test_a_paper_or_a_meeting_change_after_publishing_builds_the_next_version(
    cast, media, eager, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        pm = three_items(cast)
    with django_capture_on_commit_callbacks(execute=True):
        add_paper(pm.finance, cast.secretary, "Month 9 annex", text_pdf("ANNEX", 1))
    assert _versions(pm.meeting, CONFIDENTIAL) == [1, 2]
    assert _versions(pm.meeting, PUBLIC) == [1, 2]
    with django_capture_on_commit_callbacks(execute=True):
        services.meeting_change(
            meeting=pm.meeting,
            title="Board meeting in public (rearranged)",
            starts_at=pm.meeting.starts_at,
            ends_at=pm.meeting.ends_at,
            location=pm.meeting.location,
            actor=cast.secretary,
        )
    assert _versions(pm.meeting, CONFIDENTIAL) == [1, 2, 3]


def test_a_rolled_back_change_queues_nothing(
    cast, media, eager, django_capture_on_commit_callbacks
):
    pm = three_items(cast, publish=False)
    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        services.agenda_publish(meeting=pm.meeting, actor=cast.secretary)
        raise RuntimeError("the request failed after publishing")
    assert not MeetingPack.objects.exists()
    assert not (media / "packs").exists()  # no build ran, not even one rolled back


def test_a_broker_that_is_down_is_logged_not_raised_and_the_scan_builds_the_pack(
    cast, media, broker_down, django_capture_on_commit_callbacks, caplog
):
    pm = three_items(cast, publish=False)
    with django_capture_on_commit_callbacks(execute=True):
        version = services.agenda_publish(meeting=pm.meeting, actor=cast.secretary)
    assert version.state == "published"
    assert f"Could not queue boards.build_pack ({pm.meeting.pk},)" in caplog.text
    assert not MeetingPack.objects.exists()
    assert packs_scan() == {"built": 2, "sent": 0, "failed": 0}
    assert _versions(pm.meeting) == [1]


def test_the_build_task_is_safe_to_run_twice_and_for_a_meeting_that_is_gone(cast, media):
    pm = three_items(cast)
    first = build_pack.apply(args=[pm.meeting.pk]).get()
    assert len(first) == 2
    assert build_pack.apply(args=[pm.meeting.pk]).get() == []
    assert build_pack.apply(args=[987654]).get() == []
    assert MeetingPack.objects.count() == 2


def test_the_scan_rebuilds_a_stale_pack_of_an_upcoming_meeting_only(cast, media):
    pm = three_items(cast)
    past = three_items(cast, days=40)
    assert pack_scan.apply().get() == {"built": 4, "sent": 0, "failed": 0}
    Board.objects.filter(pk=cast.board.pk).update(name="ICS A NHS Board")
    Meeting.objects.filter(pk=past.meeting.pk).update(
        starts_at=timezone.now() - dt.timedelta(days=2), ends_at=None
    )
    assert packs_scan() == {"built": 2, "sent": 0, "failed": 0}
    assert _versions(pm.meeting) == [1, 2]
    assert _versions(past.meeting) == [1]
    assert packs_scan() == {"built": 0, "sent": 0, "failed": 0}


@pytest.mark.django_db(transaction=True)
def test_two_workers_building_at_once_store_one_version(cast, media, postgres_only):
    pm = three_items(cast)
    results: list[object] = []
    barrier = threading.Barrier(2)

    def work():
        try:
            barrier.wait()
            results.append(pack_build(meeting=pm.meeting, part=CONFIDENTIAL))
        except Exception as error:  # pragma: no cover - shown by the assertion
            results.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(r is None for r in results) == [False, True], results
    assert _versions(pm.meeting) == [1]
    assert len(list((media / "packs").rglob("*.pdf"))) == 1
    assert AuditEvent.objects.filter(event="board.pack_built").count() == 1
    assert connection.vendor == "postgresql"


# --- Sending ---------------------------------------------------------------------------------


def test_the_pack_goes_once_to_every_current_seat_holder_when_due(cast, media, board_chair):
    gone = f.UserFactory(email="former@a.example.nhs.uk")
    f.BoardSeatFactory(
        board=cast.board,
        user=gone,
        role="member",
        starts_on=timezone.localdate() - dt.timedelta(days=400),
        ends_on=timezone.localdate() - dt.timedelta(days=1),
    )
    pm = three_items(cast)
    packs_scan()
    assert not OutboxMessage.objects.filter(kind__startswith="boards.pack_").exists()

    _due_now(cast.board)
    assert packs_scan()["sent"] == 4
    pack = MeetingPack.objects.get(meeting=pm.meeting, part=CONFIDENTIAL)
    members = {cast.secretary.pk, cast.gp_rep.pk, cast.board_member.pk, board_chair.pk}
    assert _sent("boards.pack_sent") == {(pk, "1") for pk in members}
    email = OutboxMessage.objects.filter(kind="boards.pack_sent").first()
    assert email.url == reverse("boards:meeting-detail", args=[pm.meeting.pk]) + "#packs"
    assert (email.object_type, email.object_id) == ("boards.meeting", str(pm.meeting.pk))
    assert "10 pages" in email.body and "members only" in email.body
    assert email.urgent and not email.digest  # never held for a daily digest
    assert pack.sent_at is not None
    assert MeetingPack.objects.get(meeting=pm.meeting, part=PUBLIC).sent_at is None

    assert packs_scan()["sent"] == 0
    assert pack_send(pack=pack) == 0
    assert OutboxMessage.objects.filter(kind="boards.pack_sent").count() == 4
    sent = AuditEvent.objects.get(event="board.pack_sent")
    assert sent.payload == {
        "meeting": pm.meeting.pk,
        "part": CONFIDENTIAL,
        "version": 1,
        "kind": "boards.pack_sent",
        "recipients": 4,
    }


def test_someone_seated_after_the_pack_went_out_gets_it_once(cast, media, board_chair):
    pm = three_items(cast)
    _due_now(cast.board)
    assert packs_scan()["sent"] == 4
    newcomer = f.UserFactory(email="newcomer@a.example.nhs.uk")
    f.BoardSeatFactory(
        board=cast.board,
        user=newcomer,
        role="member",
        starts_on=timezone.localdate() - dt.timedelta(days=1),
    )
    assert packs_scan()["sent"] == 1
    assert packs_scan()["sent"] == 0
    rows = OutboxMessage.objects.filter(kind="boards.pack_sent", object_id=str(pm.meeting.pk))
    assert rows.count() == 5
    assert rows.get(recipient=newcomer).version == "1" and rows.get(recipient=newcomer).urgent


def test_a_new_version_after_sending_is_announced_once_as_a_change(
    cast, media, eager, django_capture_on_commit_callbacks
):
    _due_now(cast.board)
    with django_capture_on_commit_callbacks(execute=True):
        pm = three_items(cast)
    assert len(_sent("boards.pack_sent")) == 3  # built when already due: sent at once
    with django_capture_on_commit_callbacks(execute=True):
        add_paper(pm.winter, cast.secretary, "Winter annex", text_pdf("ANNEX", 1))
    members = {cast.secretary.pk, cast.gp_rep.pk, cast.board_member.pk}
    assert _sent("boards.pack_changed") == {(pk, "2") for pk in members}
    changed = OutboxMessage.objects.filter(kind="boards.pack_changed").first()
    assert "since version 1 was sent" in changed.body and "Version 2 (11 pages)" in changed.body
    assert packs_scan()["sent"] == 0
    assert OutboxMessage.objects.filter(kind="boards.pack_changed").count() == 3
    assert _sent("boards.pack_sent") == {(pk, "1") for pk in members}


def test_the_pack_goes_the_board_s_number_of_days_before_the_meeting(cast, media):
    pm = three_items(cast)
    start = timezone.now() + dt.timedelta(days=7, minutes=5)
    Meeting.objects.filter(pk=pm.meeting.pk).update(starts_at=start, ends_at=None)
    assert packs_scan() == {"built": 2, "sent": 0, "failed": 0}
    Meeting.objects.filter(pk=pm.meeting.pk).update(starts_at=start - dt.timedelta(minutes=10))
    assert packs_scan() == {"built": 2, "sent": 3, "failed": 0}
    assert _sent("boards.pack_sent") == {
        (pk, "2") for pk in (cast.secretary.pk, cast.gp_rep.pk, cast.board_member.pk)
    }


def test_no_pack_goes_for_a_cancelled_or_started_meeting(cast, media):
    cancelled = three_items(cast, days=10)
    pack_build(meeting=cancelled.meeting, part=CONFIDENTIAL)
    services.meeting_cancel(meeting=cancelled.meeting, reason="No quorum.", actor=cast.secretary)
    started = three_items(cast, days=12)
    pack = pack_build(meeting=started.meeting, part=CONFIDENTIAL)
    Meeting.objects.filter(pk=started.meeting.pk).update(
        starts_at=timezone.now() - dt.timedelta(hours=1), ends_at=None
    )
    _due_now(cast.board)
    assert packs_scan() == {"built": 0, "sent": 0, "failed": 0}
    assert pack_send(pack=pack) == 0
    assert pack_build(meeting=cancelled.meeting, part=PUBLIC) is None
    assert not OutboxMessage.objects.filter(kind__startswith="boards.pack_").exists()
    assert MeetingPack.objects.filter(sent_at__isnull=False).count() == 0


def test_only_the_latest_confidential_pack_is_ever_sent(cast, media):
    pm = three_items(cast)
    old = pack_build(meeting=pm.meeting, part=CONFIDENTIAL)
    public = pack_build(meeting=pm.meeting, part=PUBLIC)
    add_paper(pm.winter, cast.secretary, "Winter annex", text_pdf("ANNEX", 1))
    pack_build(meeting=pm.meeting, part=CONFIDENTIAL)
    _due_now(cast.board)
    assert pack_send(pack=old) == 0
    assert pack_send(pack=public) == 0
    assert not OutboxMessage.objects.filter(kind__startswith="boards.pack_").exists()
    assert packs_scan()["sent"] == 3
    assert _sent("boards.pack_sent") == {
        (pk, "2") for pk in (cast.secretary.pk, cast.gp_rep.pk, cast.board_member.pk)
    }


def test_the_board_sets_its_own_days_and_nonsense_is_refused(cast, media):
    from boards.services.boards import board_update

    admin = f.UserFactory(email="admin@example.nhs.uk", is_superuser=True, is_staff=True)
    rules = {
        "name": cast.board.name,
        "quorum": cast.board.quorum,
        "quorum_rule": "",
        "papers_due_days": 7,
    }
    board_update(board=cast.board, pack_send_days=10, actor=admin, **rules)
    assert Board.objects.get(pk=cast.board.pk).pack_send_days == 10
    changed = AuditEvent.objects.get(event="board.rules_changed")
    assert changed.payload["changed"] == {"pack_send_days": [7, 10]}
    board_update(board=cast.board, actor=admin, **{**rules, "quorum": 5})
    assert Board.objects.get(pk=cast.board.pk).pack_send_days == 10
    with pytest.raises(DomainError, match="between 0 and 60 days"):
        board_update(board=cast.board, pack_send_days=61, actor=admin, **rules)
    assert Board.objects.get(pk=cast.board.pk).pack_send_days == 10
