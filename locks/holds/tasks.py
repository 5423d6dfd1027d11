"""Beat work on holds: release the due ones, remind before release, retry webhooks. Each task takes ids or
nothing, re-reads the database, and is safe to run twice."""

from celery import shared_task

from locks.holds import services
from locks.holds.webhooks import webhook_deliver, webhooks_due


@shared_task(ignore_result=True)
def holds_release_due() -> int:
    return services.holds_release_due()


@shared_task(ignore_result=True)
def hold_release(hold_id: int) -> bool:
    return services.hold_release(hold_id=hold_id)


@shared_task(ignore_result=True)
def holds_remind() -> int:
    return services.holds_remind()


@shared_task(ignore_result=True)
def webhooks_retry() -> int:
    due = webhooks_due()
    for delivery_id in due:
        webhook_deliver.delay(delivery_id)
    return len(due)
