"""Deciding without Redis: from the database alone, one account at a time under its lock row.

What happens while Redis is unreachable is settings.AUTHORIZATION_DEGRADED_MODE: by default
("decline_risky") card-not-present payments and transfers are declined with `service_degraded` and the
rest are decided from the database; "database" decides everything from it; "decline_all" declines all.
The account's lock row is the mutex that keeps limits exact, and each decision is in the security log.
"""

import time

from django.conf import settings
from django.db import transaction

from locks.authorizations.answers import AuthorizationDecision
from locks.authorizations.context import Context
from locks.authorizations.finish import decision_finish
from locks.authorizations.record import duplicate_answer, record, signals_json, stored_request_hash
from locks.counters import degraded_accounts_note, local_period, usage_from_database
from locks.decision.engine import COUNTED_OUTCOMES, DECLINE, Decision, decide
from locks.decision.policy import CARD_NOT_PRESENT_CHANNELS, Transaction, Usage
from locks.decision.reasons import Reason
from locks.models import Authorization, LockSettings, PayeeRiskEntry
from locks.rules.policies import live_travel_windows, policy_compile
from securitycenter.securitylog.models import EventType
from securitycenter.securitylog.record import Actor, security_log_record


def _degraded_refuses(txn: Transaction) -> bool:
    mode = settings.AUTHORIZATION_DEGRADED_MODE
    if mode == "decline_all":
        return True
    if mode == "database":
        return False
    return txn.channel in CARD_NOT_PRESENT_CHANNELS or txn.is_transfer


def authorize_degraded(ctx: Context) -> AuthorizationDecision:
    """Decide from the database alone. The account's lock row is the mutex that keeps limits exact."""
    existing = stored_request_hash(ctx)
    if existing is not None:
        return duplicate_answer(ctx, existing)
    with transaction.atomic():
        LockSettings.objects.get_or_create(account_id=ctx.account_id)
        row = (
            LockSettings.objects.select_for_update().select_related("account__customer").get(account_id=ctx.account_id)
        )
        policy = policy_compile(row=row, travel_windows=live_travel_windows(ctx.account_id))
        period = local_period(policy.time_zone, time.time())
        if _degraded_refuses(ctx.txn):
            decision = Decision(DECLINE, (Reason.SERVICE_DEGRADED,))
        else:
            spent = usage_from_database(account_id=ctx.account_id, period=period, channel=ctx.txn.channel)
            risk = (
                PayeeRiskEntry.objects.filter(counterparty=ctx.counterparty).values_list("severity", flat=True).first()
                if ctx.counterparty
                else None
            )
            known = (
                bool(ctx.counterparty)
                and Authorization.objects.filter(
                    account_id=ctx.account_id, counterparty=ctx.counterparty, counted=True, reversed_at__isnull=True
                ).exists()
            )
            usage = Usage(spent["da"], spent["ma"], spent["dc"], spent["mc"], risk, known)  # type: ignore[arg-type]
            decision = decide(policy, ctx.txn, usage, ctx.rules)
        counted = decision.outcome in COUNTED_OUTCOMES
        recorded = record(ctx, decision, policy_version=policy.version, day=period.day, counted=counted, degraded=True)
        if recorded is None:  # a twin got there first, in the same degraded state
            transaction.set_rollback(True)
        else:
            security_log_record(
                event_type=EventType.DEGRADED_MODE,
                actor=Actor.system("authorization"),
                customer=row.account.customer,
                details={
                    "transaction_id": ctx.request.transaction_id,
                    "account_id": ctx.account_id,
                    "mode": settings.AUTHORIZATION_DEGRADED_MODE,
                    "decision": decision.outcome,
                    "reasons": [str(r) for r in decision.reasons],
                    "device_signals": signals_json(ctx),
                },
            )
    if recorded is None:
        return duplicate_answer(ctx, stored_request_hash(ctx))
    if counted:
        degraded_accounts_note(ctx.account_id)
    return decision_finish(ctx, recorded, decision, policy.version, degraded=True)
