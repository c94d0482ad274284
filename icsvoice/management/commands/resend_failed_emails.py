"""Puts emails that could not be sent back in the queue, after the cause is mended (a mail
server's setting, a person's address):

    python manage.py resend_failed_emails            # every failed email
    python manage.py resend_failed_emails 12 15      # these ones
    python manage.py resend_failed_emails --list     # show them, change nothing
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from icsvoice import mailer
from icsvoice.models import OutboxMessage


class Command(BaseCommand):
    help = "Send failed emails again (all, or the ids given)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("ids", nargs="*", type=int, help="Outbox row ids (default: all)")
        parser.add_argument("--list", action="store_true", help="List failed emails only")

    def handle(self, *args: Any, **options: Any) -> None:
        failed = OutboxMessage.objects.filter(state=OutboxMessage.State.FAILED)
        if options["ids"]:
            failed = failed.filter(pk__in=options["ids"])
        if options["list"]:
            for row in failed.select_related("recipient").order_by("id"):
                address = row.recipient.email if row.recipient else row.to_email or "(erased)"
                self.stdout.write(
                    f"{row.pk}\t{row.kind}\t{address}\t{row.attempts} attempts\t{row.last_error}"
                )
            self.stdout.write(f"{failed.count()} failed email(s).")
            return
        chosen = mailer.failed_resend(ids=options["ids"] or None)
        self.stdout.write(f"{len(chosen)} email(s) queued to send again.")
        missing = sorted(set(options["ids"]) - set(chosen))
        if missing:
            self.stdout.write(f"Not failed, so left alone: {', '.join(map(str, missing))}")
