"""python manage.py import_ods --practices epraccur.csv [--pcns ePCN.xlsx]"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from groups.ods import OdsFileError, ods_import


class Command(BaseCommand):
    help = (
        "Imports GP practices (epraccur.csv) and optionally PCNs and their member practices "
        "(ePCN.xlsx) from NHS England's Organisation Data Service. Creates and updates; "
        "never deletes. All or nothing: a bad file changes nothing."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--practices",
            required=True,
            type=Path,
            metavar="FILE",
            help="epraccur.csv: no header row, 27 quoted columns.",
        )
        parser.add_argument(
            "--pcns",
            type=Path,
            metavar="FILE",
            help='ePCN.xlsx: sheets "PCN Details" and "PCN Core Partner Details".',
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            report = ods_import(practices_path=options["practices"], pcns_path=options["pcns"])
        except OdsFileError as error:
            raise CommandError(f"{error.message} Nothing was imported.") from None
        for line in report.lines():
            self.stdout.write(line)
