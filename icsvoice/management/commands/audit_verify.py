"""python manage.py audit_verify: recompute the audit chain and say whether it is intact."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from icsvoice import audit


class Command(BaseCommand):
    help = "Verifies the audit trail's hash chain; names the first event that was altered."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--no-checkpoint",
            action="store_true",
            help="Do not record this verification as a checkpoint.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.perf_counter()
        result = audit.verify(save_checkpoint=not options["no_checkpoint"])
        elapsed = time.perf_counter() - started
        if not result.ok:
            raise CommandError(
                f"Audit chain BROKEN at event #{result.broken_id}: {result.problem}. "
                f"{result.checked} events before it are intact."
            )
        if result.checked == 0:
            self.stdout.write("Audit chain intact: there are no events yet.")
            return
        self.stdout.write(
            self.style.SUCCESS(
                f"Audit chain intact: {result.checked} events, #1 to #{result.last_id}, "
                f"verified in {elapsed:.1f} s."
            )
        )
