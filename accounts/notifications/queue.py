"""`notification_queue`: what every feature calls to tell a customer something.

One row per channel, written in the caller's transaction; delivery is enqueued only once that transaction
commits (`accounts.notifications.delivery`), and the sweep re-enqueues what a lost message left queued.
"""

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from django.db import transaction

from accounts.models import Customer, Notification
from accounts.notifications.delivery import notification_deliver
from accounts.notifications.templates import TEMPLATES


def notification_queue(
    *,
    customer: Customer,
    template: str,
    params: Mapping[str, Any] | None = None,
    channels: Sequence[str] = (Notification.Channel.PUSH,),
    recipient: str = "",
) -> list[Notification]:
    """Record one notification per channel and enqueue delivery once the current transaction commits.

    With `recipient` (a phone number, SMS only) it goes to that number instead of the customer's own."""
    # A misspelt template or channel would silently never reach the customer: refuse it in the caller's tests.
    if template not in TEMPLATES:
        raise ValueError(f"Unknown notification template {template!r}.")
    unknown_channels = set(channels) - set(Notification.Channel.values)
    if unknown_channels:
        raise ValueError(f"Unknown notification channels {sorted(unknown_channels)}.")
    if recipient and set(channels) != {Notification.Channel.SMS}:
        raise ValueError("Only an SMS can go to another recipient.")

    notifications = [
        Notification.objects.create(
            customer=customer, channel=channel, template=template, params=dict(params or {}), recipient=recipient
        )
        for channel in channels
    ]
    for notification in notifications:
        # robust: the caller's change is committed by now; a broker outage must not turn it into an error.
        # The row stays queued and the sweep enqueues it again.
        transaction.on_commit(_delivery_enqueuer(notification.pk), robust=True)
    return notifications


def _delivery_enqueuer(notification_id: int) -> Callable[[], None]:
    # A named function, not functools.partial: Django logs a failed robust callback by its __qualname__.
    def notification_enqueue() -> None:
        notification_deliver.delay(notification_id)

    return notification_enqueue
