"""After a decision is recorded: count it and answer it. What else it leaves to do (log and announce a
decline of a customer's lock or a placed hold, open a review's call-back case) is done by the outbox worker
from the committed record (locks.authorizations.outbox), not on the request."""

from locks.authorizations.answers import AuthorizationDecision, decision_answer
from locks.authorizations.context import Context
from locks.authorizations.record import Recorded
from locks.decision.engine import Decision
from securitycenter.metrics import decision_count


def decision_finish(
    ctx: Context, recorded: Recorded, decision: Decision, policy_version: int, *, degraded: bool
) -> AuthorizationDecision:
    """Count and answer a freshly recorded decision."""
    reasons = tuple(map(str, decision.reasons))
    decision_count(decision.outcome, reasons, degraded=degraded)
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
