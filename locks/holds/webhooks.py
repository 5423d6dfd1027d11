"""Webhooks to the payment core about its holds, and about its payments sent to review once they end:
recorded in the transaction of the change, posted after it commits, signed, and retried until acknowledged
(a 2xx answer).

The first attempt is a message sent on commit; if it is lost, `webhooks_due` (run by beat through
`locks.holds.tasks.webhooks_retry`) finds the delivery again, so nothing depends on the broker keeping a
delayed message.

Nothing is ever posted unsigned: a client without a webhook secret gets no request (the attempt is recorded
as `no_webhook_secret` and retried, so the events go out once an operator gives it one). While a rotated
secret's overlap runs, each webhook carries both signatures (`v1=<new>,v1=<previous>`), so the receiver
may switch secrets at any moment of the overlap.
"""

import hashlib
import hmac
import json
import time
import urllib.error
import urllib.request
from datetime import timedelta
from functools import partial
from typing import Any

from celery import shared_task
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts.models import ServiceClient
from locks.models import Authorization, Hold, WebhookAttempt, WebhookDelivery
from securitycenter.metrics import webhook_attempt_count

SIGNATURE_HEADER = "X-SC-Signature"
TIMESTAMP_HEADER = "X-SC-Timestamp"
EVENT_HEADER = "X-SC-Event"
DELIVERY_HEADER = "X-SC-Delivery"


def hold_payload(hold: Hold) -> dict[str, Any]:
    return {
        "hold_id": hold.pk,
        "transaction_id": hold.authorization.transaction_id,
        "status": hold.status,
        "amount": hold.amount,
        "currency": hold.currency,
        "reasons": hold.reasons,
        "release_at": hold.release_at.isoformat(),
        "resolved_at": hold.resolved_at.isoformat() if hold.resolved_at else None,
    }


def webhook_queue(*, hold: Hold, event: str) -> WebhookDelivery | None:
    """Record the event for the payment core and send it once the transaction commits."""
    if not hold.client.webhook_url:
        return None
    delivery = WebhookDelivery.objects.create(
        client=hold.client,
        hold=hold,
        event=event,
        payload={"event": event, "hold": hold_payload(hold)},
        # The message sent on commit is the first attempt; `webhooks_due` steps in only if it is lost.
        next_attempt_at=timezone.now() + settings.WEBHOOK_REQUEUE_AFTER,
    )
    transaction.on_commit(partial(webhook_deliver.delay, delivery.pk), robust=True)
    return delivery


def review_webhook_queue(*, authorization: Authorization, approved: bool) -> WebhookDelivery | None:
    """Tell the payment core how a payment it was told to hold for review ended (once per outcome)."""
    client = authorization.client
    if not client.webhook_url:
        return None
    event = "review.approved" if approved else "review.declined"
    delivery, created = WebhookDelivery.objects.get_or_create(
        authorization=authorization,
        event=event,
        defaults={
            "client": client,
            "payload": {
                "event": event,
                "review": {
                    "authorization_id": authorization.pk,
                    "transaction_id": authorization.transaction_id,
                    "outcome": "approve" if approved else "decline",
                    "amount": authorization.amount,
                    "currency": authorization.currency,
                },
            },
            "next_attempt_at": timezone.now() + settings.WEBHOOK_REQUEUE_AFTER,
        },
    )
    if created:
        transaction.on_commit(partial(webhook_deliver.delay, delivery.pk), robust=True)
    return delivery


def webhook_signature(*, secret: str, timestamp: str, body: bytes) -> str:
    """HMAC-SHA256 over "<timestamp>.<body>", hex. The receiver recomputes it and checks the timestamp
    is recent (we suggest 5 minutes) to refuse replays."""
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "v1=" + mac.hexdigest()


def webhook_signing_secrets(client: ServiceClient) -> list[str]:
    """The secrets a webhook to `client` is signed with now: the current one, and the previous one while
    its overlap runs. Empty if the client has none: then nothing may be sent."""
    signing = [client.webhook_secret] if client.webhook_secret else []
    until = client.webhook_secret_previous_until
    if client.webhook_secret_previous and until is not None and until > timezone.now():
        signing.append(client.webhook_secret_previous)
    return signing


