"""Celery tasks of the locks app: beat sweeps, each idempotent and safe to run twice or on two workers.

None of them is needed for a lock to hold: a travel window lapses by itself in the compiled policy, a
pending loosening is simply not in force until it is applied, and a policy missing from Redis is
rebuilt from the database. The sweeps only make what the database says happen promptly.
"""

import logging

from celery import shared_task
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts.notifications.queue import notification_queue
from accounts.notifications.templates import time_display
from locks.models import TravelWindow
from locks.rules.changes import pending_loosening_apply, pending_loosenings_due
from locks.rules.policies import policy_publish_stale

logger = logging.getLogger(__name__)

REPUBLISH_BATCH = 1000
# A run stops after this many full batches; the next minute's run carries on.
REPUBLISH_MAX_BATCHES = 20
REMINDER_BATCH = 500


@shared_task
def pending_loosenings_apply() -> int:
    """Apply every loosening whose delay is over; returns how many were applied."""
    applied = 0
    for pending_id in pending_loosenings_due():
        try:
            if pending_loosening_apply(pending_id=pending_id):
                applied += 1
        except Exception:
            logger.exception("pending loosening %s could not be applied; it stays pending", pending_id)
    return applied


@shared_task
def policies_republish() -> int:
    """Publish the policies whose last publish was lost (e.g. a tightening committed while Redis was down)."""
    published = 0
    for _ in range(REPUBLISH_MAX_BATCHES):
        count = policy_publish_stale(batch_size=REPUBLISH_BATCH)
        published += count
        if count < REPUBLISH_BATCH:
            break
    return published


def travel_window_reminders_send(*, limit: int = REMINDER_BATCH) -> int:
    """Tell each customer once that a travel window of theirs ends soon; returns how many were told.

    The windows are claimed with SKIP LOCKED and marked in the transaction that queues the notification,
    so two workers never both remind and a crash before the commit leaves the window to the next run.
    """
    now = timezone.now()
    with transaction.atomic():
        due = list(
            TravelWindow.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("account__customer")
            .filter(
                cancelled_at__isnull=True,
                reminder_sent_at__isnull=True,
                ends_at__gt=now,
                ends_at__lte=now + settings.TRAVEL_WINDOW_REMINDER_BEFORE,
            )
            .order_by("ends_at", "id")[:limit]
        )
        for window in due:
            customer = window.account.customer
            notification_queue(
                customer=customer,
                template="travel_window_ending",
                params={
                    "account": window.account.masked_number,
                    "ends_at": time_display(window.ends_at, customer.time_zone),
                },
            )
        TravelWindow.objects.filter(pk__in=[window.pk for window in due]).update(reminder_sent_at=now)
    return len(due)


@shared_task
def travel_windows_remind() -> int:
    """Remind customers of travel windows ending within TRAVEL_WINDOW_REMINDER_BEFORE."""
    return travel_window_reminders_send()
