"""Delivering a notification: one attempt by a worker, retried with backoff, delivered once.

Features call `accounts.notifications.queue.notification_queue`; delivery is the `notification_deliver` task
here, which calls `notification_send`; `accounts.notifications.tasks.notifications_sweep` re-enqueues what
a lost broker message left queued.

Delivered once, with one exception
----------------------------------
`notification_send` claims the row with SELECT ... FOR UPDATE SKIP LOCKED and keeps it locked while the
backend sends; the row becomes `sent` in that same transaction. A second worker running the task for the
same id at the same moment skips the locked row and returns; one that comes later sees `sent` and
returns. A worker that dies mid-send loses its connection, the lock with it, and the row is still
`queued`, so the sweep sends it again. That window, between the backend accepting the message and the
commit, is the only one in which a customer can get a message twice. We accept it: marking the row
before sending would close it only by opening a window in which a crash loses the message instead, and
a lost security alert is worse than a repeated one. The price is a transaction held open for one send,
so backends must use short network timeouts. SQLite, the local-run default, has no row locks: the
guarantee is PostgreSQL's.
"""

import logging
import random
from datetime import timedelta
from enum import StrEnum

from celery import Task, shared_task
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.module_loading import import_string

from accounts.models import Notification
from accounts.notifications.backends import (
    NotificationBackend,
    OutboundMessage,
    PermanentDeliveryError,
    TransientDeliveryError,
)
from accounts.notifications.templates import SECRET_PARAMS, UnknownTemplate, notification_render
from securitycenter.metrics import NOTIFICATION_FAILURES

logger = logging.getLogger(__name__)


class DeliveryOutcome(StrEnum):
    SENT = "sent"
    SKIPPED = "skipped"
    RETRY = "retry"
    FAILED = "failed"


def notification_backend(channel: str) -> NotificationBackend:
    backend: NotificationBackend = import_string(settings.NOTIFICATION_BACKENDS[channel])()
    return backend


def notification_recipient(notification: Notification) -> str:
    customer = notification.customer
    match notification.channel:
        case Notification.Channel.SMS:
            recipient, what = notification.recipient or customer.phone, "phone number"
        case Notification.Channel.EMAIL:
            recipient, what = customer.email, "email address"
        case Notification.Channel.PUSH:
            # The push service addresses all of a customer's signed-in devices by customer number.
            recipient, what = customer.customer_number, "customer number"
        case _:
            raise PermanentDeliveryError(f"Unknown channel {notification.channel!r}.")
    if not recipient:
        raise PermanentDeliveryError(
            f"The customer has no {what}: the {notification.channel} notification cannot go out."
        )
    return recipient


def notification_message(notification: Notification) -> OutboundMessage:
    try:
        text = notification_render(
            template=notification.template, language=notification.customer.language, params=notification.params
        )
    except UnknownTemplate:
        raise PermanentDeliveryError(f"Unknown notification template {notification.template!r}.") from None
    return OutboundMessage(
        notification_id=notification.pk,
        channel=notification.channel,
        template=notification.template,
        recipient=notification_recipient(notification),
        subject=text.subject,
        body=text.body,
    )


def notification_send(*, notification_id: int) -> DeliveryOutcome:
    """Try once to deliver a queued notification. See the module docstring for why it is delivered once."""
    with transaction.atomic():
        notification = (
            Notification.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("customer")
            .filter(pk=notification_id, status=Notification.Status.QUEUED)
            .first()
        )
        if notification is None:
            # Gone, already sent or failed, or another worker is sending it right now.
            return DeliveryOutcome.SKIPPED

        # Our own configuration is checked outside the try: a bad backend path must fail loudly and leave
        # the row queued for the sweep once it is fixed, not use up the attempts.
        backend = notification_backend(notification.channel)
        notification.attempts += 1
        try:
            message = notification_message(notification)
            # A savepoint: a backend whose database write fails must not break the claim's transaction.
            with transaction.atomic():
                backend.send(message)
        except TransientDeliveryError as exc:
            retries_left = notification.attempts <= settings.NOTIFICATION_MAX_RETRIES
            outcome = DeliveryOutcome.RETRY if retries_left else DeliveryOutcome.FAILED
            notification.last_error = (str(exc) or type(exc).__name__)[:500]
        except PermanentDeliveryError as exc:
            outcome = DeliveryOutcome.FAILED
            notification.last_error = (str(exc) or type(exc).__name__)[:500]
        except Exception as exc:  # noqa: BLE001 - a backend bug fails the notification instead of looping the sweep
            outcome = DeliveryOutcome.FAILED
            # Only the type: a foreign exception's message may quote the body, i.e. a one-time code.
            notification.last_error = f"Unexpected {type(exc).__name__} from the {notification.channel} backend."
        else:
            outcome = DeliveryOutcome.SENT
            notification.status = Notification.Status.SENT
            notification.sent_at = timezone.now()

        if outcome is not DeliveryOutcome.RETRY:
            notification.params = {
                key: "[redacted]" if key in SECRET_PARAMS else value for key, value in notification.params.items()
            }
        if outcome is DeliveryOutcome.FAILED:
            notification.status = Notification.Status.FAILED
            transaction.on_commit(NOTIFICATION_FAILURES.labels(notification.channel).inc)
            logger.warning(
                "notification %s (%s, %s) failed after %s attempts: %s",
                notification.pk,
                notification.template,
                notification.channel,
                notification.attempts,
                notification.last_error,
            )
        notification.save(update_fields=["status", "attempts", "last_error", "sent_at", "params"])
        return outcome


def notification_retry_countdown(*, retries: int) -> float:
    """Seconds before retry number `retries + 1`: exponential, capped, with jitter so a gateway that comes
    back is not hit by every waiting notification in the same second."""
    ceiling = min(
        settings.NOTIFICATION_RETRY_BACKOFF_MAX_SECONDS,
        settings.NOTIFICATION_RETRY_BACKOFF_SECONDS * 2**retries,
    )
    return ceiling / 2 + random.uniform(0, ceiling / 2)


def notifications_stale_ids(*, older_than: timedelta, limit: int) -> list[int]:
    """Queued notifications created more than `older_than` ago, oldest first."""
    cutoff = timezone.now() - older_than
    return list(
        Notification.objects.filter(status=Notification.Status.QUEUED, created_at__lt=cutoff)
        .order_by("created_at")
        .values_list("pk", flat=True)[:limit]
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
