"""Setting up a board: site administrators create boards and keep their rules (quorum, the
deadline for papers) as the ICB's constitution sets them. Rules are data, not code."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.text import slugify

from boards.models import Board
from boards.services.common import BoardError
from boards.services.meetings import papers_mark_late
from groups.models import ICS
from icsvoice import audit
from icsvoice.models import User
from icsvoice.registry import is_site_admin
from icsvoice.text import check_plain

RULES = ("name", "quorum", "quorum_rule", "papers_due_days", "pack_send_days")


def _check(
    actor: User | None, name: str, quorum_rule: str, quorum: int, due_days: int, send_days: int
) -> None:
    if actor is not None and not is_site_admin(actor):
        raise BoardError("Only a site administrator can set up a board.")
    rules_check(
        name=name,
        quorum_rule=quorum_rule,
        quorum=quorum,
        papers_due_days=due_days,
        pack_send_days=send_days,
    )


def rules_check(
    *, name: str, quorum_rule: str, quorum: int, papers_due_days: int, pack_send_days: int = 7
) -> None:
    """Refuses a board's rules that make no sense, with the reason; forms call it too."""
    due_days = papers_due_days
    if not name.strip():
        raise BoardError("Enter the board's name.")
    check_plain({"The name": name, "The quorum rule": quorum_rule})
    if not 1 <= quorum <= 100:
        raise BoardError("The quorum must be between 1 and 100 members.")
    if not 0 <= due_days <= 60:
        raise BoardError("The deadline for papers must be between 0 and 60 days before a meeting.")
    if not 0 <= pack_send_days <= 60:
        raise BoardError("Packs must be sent between 0 and 60 days before a meeting.")


@transaction.atomic
def board_create(
    *,
    ics: ICS,
    name: str,
    quorum: int,
    quorum_rule: str = "",
    papers_due_days: int = 7,
    pack_send_days: int = 7,
    slug: str = "",
    actor: User | None,
) -> Board:
    _check(actor, name, quorum_rule, quorum, papers_due_days, pack_send_days)
    slug = slugify(slug or name)[:80].strip("-")
    if not slug:
        raise BoardError(
            "The board's name needs letters or digits to make its web address: enter the "
            "name, or a web address, with some."
        )
    try:
        with transaction.atomic():
            board = Board.objects.create(
                ics=ics,
                name=name.strip(),
                slug=slug,
                quorum=quorum,
                quorum_rule=quorum_rule.strip(),
                papers_due_days=papers_due_days,
                pack_send_days=pack_send_days,
            )
    except IntegrityError:
        raise BoardError(f"Another board already uses the web address '{slug}'.") from None
    audit.record(
        event="board.created",
        actor=actor,
        role="site_admin" if actor else audit.SYSTEM_ROLE,
        obj=board,
        ics_id=ics.pk,
        payload={field: getattr(board, field) for field in (*RULES, "slug")},
    )
    return board


@transaction.atomic
def board_update(
    *,
    board: Board,
    name: str,
    quorum: int,
    quorum_rule: str,
    papers_due_days: int,
    pack_send_days: int | None = None,
    actor: User | None,
) -> Board:
    """Changes the board's rules; `pack_send_days` None keeps the board's own."""
    if pack_send_days is None:
        pack_send_days = board.pack_send_days
    _check(actor, name, quorum_rule, quorum, papers_due_days, pack_send_days)
    before = {field: getattr(board, field) for field in RULES}
    Board.objects.filter(pk=board.pk).update(
        name=name.strip(),
        quorum=quorum,
        quorum_rule=quorum_rule.strip(),
        papers_due_days=papers_due_days,
        pack_send_days=pack_send_days,
    )
    board.refresh_from_db()
    after = {field: getattr(board, field) for field in RULES}
    changed = {k: [before[k], after[k]] for k in RULES if before[k] != after[k]}
    if "papers_due_days" in changed:
        for meeting in board.meetings.filter(starts_at__gt=timezone.now()):
            papers_mark_late(meeting)
    if changed:
        audit.record(
            event="board.rules_changed",
            actor=actor,
            role="site_admin" if actor else audit.SYSTEM_ROLE,
            obj=board,
            ics_id=board.ics_id,
            payload={"changed": changed},
        )
    return board