def webhook_signature_header(*, secrets: list[str], timestamp: str, body: bytes) -> str:
    return ",".join(webhook_signature(secret=secret, timestamp=timestamp, body=body) for secret in secrets)


def webhook_verify(*, secret: str, timestamp: str, body: bytes, header: str) -> bool:
    """What a receiver does: True if any signature in `header` is `secret`'s (compared in constant time)."""
    expected = webhook_signature(secret=secret, timestamp=timestamp, body=body)
    return any(hmac.compare_digest(expected, part.strip()) for part in header.split(","))


def _backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(2**attempts, settings.WEBHOOK_MAX_BACKOFF_SECONDS))


def webhook_send(*, delivery_id: int) -> bool:
    """Try one delivery; True when acknowledged. Two workers never post the same delivery at once."""
    with transaction.atomic():
        # Lock the delivery row only: locking the joined client row too would skip every other delivery to
        # that client and block the client's authorizations (their FK check) while this POST is in flight.
        delivery = (
            WebhookDelivery.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("client")
            .filter(pk=delivery_id, status=WebhookDelivery.Status.PENDING)
            .first()
        )
        if delivery is None:
            return False
        body = json.dumps({**delivery.payload, "delivery_id": delivery.pk}, separators=(",", ":")).encode()
        timestamp = str(int(time.time()))
        signing = webhook_signing_secrets(delivery.client)
        started = time.monotonic()
        status_code: int | None = None
        error = ""
        if not signing:
            error = "no_webhook_secret"  # an unsigned webhook could be forged by anyone: never send one
        else:
            request = urllib.request.Request(  # noqa: S310 - the URL is the client's configured https endpoint
                delivery.client.webhook_url,
                data=body,
                method="POST",
                headers={
                    "Content-Type": "application/json",
                    TIMESTAMP_HEADER: timestamp,
                    SIGNATURE_HEADER: webhook_signature_header(secrets=signing, timestamp=timestamp, body=body),
                    EVENT_HEADER: delivery.event,
                    DELIVERY_HEADER: str(delivery.pk),
                },
            )
            try:
                with urllib.request.urlopen(request, timeout=settings.WEBHOOK_TIMEOUT_SECONDS) as response:  # noqa: S310
                    status_code = response.status
            except urllib.error.HTTPError as exc:
                status_code = exc.code
            except (urllib.error.URLError, TimeoutError, OSError) as exc:
                error = type(exc).__name__
        now = timezone.now()
        WebhookAttempt.objects.create(
            delivery=delivery,
            attempted_at=now,
            status_code=status_code,
            error=error,
            duration_ms=int((time.monotonic() - started) * 1000),
        )
        webhook_attempt_count(status_code)
        delivery.attempts += 1
        acknowledged = status_code is not None and 200 <= status_code < 300
        if acknowledged:
            delivery.status = WebhookDelivery.Status.DELIVERED
            delivery.delivered_at = now
        else:
            delivery.next_attempt_at = now + _backoff(delivery.attempts)
        delivery.save(update_fields=["status", "delivered_at", "attempts", "next_attempt_at"])
    return acknowledged


def webhooks_due(*, limit: int = 500) -> list[int]:
    """Pending deliveries to send (again), each claimed for WEBHOOK_REQUEUE_AFTER: without the claim every
    sweep queued another message for a delivery whose message was merely waiting in a busy broker, and the
    queue grew faster than the worker could empty it."""
    now = timezone.now()
    with transaction.atomic():
        due = list(
            WebhookDelivery.objects.select_for_update(skip_locked=True)
            .filter(status=WebhookDelivery.Status.PENDING, next_attempt_at__lte=now)
            .order_by("next_attempt_at")
            .values_list("pk", flat=True)[:limit]
        )
        WebhookDelivery.objects.filter(pk__in=due).update(next_attempt_at=now + settings.WEBHOOK_REQUEUE_AFTER)
    return due


@shared_task(ignore_result=True)
def webhook_deliver(delivery_id: int) -> bool:
    # No Celery retry with a countdown: a failed attempt sets next_attempt_at and `webhooks_retry` (beat)
    # picks it up, so nothing depends on the broker keeping a delayed message.
    return webhook_send(delivery_id=delivery_id)
