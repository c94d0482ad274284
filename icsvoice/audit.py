"""The audit trail writer and verifier.

record() appends one event inside the caller's transaction, chained to the event before
it by SHA-256. The database refuses UPDATE, DELETE (and TRUNCATE on PostgreSQL) on the
table; verify() recomputes the chain and names the first event that does not fit.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.db import connection, models, transaction
from django.db.models import Q
from django.utils import timezone

from icsvoice.models import AuditCheckpoint, AuditEvent, AuditVerification, User

GENESIS = "0" * 64
TABLE = AuditEvent._meta.db_table
# One constant key for PostgreSQL's transaction-scoped advisory lock on the chain's tail.
_CHAIN_LOCK_KEY = 0x1C5_A0D1

SYSTEM_ROLE = "system"


def _canonical(value: Any) -> Any:
    """What the database will give back for a payload: JSON types only."""
    return json.loads(json.dumps(value, default=str))


def _digest(
    *,
    id: int,
    occurred_at: datetime,
    actor_id: int | None,
    actor_label: str,
    role: str,
    event: str,
    object_type: str,
    object_id: str,
    ics_id: int | None,
    payload: Any,
    prev_hash: str,
    group_id: int | None = None,
    board_id: int | None = None,
) -> str:
    fields = [
        id,
        occurred_at.astimezone(UTC).isoformat(timespec="microseconds"),
        actor_id,
        actor_label,
        role,
        event,
        object_type,
        object_id,
        ics_id,
        payload,
        prev_hash,
    ]
    # The group and board joined the chain later: an event with neither hashes exactly as
    # events written before them did, so older chains still verify.
    if group_id is not None or board_id is not None:
        fields += [group_id, board_id]
    body = json.dumps(
        fields,
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


def _lock_chain() -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_CHAIN_LOCK_KEY])
    # SQLite: transactions start IMMEDIATE (see settings), so this one already holds the
    # database's only write lock.


def _object_ref(obj: models.Model | None) -> tuple[str, str]:
    if obj is None:
        return "", ""
    return obj._meta.label_lower, str(obj.pk)


# --- Which group and board an object belongs to ---------------------------------------------

# model -> (path to its group's id, path to its board's id), each "" for none. Apps register
# theirs when they start (the kernel imports no app); a path walks attributes, as Django's
# lookups do: "brief__position__group_id".
_scopes: dict[type[models.Model], tuple[str, str]] = {}


def register_scope(model: type[models.Model], *, group: str = "", board: str = "") -> None:
    """Say where an object's group and board are, for the events recorded about it."""
    _scopes[model] = (group, board)


def _walk(obj: Any, path: str) -> int | None:
    value = obj
    for name in path.split("__"):
        value = getattr(value, name, None)
        if value is None:
            return None
    return int(value)


def scope_of(obj: models.Model | None) -> tuple[int | None, int | None]:
    """The (group id, board id) an object belongs to, where it belongs to one."""
    if obj is None:
        return None, None
    group_path, board_path = _scopes.get(type(obj), ("", ""))
    return (
        _walk(obj, group_path) if group_path else None,
        _walk(obj, board_path) if board_path else None,
    )


