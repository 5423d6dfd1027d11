"""Beat work on trusted contacts' requests: expire the unanswered ones. Safe to run twice."""

from celery import shared_task

from locks.trusted.services import confirmations_expire


@shared_task(ignore_result=True)
def trusted_confirmations_expire() -> int:
    return confirmations_expire()
