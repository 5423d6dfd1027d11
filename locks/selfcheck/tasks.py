"""The weekly self-check scan (beat): one task per customer, each idempotent (one kept scan per customer and
ISO week, one notice per high finding), so running the sweep twice tells nobody twice."""

import logging

from celery import shared_task

from locks.selfcheck.services import customers_for_weekly_scan, iso_week, self_check_weekly

logger = logging.getLogger(__name__)

BATCH = 1000


@shared_task
def self_check_weekly_sweep() -> int:
    """Queue this week's scan of every active customer; returns how many were queued."""
    week = iso_week()
    queued, after = 0, 0
    while True:
        ids = customers_for_weekly_scan(after_id=after, limit=BATCH)
        if not ids:
            return queued
        for customer_id in ids:
            self_check_weekly_customer.delay(customer_id, week)
        queued += len(ids)
        after = ids[-1]


@shared_task
def self_check_weekly_customer(customer_id: int, week: str) -> bool:
    return self_check_weekly(customer_id=customer_id, week=week)
