"""The notification pipeline: a row per notification, queued for delivery after the transaction commits.

Later features call `notification_queue`; delivery is `accounts.tasks.notification_deliver`.
"""

from collections.abc import Mapping, Sequence
from functools import partial
from typing import Any

from django.db import transaction

from accounts.models import Customer, Notification


def notification_queue(
    *,
    customer: Customer,
    template: str,
    params: Mapping[str, Any] | None = None,
    channels: Sequence[str] = (Notification.Channel.PUSH,),
) -> list[Notification]:
    """Record one notification per channel and enqueue delivery once the current transaction commits."""
    from accounts.tasks import notification_deliver

    notifications = [
        Notification.objects.create(customer=customer, channel=channel, template=template, params=dict(params or {}))
        for channel in channels
    ]
    for notification in notifications:
        transaction.on_commit(partial(notification_deliver.delay, notification.pk))
    return notifications
