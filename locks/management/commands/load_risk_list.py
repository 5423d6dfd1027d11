from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from locks.risklist.services import RiskListError, risk_list_load_csv
from securitycenter.securitylog.record import Actor


class Command(BaseCommand):
    help = "Load payee risk-list entries from a CSV file with columns account,severity[,source][,note]."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", type=Path)
        parser.add_argument("--source", default="csv-import", help="Source for rows that name none")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            text = options["path"].read_text(encoding="utf-8-sig")
        except OSError as exc:
            raise CommandError(f"cannot read {options['path']}: {exc.strerror}") from exc
        try:
            result = risk_list_load_csv(
                text=text, default_source=options["source"], actor=Actor.system("load_risk_list")
            )
        except RiskListError as exc:
            raise CommandError(f"nothing loaded: {exc}") from exc
        self.stdout.write(f"risk list: {result.created} added, {result.updated} updated")
