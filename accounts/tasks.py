from celery import shared_task


@shared_task
def notification_deliver(notification_id: int) -> None:
    """Placeholder replaced by the notifications work in this same change."""
