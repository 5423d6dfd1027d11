"""Real-time authorization decisions for the payment core: the hot path.

Per request: decode with msgspec, one Redis round trip (`locks.authorizations.script`: idempotency, policy
version, usage check-and-reserve, payee risk, known payee), the pure engine, one INSERT of the durable
record. No ORM and no DRF on the way; the rare paths (a policy not yet cached, counters to rebuild, a
duplicate request) may use the ORM.

If Redis is unreachable the configured degraded mode applies (`locks.authorizations.degraded`).
"""

import logging
import time
from typing import Any

import redis
from redis.commands.core import Script

from locks.authorizations.answers import AuthorizationDecision
from locks.authorizations.context import Context, context_build, policies
from locks.authorizations.degraded import authorize_degraded
from locks.authorizations.finish import decision_finish
from locks.authorizations.record import duplicate_answer, record, stored_request_hash
from locks.authorizations.request import AuthorizationRequest
from locks.authorizations.script import (
    Reservation,
    answer_kind,
    redis_and_script,
    reservation_read,
    reservation_release,
    script_args,
    script_keys,
)
from locks.counters import degraded_accounts_forget, local_period, usage_rebuild
from locks.decision.engine import COUNTED_OUTCOMES, DECLINE, Decision, decide, usage_limit_reasons
from locks.decision.policy import CompiledPolicy, Usage, policy_decode
from locks.decision.reasons import Reason
from locks.models import LockSettings
from locks.risklist.services import risk_list_publish
from locks.rules.policies import POLICY_KEY, policy_publish

logger = logging.getLogger(__name__)

_SCRIPT_ATTEMPTS = 6


def authorize(*, request: AuthorizationRequest, client_id: int) -> AuthorizationDecision:
    """Decide one payment. Raises InvalidInput, Unprocessable (unknown account), IdempotencyConflict."""
    ctx = context_build(request, client_id)
    try:
        return _authorize_fast(ctx)
    except (redis.ConnectionError, redis.TimeoutError) as exc:
        logger.warning(
            "Redis unreachable (%s): deciding %s in degraded mode", type(exc).__name__, request.transaction_id
        )
        return authorize_degraded(ctx)


def _authorize_fast(ctx: Context) -> AuthorizationDecision:
    client, script = redis_and_script()
    degraded_accounts_forget(client)
    res = _reserve(client, script, ctx)
    if isinstance(res, str):
        return duplicate_answer(ctx, res)
    decision, counted = settle(client, ctx, res)
    recorded = record(
        ctx, decision, policy_version=res.policy.version, day=res.period.day, counted=counted, degraded=False
    )
    if recorded is None:
        # Redis lost the idempotency marker but the database has the transaction: give back what we took.
        if counted:
            reservation_release(client, ctx, res)
        return duplicate_answer(ctx, stored_request_hash(ctx))
    return decision_finish(ctx, recorded, decision, res.policy.version, degraded=False)


def prejudged_decline(policy: CompiledPolicy, ctx: Context) -> bool:
    """A decline that no usage could change (frozen, channel off, region, time, screen sharing): don't
    reserve at all."""
    return decide(policy, ctx.txn, _NO_USAGE, ctx.rules).outcome == DECLINE


_NO_USAGE = Usage(payee_known=True)


def settle(client: Any, ctx: Context, res: Reservation) -> tuple[Decision, bool]:
    """The engine's decision on a reservation, and whether the amount stays counted.

    A reservation the decision does not count is given back (`client` may be a pipeline). If the script
    refused to reserve but the engine would let the payment through, the payment is declined: money that
    was not reserved is never approved.
    """
    decision = decide(res.policy, ctx.txn, res.usage, ctx.rules)
    counted = res.reserved and decision.outcome in COUNTED_OUTCOMES
    if res.reserved and not counted:
        reservation_release(client, ctx, res)
    elif not res.reserved and decision.outcome != DECLINE:
        logger.error("reservation refused but engine said %s for %s", decision.outcome, ctx.request.transaction_id)
        # The limit the script found exceeded, as what it is (daily, monthly or the channel's own).
        reasons = usage_limit_reasons(res.policy, ctx.txn, res.usage) or (Reason.OVER_DAILY_LIMIT,)
        decision = Decision(DECLINE, reasons)
    return decision, counted


def _reserve(client: redis.Redis, script: Script, ctx: Context) -> Reservation | str:
    """Run the script until it answers `ok` (a Reservation) or `dup` (the stored request hash)."""
    seen: list[str] = []
    for _ in range(_SCRIPT_ATTEMPTS):
        policy = policies.get(ctx.account_id)
        period = local_period(policy.time_zone, time.time()) if policy is not None else None
        reserve = policy is not None and not prejudged_decline(policy, ctx)
        answer = script(keys=script_keys(ctx), args=script_args(ctx, policy, period, reserve), client=client)
        kind = answer_kind(answer)
        if kind == "ok":
            assert policy is not None and period is not None
            return reservation_read(answer, policy, period)
        if kind == "dup":
            return str(answer[1].decode())
        seen.append(kind)
        script_answer_act(client, ctx, kind, answer)
    raise redis.RedisError(f"authorization script did not settle: {seen}")


def script_answer_act(client: redis.Redis, ctx: Context, kind: str, answer: list[Any]) -> None:
    """Do what a non-final script answer asks for, so that the next call can settle."""
    if kind == "policy":
        policies[ctx.account_id] = policy_decode(answer[2])
    elif kind == "nopolicy":
        LockSettings.objects.get_or_create(account_id=ctx.account_id)
        policy_publish(account_ids=[ctx.account_id])
        if not client.exists(POLICY_KEY.format(ctx.account_id)):
            raise redis.ConnectionError("policy could not be published")
    elif kind == "rebuild":
        policy = policies[ctx.account_id]
        usage_rebuild(client, account_id=ctx.account_id, period=local_period(policy.time_zone, time.time()))
    elif kind == "norisk":
        risk_list_publish(client)