def record(
    *,
    event: str,
    actor: User | None = None,
    role: str = "",
    obj: models.Model | None = None,
    ics_id: int | None = None,
    payload: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one event in the caller's transaction; it commits or rolls back with it.

    `event` is a stable dotted name (`position.vote_cast`); `role` the capacity the actor
    acted in (`group_chair`); `ics_id` the ICS whose staff may review it.
    """
    if actor is not None and not actor.is_authenticated:
        actor = None
    object_type, object_id = _object_ref(obj)
    group_id, board_id = scope_of(obj)
    clean_payload = _canonical(payload or {})
    actor_label = actor.email if actor else ""
    with transaction.atomic():
        _lock_chain()
        last = AuditEvent.objects.order_by("-id").values_list("id", "hash").first()
        prev_id, prev_hash = last if last else (0, GENESIS)
        fields = {
            "id": prev_id + 1,
            # Read while holding the chain's lock, so times never go backwards along the
            # chain: the review turns a date range into a range of ids.
            "occurred_at": timezone.now(),
            "actor_id": actor.pk if actor else None,
            "actor_label": actor_label,
            "role": role,
            "event": event,
            "object_type": object_type,
            "object_id": object_id,
            "ics_id": ics_id,
            "group_id": group_id,
            "board_id": board_id,
            "payload": clean_payload,
            "prev_hash": prev_hash,
        }
        return AuditEvent.objects.create(hash=_digest(**fields), **fields)


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    checked: int
    last_id: int
    last_hash: str
    broken_id: int | None = None
    problem: str = ""


def _stored_rows(chunk: int) -> Iterator[dict[str, Any]]:
    fields = [
        "id",
        "occurred_at",
        "actor_id",
        "actor_label",
        "role",
        "event",
        "object_type",
        "object_id",
        "ics_id",
        "group_id",
        "board_id",
        "payload",
        "prev_hash",
        "hash",
    ]
    # Keyset pages rather than one cursor, so memory stays flat on SQLite as well.
    after = 0
    while True:
        page = list(AuditEvent.objects.filter(id__gt=after).order_by("id").values(*fields)[:chunk])
        if not page:
            return
        yield from page
        after = page[-1]["id"]


def verify(*, chunk: int = 5000, save_checkpoint: bool = True) -> VerifyResult:
    """Recompute the whole chain. Names the first event that was edited, removed or moved."""
    expected_id, expected_prev = 1, GENESIS
    checked = 0
    for row in _stored_rows(chunk):
        stored_hash = row.pop("hash")
        if row["id"] != expected_id:
            missing = "events" if row["id"] > expected_id + 1 else "event"
            return VerifyResult(
                False,
                checked,
                expected_id - 1,
                expected_prev,
                row["id"],
                f"{missing} before #{row['id']} missing (expected #{expected_id})",
            )
        if row["prev_hash"] != expected_prev:
            return VerifyResult(
                False,
                checked,
                expected_id - 1,
                expected_prev,
                row["id"],
                f"event #{row['id']} does not follow the event before it",
            )
        if _digest(**row) != stored_hash:
            return VerifyResult(
                False,
                checked,
                expected_id - 1,
                expected_prev,
                row["id"],
                f"event #{row['id']} was changed after it was written",
            )
        checked += 1
        expected_id, expected_prev = row["id"] + 1, stored_hash
    last_id = expected_id - 1

    checkpoint = AuditCheckpoint.objects.order_by("-last_event_id").first()
    if checkpoint and (
        checkpoint.last_event_id > last_id
        or not AuditEvent.objects.filter(
            id=checkpoint.last_event_id, hash=checkpoint.last_hash
        ).exists()
    ):
        return VerifyResult(
            False,
            checked,
            last_id,
            expected_prev,
            checkpoint.last_event_id,
            f"event #{checkpoint.last_event_id}, verified on "
            f"{checkpoint.verified_at:%d %B %Y at %H:%M}, is missing or changed",
        )
    if save_checkpoint and checked:
        AuditCheckpoint.objects.create(
            last_event_id=last_id, last_hash=expected_prev, event_count=checked
        )
    return VerifyResult(True, checked, last_id, expected_prev)


# --- Append-only triggers -------------------------------------------------------------------

POSTGRES_TRIGGERS = f"""
CREATE OR REPLACE FUNCTION icsvoice_audit_refuse() RETURNS trigger AS $$
BEGIN
  RAISE EXCEPTION USING
    MESSAGE = 'the audit trail is append-only: ' || TG_OP || ' refused',
    ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER icsvoice_audit_no_update BEFORE UPDATE OR DELETE ON {TABLE}
  FOR EACH ROW EXECUTE FUNCTION icsvoice_audit_refuse();
CREATE TRIGGER icsvoice_audit_no_truncate BEFORE TRUNCATE ON {TABLE}
  FOR EACH STATEMENT EXECUTE FUNCTION icsvoice_audit_refuse();
"""

POSTGRES_DROP_TRIGGERS = f"""
DROP TRIGGER IF EXISTS icsvoice_audit_no_update ON {TABLE};
DROP TRIGGER IF EXISTS icsvoice_audit_no_truncate ON {TABLE};
DROP FUNCTION IF EXISTS icsvoice_audit_refuse();
"""

SQLITE_TRIGGERS = [
    f"""CREATE TRIGGER icsvoice_audit_no_update BEFORE UPDATE ON {TABLE}
    BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only: UPDATE refused'); END""",
    f"""CREATE TRIGGER icsvoice_audit_no_delete BEFORE DELETE ON {TABLE}
    BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only: DELETE refused'); END""",
]

