"""Record and read heartbeats (see models.py for what each name means)."""

from datetime import datetime

from django.conf import settings
from django.utils import timezone

from securitycenter.operations.models import Heartbeat

BEAT = "beat"


def worker_heartbeat_name(queue: str) -> str:
    return f"worker:{queue}"


def beat_entry_heartbeat_name(entry: str) -> str:
    return f"beat:{entry}"


def required_heartbeats() -> list[str]:
    """What readiness waits for: a worker on every queue (hold releases have their own) and beat."""
    return [*(worker_heartbeat_name(q.name) for q in settings.CELERY_TASK_QUEUES), BEAT]


def heartbeat_record(*names: str, at: datetime | None = None) -> None:
    seen_at = at or timezone.now()
    for name in names:
        Heartbeat.objects.update_or_create(name=name, defaults={"seen_at": seen_at})


def heartbeats_seen() -> dict[str, datetime]:
    return dict(Heartbeat.objects.values_list("name", "seen_at"))
