"""Beat sweeps of the notification pipeline: each idempotent and safe to run twice."""

from celery import shared_task
from django.conf import settings

from accounts.notifications.delivery import notification_deliver, notifications_stale_ids


@shared_task
def notifications_sweep() -> int:
    """Enqueue again the notifications still queued well after creation: their broker message was lost, or
    a worker died mid-send. Enqueuing one that is in fact in flight is harmless: the claim skips it."""
    stale = notifications_stale_ids(
        older_than=settings.NOTIFICATION_SWEEP_AFTER, limit=settings.NOTIFICATION_SWEEP_BATCH
    )
    for notification_id in stale:
        notification_deliver.delay(notification_id)
    return len(stale)
