from typing import Any

from django.core.management.base import BaseCommand
from django.db import transaction

from accounts.encryption import encrypted_fields_rotate
from securitycenter.securitylog.models import EventType
from securitycenter.securitylog.record import Actor, security_log_record


class Command(BaseCommand):
    help = "Re-encrypt every encrypted column with the first key of FIELD_ENCRYPTION_KEYS."

    def handle(self, *args: Any, **options: Any) -> None:
        with transaction.atomic():
            counts = encrypted_fields_rotate()
            security_log_record(
                event_type=EventType.ENCRYPTION_KEYS_ROTATED,
                actor=Actor.system("rotate_encryption_keys"),
                details={"rows": counts},
            )
        for label, n in counts.items():
            self.stdout.write(f"{label}: {n} value(s) re-encrypted")
