"""Reads for the app: the effective locks of an account, and "would this pass?"."""

import time
from datetime import datetime
from typing import Any

from django.utils import timezone

from accounts.models import BankAccount
from locks.counters import local_period, usage_from_database
from locks.decision.engine import Decision, decide
from locks.decision.policy import Transaction, Usage
from locks.models import PendingLoosening
from locks.rules.documents import document_from_row
from locks.rules.kinds import account_kind
from locks.rules.policies import live_travel_windows, lock_settings_for, policy_compile


def account_locks_view(*, account: BankAccount, now: datetime | None = None) -> dict[str, Any]:
    """Everything the app shows for one account's locks, in one read (the view adds the account itself)."""
    now = now or timezone.now()
    row = lock_settings_for(account)
    travel = list(live_travel_windows(account.pk, now=now))
    policy = policy_compile(row=row, travel_windows=travel)
    pending = PendingLoosening.objects.filter(account=account, status=PendingLoosening.Status.PENDING)
    return {
        "version": row.version,
        **document_from_row(row),
        "travel_windows": [
            {
                "id": t.pk,
                "regions": t.regions,
                "starts_at": t.starts_at,
                "ends_at": t.ends_at,
                "active": t.starts_at <= now < t.ends_at,
            }
            for t in travel
        ],
        "pending_loosenings": [
            {"id": p.pk, "changes": p.document, "loosens": p.summary, "effective_at": p.effective_at} for p in pending
        ],
        "effective_limits": {
            "currency": account.currency,
            "per_transaction": policy.per_transaction_limit,
            "daily": policy.daily_limit,
            "monthly": policy.monthly_limit,
            "bank_maximums": account_kind(account).ceilings,
        },
        "cooling_off_threshold": policy.cooling_off_threshold,
        # Set when elderly protection applies (the switch or the customer's age): new-payee transfers at or
        # above it wait for the bank's call-back.
        "call_back_threshold": policy.call_back_new_payee_threshold,
    }


def account_would_pass(*, account: BankAccount, txn: Transaction, usage: Usage | None = None) -> Decision:
    """The engine's answer for a described transaction against the account's current locks."""
    row = lock_settings_for(account)
    policy = policy_compile(row=row, travel_windows=live_travel_windows(account.pk))
    if usage is None:
        # What the account has really spent today and this month counts: the durable record, not Redis.
        spent = usage_from_database(
            account_id=account.pk, period=local_period(policy.time_zone, time.time()), channel=txn.channel
        )
        usage = Usage(spent["da"], spent["ma"], spent["dc"], spent["mc"], payee_known=True)
    return decide(policy, txn, usage)
