"""Celery tasks of the accounts app. Tasks take ids, call a service and are safe to run twice."""

from celery import Task, shared_task
from django.conf import settings

from accounts.notifications import (
    DeliveryOutcome,
    notification_retry_countdown,
    notification_send,
    notifications_stale_ids,
)


@shared_task(bind=True)
def notification_deliver(self: Task, notification_id: int) -> None:
    """Deliver one notification; retry with backoff while the backend reports a transient error.

    The notification's own `attempts` decides when to give up (`notification_send` marks it failed), so
    attempts made by the sweep count too; Celery's retry limit is only a backstop.
    """
    if notification_send(notification_id=notification_id) is DeliveryOutcome.RETRY:
        raise self.retry(
            countdown=notification_retry_countdown(retries=self.request.retries),
            max_retries=settings.NOTIFICATION_MAX_RETRIES,
        )


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