SQLITE_DROP_TRIGGERS = [
    "DROP TRIGGER IF EXISTS icsvoice_audit_no_update",
    "DROP TRIGGER IF EXISTS icsvoice_audit_no_delete",
]


def install_triggers(schema_editor: Any) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(POSTGRES_TRIGGERS)
    elif schema_editor.connection.vendor == "sqlite":
        for statement in SQLITE_TRIGGERS:
            schema_editor.execute(statement)


def remove_triggers(schema_editor: Any) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(POSTGRES_DROP_TRIGGERS)
    elif schema_editor.connection.vendor == "sqlite":
        for statement in SQLITE_DROP_TRIGGERS:
            schema_editor.execute(statement)


# --- Verifications asked for on the review page, run by a worker ----------------------------

# The verify task's hard time limit (icsvoice.tasks) is under Redis's visibility timeout
# (an hour), so a running check is never handed to a second worker; a run still marked
# running after VERIFY_STALE died with its worker, and the scan records that.
VERIFY_STALE = dt.timedelta(hours=1)
# A check waiting this long without a worker taking it lost its task: the scan queues it again.
VERIFY_REQUEUE = dt.timedelta(minutes=5)
# The nightly check: a verification is started when none was asked for in this long.
VERIFY_EVERY = dt.timedelta(hours=24)
DIED = "The worker checking the trail stopped before it finished. Start the check again."


def _busy() -> AuditVerification | None:
    return (
        AuditVerification.objects.filter(
            Q(state=AuditVerification.State.QUEUED)
            | Q(
                state=AuditVerification.State.RUNNING,
                started_at__gte=timezone.now() - VERIFY_STALE,
            )
        )
        .order_by("-requested_at")
        .first()
    )


def verification_request(actor: User | None) -> tuple[AuditVerification, bool]:
    """A new verification, waiting for a worker; or the one already waiting or running
    (False), so that pressing the button twice checks the chain once."""
    with transaction.atomic():
        _lock_chain()
        busy = _busy()
        if busy is not None:
            return busy, False
        return AuditVerification.objects.create(requested_by=actor), True


def verification_run(verification_id: int) -> AuditVerification | None:
    """Runs a waiting verification (once: a second worker given the same id finds it taken)
    and stores what it found."""
    started = timezone.now()
    taken = AuditVerification.objects.filter(
        pk=verification_id, state=AuditVerification.State.QUEUED
    ).update(state=AuditVerification.State.RUNNING, started_at=started)
    if not taken:
        return None
    # Only this run's marks land: a run the scan has since given up on writes nothing.
    mine = AuditVerification.objects.filter(
        pk=verification_id, state=AuditVerification.State.RUNNING, started_at=started
    )
    try:
        result = verify()
    except Exception as error:
        mine.update(
            state=AuditVerification.State.ERROR,
            finished_at=timezone.now(),
            problem=f"The check stopped with an error ({type(error).__name__}). "
            "Start the check again.",
        )
        raise
    mine.update(
        state=AuditVerification.State.INTACT if result.ok else AuditVerification.State.BROKEN,
        finished_at=timezone.now(),
        checked=result.checked,
        last_event_id=result.last_id or None,
        broken_event_id=result.broken_id,
        problem=result.problem,
    )
    return AuditVerification.objects.get(pk=verification_id)


def verification_scan() -> list[int]:
    """Beat's once-a-minute look at the checks: a run whose worker died is recorded as
    stopped; the ids of checks to queue are returned: those waiting too long (their task
    was lost) and, once a day, a new nightly check."""
    now = timezone.now()
    AuditVerification.objects.filter(
        state=AuditVerification.State.RUNNING, started_at__lt=now - VERIFY_STALE
    ).update(state=AuditVerification.State.ERROR, finished_at=now, problem=DIED)
    ids = list(
        AuditVerification.objects.filter(
            state=AuditVerification.State.QUEUED, requested_at__lt=now - VERIFY_REQUEUE
        ).values_list("pk", flat=True)
    )
    if not AuditVerification.objects.filter(requested_at__gte=now - VERIFY_EVERY).exists():
        verification, created = verification_request(None)
        if created:
            ids.append(verification.pk)
    return ids


def verification_status() -> tuple[AuditVerification | None, AuditVerification | None]:
    """(the latest finished check, whatever it found; a check waiting or running, if any)."""
    finished = (
        AuditVerification.objects.filter(finished_at__isnull=False)
        .order_by("-finished_at", "-id")
        .first()
    )
    return finished, _busy()
