"""Reads for the app: a customer's accounts, the effective locks of one, and "would this pass?"."""

import time
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone

from accounts.models import BankAccount, Customer
from locks.counters import local_period, usage_from_database
from locks.documents import document_from_row
from locks.engine import Decision, decide
from locks.models import PendingLoosening
from locks.policies import live_travel_windows, lock_settings_for, policy_compile
from locks.policy import Transaction, Usage


def customer_accounts(*, customer: Customer) -> QuerySet[BankAccount]:
    return BankAccount.objects.filter(customer=customer).exclude(status=BankAccount.Status.CLOSED).order_by("id")


def customer_account_get(*, customer: Customer, account_id: int) -> BankAccount:
    """The customer's own account; another customer's is indistinguishable from a missing one (404)."""
    account = customer_accounts(customer=customer).select_related("customer").filter(pk=account_id).first()
    if account is None:
        raise Http404("No such account.")
    return account


def customer_accounts_pick(*, customer: Customer, account_ids: list[int] | None) -> list[BankAccount]:
    """`None` means all of the customer's accounts; any id that is not theirs is a 404 for the whole request."""
    accounts = list(customer_accounts(customer=customer).select_related("customer"))
    if account_ids is None:
        return accounts
    by_id = {a.pk: a for a in accounts}
    missing = [i for i in account_ids if i not in by_id]
    if missing:
        raise Http404(f"No such account: {missing[0]}.")
    return [by_id[i] for i in dict.fromkeys(account_ids)]


def account_locks_view(*, account: BankAccount, now: datetime | None = None) -> dict[str, Any]:
    """Everything the app shows for one account's locks, in one read."""
    now = now or timezone.now()
    row = lock_settings_for(account)
    travel = list(live_travel_windows(account.pk, now=now))
    policy = policy_compile(row=row, travel_windows=travel)
    pending = PendingLoosening.objects.filter(account=account, status=PendingLoosening.Status.PENDING)
    return {
        "account": account_summary(account),
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
            "bank_maximums": settings.BANK_MAX_LIMITS.get(account.currency),
        },
        "cooling_off_threshold": policy.cooling_off_threshold,
    }


def account_summary(account: BankAccount) -> dict[str, Any]:
    return {
        "id": account.pk,
        "kind": account.kind,
        "masked_number": account.masked_number,
        "currency": account.currency,
        "status": account.status,
        "nickname": account.nickname,
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
