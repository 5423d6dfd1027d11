"""After a decision is recorded: a held transfer gets its hold, a decline for a customer's own lock is
logged and announced (by a task, off the request), and the answer is made."""

import logging

from locks.authorizations.answers import AuthorizationDecision, decision_answer
from locks.authorizations.context import Context
from locks.authorizations.tasks import authorization_decline_record, authorization_review_case_open
from locks.decision.engine import DECLINE, HOLD, REVIEW, Decision
from locks.decision.reasons import CUSTOMER_LOCK_REASONS, SIGNAL_DECLINE_REASONS
from locks.holds.services import hold_place
from securitycenter.metrics import decision_count

logger = logging.getLogger(__name__)


def decision_finish(
    ctx: Context,
    decision_id: int,
    decision: Decision,
    policy_version: int,
    *,
    degraded: bool,
    declines: list[int] | None = None,
) -> AuthorizationDecision:
    """Finish a freshly recorded decision and answer it.

    With `declines` the decline's id is added to it for `declines_announce` instead of enqueued at once.
    """
    hold_id = release_at = None
    reasons = tuple(map(str, decision.reasons))
    decision_count(decision.outcome, reasons, degraded=degraded)
    if decision.outcome == HOLD:
        hold = hold_place(authorization_id=decision_id)
        hold_id, release_at = hold.pk, hold.release_at
    elif decision.outcome == REVIEW:
        # A person must confirm it: the call-back queue gets a case (off the request; the sweep repairs).
        try:
            authorization_review_case_open.delay(decision_id)
        except Exception:  # noqa: BLE001 - the broker may be down; review_cases_sweep opens the case
            logger.warning("could not enqueue the review case of authorization %s", decision_id)
    elif decision.outcome == DECLINE and announced(decision):
        if declines is None:
            declines_announce([decision_id])
        else:
            declines.append(decision_id)
    return decision_answer(
        decision_id=decision_id,
        transaction_id=ctx.request.transaction_id,
        outcome=decision.outcome,
        reasons=reasons,
        policy_version=policy_version,
        degraded=degraded,
        hold_id=hold_id,
        release_at=release_at,
    )


_ANNOUNCED = CUSTOMER_LOCK_REASONS | SIGNAL_DECLINE_REASONS


def announced(decision: Decision) -> bool:
    """A decline for a lock the customer set, or for what their phone reported (a scam in progress: hang up),
    is logged and announced; one for a bank rule is not."""
    return any(r in _ANNOUNCED for r in decision.reasons)


def declines_announce(authorization_ids: list[int]) -> None:
    """Send declines to the worker to be logged and announced: one message for one, a starmap of the same task
    for a batch's.

    Enqueueing costs about half a millisecond a message (kombu builds a Redis client for every publish),
    which for a batch of 500 with a tenth declined was more than deciding the whole batch. If the broker is
    down the sweep (`authorization_declines_sweep`) finds the unlogged declines.
    """
    if not authorization_ids:
        return
    # One line a message, not a decision: what lets a decline be followed (by request id) into the worker.
    logger.info("sent %d decline(s) to be logged and announced: %s", len(authorization_ids), authorization_ids[:20])
    try:
        if len(authorization_ids) == 1:
            authorization_decline_record.delay(authorization_ids[0])
        else:
            authorization_decline_record.starmap([(pk,) for pk in authorization_ids]).delay()
    except Exception:  # noqa: BLE001 - the broker may be down; the sweep picks unlogged declines up
        logger.warning("could not enqueue decline records for %d authorization(s)", len(authorization_ids))
