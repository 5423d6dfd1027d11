"""The durable records are the outbox of the hot path: what a decision leaves to do (log and announce a
decline of a customer's lock, log and announce a placed hold, open a review's call-back case) is found here
from committed rows, by a task run when `outbox_kick` asks and by beat every `AUTHORIZATION_OUTBOX_SECONDS`
(the safety net), never by a message published on the request.

A Celery publish cost ≈ 0.8 ms a decline and a hold placement ≈ 6 ms on the request; the sweep costs one
indexed query a second (both look-ups use partial indexes of the rows still to do, which stay small).
Each item is done in its own short transaction with its row locked SKIP LOCKED, so two workers sweeping at
once share the work and nothing is done twice.
"""

import logging

from celery import current_app
from django.conf import settings

from locks.authorizations.declines import authorization_decline_log
from locks.authorizations.reviews import review_outbox_open
from locks.holds.services import hold_announce
from locks.models import Authorization, Hold
from securitycenter.redis import redis_client

logger = logging.getLogger(__name__)

# Set while a kick's run is pending (cleared by the run before it looks): kicks in between are dropped.
KICK_KEY = "outbox:kick"
_SWEEP_TASK = "locks.authorizations.tasks.authorization_outbox_sweep"


def outbox_kick() -> None:
    """Ask a worker to run the outbox now: for the committer (group commit) to call once per committed group,
    from its own thread, after the commit. Beat's sweep is the safety net, so this never raises.

    Coalesced: while a kick's run is pending (`KICK_KEY`, set NX) further kicks publish nothing, since that run
    clears the key before it looks and so sees every group committed before it. The key expires after
    `AUTHORIZATION_OUTBOX_KICK_MS`, so a lost message delays only until the next kick or beat's sweep.
    """
    try:
        if redis_client().set(KICK_KEY, 1, nx=True, px=settings.AUTHORIZATION_OUTBOX_KICK_MS):
            current_app.send_task(_SWEEP_TASK)
    except Exception:  # noqa: BLE001 - Redis or the broker may be down; beat's sweep finds the rows
        logger.warning("could not kick the outbox")


def outbox_drain(*, limit: int = 1000) -> int:
    """Do what committed decisions left to do, oldest first; the number of items done."""
    done = 0
    decline_ids = list(
        Authorization.objects.filter(outcome=Authorization.Outcome.DECLINE, logged_at__isnull=True)
        .order_by()
        .values_list("pk", flat=True)[:limit]
    )
    for pk in decline_ids:
        done += authorization_decline_log(authorization_id=pk)
    hold_ids = list(
        Hold.objects.filter(announced_at__isnull=True).order_by("created_at").values_list("pk", flat=True)[:limit]
    )
    for pk in hold_ids:
        done += hold_announce(hold_id=pk)
    review_ids = list(
        Authorization.objects.filter(outcome=Authorization.Outcome.REVIEW, logged_at__isnull=True)
        .order_by()
        .values_list("pk", flat=True)[:limit]
    )
    for pk in review_ids:
        done += review_outbox_open(authorization_id=pk)
    return done
