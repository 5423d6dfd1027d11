"""After a decision is recorded: count it and answer it. What else it leaves to do (log and announce a
decline of a customer's lock, a placed hold) is done by the outbox worker from the committed record
(locks.authorizations.outbox), not on the request."""

import logging

from locks.authorizations.answers import AuthorizationDecision, decision_answer
from locks.authorizations.context import Context
from locks.authorizations.record import Recorded
from locks.authorizations.tasks import authorization_review_case_open
from locks.decision.engine import REVIEW, Decision
from securitycenter.metrics import decision_count

logger = logging.getLogger(__name__)


def decision_finish(
    ctx: Context, recorded: Recorded, decision: Decision, policy_version: int, *, degraded: bool
) -> AuthorizationDecision:
    """Count and answer a freshly recorded decision."""
    reasons = tuple(map(str, decision.reasons))
    decision_count(decision.outcome, reasons, degraded=degraded)
    if decision.outcome == REVIEW:
        # A person must confirm it: the call-back queue gets a case (off the request; the sweep repairs).
        # Still a publish on the request: not yet moved to the outbox (issue 14).
        try:
            authorization_review_case_open.delay(recorded.id)
        except Exception:  # noqa: BLE001 - the broker may be down; review_cases_sweep opens the case
            logger.warning("could not enqueue the review case of authorization %s", recorded.id)
    return decision_answer(
        decision_id=recorded.id,
        transaction_id=ctx.request.transaction_id,
        outcome=decision.outcome,
        reasons=reasons,
        policy_version=policy_version,
        degraded=degraded,
        hold_id=recorded.hold_id,
        release_at=recorded.release_at,
    )
