from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from securitycenter.securitylog.checkpoints import CheckpointError, checkpoint_latest
from securitycenter.securitylog.verify import security_log_verify


class Command(BaseCommand):
    help = (
        "Verify every security-log hash chain against the latest signed checkpoint and name the first broken "
        "entry of each broken chain."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--chain", help="Verify only this chain, e.g. customer:42")

    def handle(self, *args: Any, **options: Any) -> None:
        breaks = security_log_verify(chain=options["chain"])
        try:
            latest = checkpoint_latest()
        except CheckpointError:
            latest = None  # reported among the breaks
        for brk in breaks:
            where = f"entry id {brk.event_id}" if brk.event_id is not None else "no entry"
            self.stderr.write(f"BROKEN chain {brk.chain} at seq {brk.seq} ({where}): {brk.problem}")
        if breaks:
            raise CommandError(f"{len(breaks)} broken chain(s)")
        if latest is None:
            self.stdout.write(
                self.style.WARNING("no signed checkpoint yet: a deleted tail or an erased log would not show")
            )
            self.stdout.write(self.style.SUCCESS("security log intact: every chain verifies"))
            return
        self.stdout.write(
            self.style.SUCCESS(
                f"security log intact: every chain verifies, against checkpoint {latest.number} "
                f"({latest.written_at}, {len(latest.heads)} chains)"
            )
        )
