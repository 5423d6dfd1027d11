"""Beat sweeps of the agents' room, each idempotent: a freeze 95588 placed ends at its expiry."""

import logging

from celery import shared_task

from locks.agents.freezes import remote_freeze_expire, remote_freezes_due

logger = logging.getLogger(__name__)


@shared_task
def remote_freezes_expire() -> int:
    """Lift every remote freeze whose expiry has come; returns how many this run lifted (a second run: 0)."""
    lifted = 0
    for freeze_id in remote_freezes_due():
        try:
            if remote_freeze_expire(freeze_id=freeze_id):
                lifted += 1
        except Exception:
            # One freeze that cannot be lifted (say, a bad lock row) must not stop the others; it stays
            # frozen, which is the safe side, and the next run tries again.
            logger.exception("remote freeze %s could not be lifted at its expiry", freeze_id)
    return lifted
