from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from securitycenter.securitylog.verify import security_log_verify


class Command(BaseCommand):
    help = "Verify every security-log hash chain and name the first broken entry of each."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--chain", help="Verify only this chain, e.g. customer:42")

    def handle(self, *args: Any, **options: Any) -> None:
        breaks = security_log_verify(chain=options["chain"])
        if not breaks:
            self.stdout.write(self.style.SUCCESS("security log intact: every chain verifies"))
            return
        for brk in breaks:
            where = f"entry id {brk.event_id}" if brk.event_id is not None else "no entry"
            self.stderr.write(f"BROKEN chain {brk.chain} at seq {brk.seq} ({where}): {brk.problem}")
        raise CommandError(f"{len(breaks)} broken chain(s)")
