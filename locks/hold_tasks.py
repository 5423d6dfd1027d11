"""Hold and webhook tasks. Each takes ids or nothing, re-reads the database, and is safe to run twice."""

from celery import shared_task

from locks import holds


@shared_task(ignore_result=True)
def holds_release_due() -> int:
    return holds.holds_release_due()


@shared_task(ignore_result=True)
def hold_release(hold_id: int) -> bool:
    return holds.hold_release(hold_id=hold_id)


@shared_task(ignore_result=True)
def holds_remind() -> int:
    return holds.holds_remind()


@shared_task(ignore_result=True)
def webhook_deliver(delivery_id: int) -> bool:
    # No Celery retry with a countdown: a failed attempt sets next_attempt_at and `webhooks_retry` (beat)
    # picks it up, so nothing depends on the broker keeping a delayed message.
    return holds.webhook_send(delivery_id=delivery_id)


@shared_task(ignore_result=True)
def webhooks_retry() -> int:
    due = holds.webhooks_due()
    for delivery_id in due:
        webhook_deliver.delay(delivery_id)
    return len(due)
