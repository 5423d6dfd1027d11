from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from securitycenter.securitylog.checkpoints import CheckpointError, checkpoint_latest, security_log_checkpoint_write
from securitycenter.securitylog.verify import security_log_verify


class Command(BaseCommand):
    help = (
        "Sign the heads of every security-log chain and store them as the next checkpoint (the beat task does "
        "this periodically, without the full check). Every chain is verified first; the first checkpoint ever "
        "(right after upgrading to the keyed chain) vouches for the unkeyed entries written before."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--force", action="store_true", help="write one even if no chain moved")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            first = checkpoint_latest() is None
        except CheckpointError as exc:
            raise CommandError(str(exc)) from exc
        if breaks := security_log_verify(accept_unkeyed=first):
            raise CommandError(f"not signing a broken log: {breaks[0]} (see verify_security_log)")
        try:
            checkpoint = security_log_checkpoint_write(force=options["force"])
        except CheckpointError as exc:
            raise CommandError(str(exc)) from exc
        if checkpoint is None:
            self.stdout.write("no chain moved since the last checkpoint: none written")
        else:
            self.stdout.write(
                self.style.SUCCESS(f"checkpoint {checkpoint.number} written: {len(checkpoint.heads)} chains")
            )
