"""The notification pipeline: a row per notification, queued for delivery after the transaction commits.

Later features call `notification_queue`; delivery is `accounts.tasks.notification_deliver`, which calls
`notification_send`; `accounts.tasks.notifications_sweep` re-enqueues what a lost broker message left queued.

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
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum
from typing import Any, Protocol

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.module_loading import import_string

from accounts.models import Customer, Notification, SentMessage
from accounts.notification_templates import SECRET_PARAMS, TEMPLATES, UnknownTemplate, notification_render

logger = logging.getLogger(__name__)


class DeliveryError(Exception):
    """A backend could not deliver. The message goes to `last_error`: it must never contain the body."""


class TransientDeliveryError(DeliveryError):
    """Worth trying again later: a timeout, a gateway's 5xx, a rate limit."""


class PermanentDeliveryError(DeliveryError):
    """Will fail again however often it is tried: no recipient, a number the gateway rejects."""


@dataclass(frozen=True)
class OutboundMessage:
    notification_id: int
    channel: str
    template: str
    recipient: str
    subject: str
    body: str


class NotificationBackend(Protocol):
    def send(self, message: OutboundMessage) -> None:
        """Deliver `message`, or raise TransientDeliveryError / PermanentDeliveryError."""


def recipient_masked(recipient: str) -> str:
    """Enough of a phone number or address to tell messages apart in a log, not enough to contact anyone."""
    if "@" in recipient:
        local, _, domain = recipient.partition("@")
        return f"{local[:1]}***@{domain}"
    if len(recipient) > 8:
        return f"{recipient[:5]}****{recipient[-4:]}"
    return "****"


class RecordingBackend:
    """Sends nothing: writes what it would have sent to SentMessage, the demo's outbox."""

    def send(self, message: OutboundMessage) -> None:
        SentMessage.objects.create(
            notification_id=message.notification_id,
            channel=message.channel,
            recipient=message.recipient,
            subject=message.subject,
            body=message.body,
        )
        # Never the subject or body: an SMS body may be a one-time code.
        logger.info(
            "recorded %s notification %s (%s) for %s",
            message.channel,
            message.notification_id,
            message.template,
            recipient_masked(message.recipient),
        )


class DeliveryOutcome(StrEnum):
    SENT = "sent"
    SKIPPED = "skipped"
    RETRY = "retry"
    FAILED = "failed"


def notification_queue(
    *,
    customer: Customer,
    template: str,
    params: Mapping[str, Any] | None = None,
    channels: Sequence[str] = (Notification.Channel.PUSH,),
) -> list[Notification]:
    """Record one notification per channel and enqueue delivery once the current transaction commits."""
    # A misspelt template or channel would silently never reach the customer: refuse it in the caller's tests.
    if template not in TEMPLATES:
        raise ValueError(f"Unknown notification template {template!r}.")
    unknown_channels = set(channels) - set(Notification.Channel.values)
    if unknown_channels:
        raise ValueError(f"Unknown notification channels {sorted(unknown_channels)}.")

    notifications = [
        Notification.objects.create(customer=customer, channel=channel, template=template, params=dict(params or {}))
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
        from accounts.tasks import notification_deliver

        notification_deliver.delay(notification_id)

    return notification_enqueue


def notification_backend(channel: str) -> NotificationBackend:
    backend: NotificationBackend = import_string(settings.NOTIFICATION_BACKENDS[channel])()
    return backend


def notification_recipient(notification: Notification) -> str:
    customer = notification.customer
    match notification.channel:
        case Notification.Channel.SMS:
            recipient, what = customer.phone, "phone number"
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
