"""The audit trail: append-only in the database, hash-chained, and verified."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction

from icsvoice import audit
from icsvoice.models import AuditCheckpoint, AuditEvent
from tests.factories import UserFactory

TABLE = AuditEvent._meta.db_table


def _three_events():
    person = UserFactory(email="auditor@example.nhs.uk")
    for n in range(3):
        audit.record(
            event="test.step",
            actor=person,
            role="group_member",
            ics_id=7,
            payload={"n": n, "text": "Zoë's \u2018quoted\u2019 note", "ratio": 0.1},
        )
    return person


def _verify_message() -> str:
    with pytest.raises(CommandError) as caught:
        call_command("audit_verify")
    return str(caught.value)


def test_record_chains_each_event_to_the_one_before(db):
    _three_events()
    events = list(AuditEvent.objects.order_by("id"))
    assert [e.id for e in events] == [1, 2, 3]
    assert events[0].prev_hash == audit.GENESIS
    assert events[1].prev_hash == events[0].hash
    assert events[2].prev_hash == events[1].hash
    assert events[0].actor_label == "auditor@example.nhs.uk"
    assert events[2].payload == {"n": 2, "text": "Zoë's \u2018quoted\u2019 note", "ratio": 0.1}


def test_record_rolls_back_with_the_callers_transaction(db):
    with pytest.raises(RuntimeError), transaction.atomic():
        audit.record(event="test.lost")
        raise RuntimeError("the change failed")
    assert not AuditEvent.objects.exists()


def test_verify_reports_an_intact_chain_and_saves_a_checkpoint(db, capsys):
    _three_events()
    call_command("audit_verify")
    assert "Audit chain intact: 3 events, #1 to #3" in capsys.readouterr().out
    checkpoint = AuditCheckpoint.objects.get()
    assert checkpoint.last_event_id == 3
    assert checkpoint.last_hash == AuditEvent.objects.get(id=3).hash


@pytest.mark.parametrize("statement", [f"UPDATE {TABLE} SET event = 'x'", f"DELETE FROM {TABLE}"])
def test_database_refuses_update_and_delete(db, statement):
    _three_events()
    with pytest.raises(DatabaseError, match="append-only"), connection.cursor() as cursor:
        cursor.execute(statement)


@pytest.mark.django_db(transaction=True)
def test_database_refuses_truncate_on_postgresql(postgres_only):
    _three_events()  # committed, so no deferred foreign-key checks stand in the way
    with pytest.raises(DatabaseError, match="append-only"), connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {TABLE}")


def test_orm_cannot_edit_an_event_either(db):
    _three_events()
    event = AuditEvent.objects.get(id=2)
    event.event = "test.rewritten"
    with pytest.raises(DatabaseError):
        event.save()


def test_verify_catches_an_edited_payload(db, tamper):
    _three_events()
    with tamper(), connection.cursor() as cursor:
        cursor.execute(f"UPDATE {TABLE} SET payload = %s WHERE id = 2", ['{"n": 99}'])
    assert "event #2 was changed after it was written" in _verify_message()


def test_verify_catches_an_edit_that_recomputes_its_own_hash(db, tamper):
    _three_events()
    row = AuditEvent.objects.filter(id=2).values().get()
    row.pop("hash")
    row["event"] = "test.forged"
    forged = audit._digest(**row)
    with tamper(), connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {TABLE} SET event = 'test.forged', hash = %s WHERE id = 2", [forged]
        )
    assert "event #3 does not follow the event before it" in _verify_message()


def test_verify_catches_a_deleted_event(db, tamper):
    _three_events()
    with tamper(), connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {TABLE} WHERE id = 2")
    assert "event before #3 missing" in _verify_message()


def test_verify_catches_reordered_events(db, tamper):
    _three_events()
    _first, second = AuditEvent.objects.filter(id__in=[1, 2]).order_by("id")
    with tamper(), connection.cursor() as cursor:
        # Swap the two events' places in the chain by swapping their ids.
        cursor.execute(f"UPDATE {TABLE} SET id = -1 WHERE id = 1")
        cursor.execute(f"UPDATE {TABLE} SET id = 1 WHERE id = 2")
        cursor.execute(f"UPDATE {TABLE} SET id = 2 WHERE id = -1")
    assert AuditEvent.objects.get(id=1).hash == second.hash
    assert "event #1 does not follow the event before it" in _verify_message()


def test_verify_catches_removal_of_the_newest_events_after_a_checkpoint(db, tamper):
    _three_events()
    call_command("audit_verify")
    with tamper(), connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {TABLE} WHERE id = 3")
    assert "event #3, verified on" in _verify_message()


@pytest.mark.django_db(transaction=True)
def test_flush_after_a_transactional_test_still_works():
    """Transactional tests flush tables; the conftest lets the flush past the triggers
    and puts them back, which this test's successor relies on."""
    audit.record(event="test.flushed")
    assert AuditEvent.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_triggers_are_back_after_a_flush():
    audit.record(event="test.after_flush")
    with pytest.raises(DatabaseError), connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {TABLE}")
