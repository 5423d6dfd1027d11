"""One payment as the hot path works on it, and the in-process caches that spare it database reads.

Account numbers never change, so an account reference resolves once per process; decoded policies are kept
per account and used only when the authorization script confirms their version is still current.
"""

from collections import OrderedDict
from dataclasses import dataclass
from typing import Any, Final

from django.conf import settings

from accounts.models import BankAccount
from locks.authorizations.request import AuthorizationRequest, request_hash
from locks.decision.policy import CompiledPolicy, Transaction
from locks.decision.signals import DEFAULT_SIGNAL_RULES, SignalRules
from securitycenter.account_numbers import account_number_index, payee_index
from securitycenter.errors import Unprocessable

_ACCOUNT_CACHE_MAX: Final = 200_000
# "id:<pk>" or the account number's blind index → (account id, currency).
_account_ids: "OrderedDict[str, tuple[int, str]]" = OrderedDict()
# Decoded policies by account; an entry is only used when Redis confirms its version.
policies: dict[int, CompiledPolicy] = {}


def caches_clear() -> None:
    """Forget every cached account and policy (tests, and a process that must not trust what it saw)."""
    _account_ids.clear()
    policies.clear()


def account_cache_put(*, account_id: int, currency: str, number_index: str) -> None:
    """Remember an account as `account_resolve` would (the benchmark warms a worker with this)."""
    _account_ids[f"id:{account_id}"] = (account_id, currency)
    _account_ids[number_index] = (account_id, currency)


def account_resolve(request: AuthorizationRequest) -> tuple[int, str]:
    """(account id, currency) for the request's account reference."""
    if request.account_id is not None:
        key = f"id:{request.account_id}"
        lookup: dict[str, Any] = {"pk": request.account_id}
    else:
        assert request.account_number is not None
        index = account_number_index(request.account_number)
        key, lookup = index, {"number_index": index}
    hit = _account_ids.get(key)
    if hit is not None:
        return hit
    row = (
        BankAccount.objects.filter(**lookup)
        .exclude(status=BankAccount.Status.CLOSED)
        .values_list("pk", "currency")
        .first()
    )
    if row is None:
        field = "account_id" if request.account_id is not None else "account_number"
        raise Unprocessable("No such open account or card.", code="unknown_account", field=field)
    if len(_account_ids) >= _ACCOUNT_CACHE_MAX:
        _account_ids.popitem(last=False)
    _account_ids[key] = (row[0], row[1])
    return row[0], row[1]


_rules_cache: list[Any] = [None, DEFAULT_SIGNAL_RULES]


def signal_rules() -> SignalRules:
    """settings.DEVICE_SIGNAL_RULES as the engine reads them, built again only when the setting changes."""
    configured = settings.DEVICE_SIGNAL_RULES
    if _rules_cache[0] is not configured:
        _rules_cache[1] = SignalRules(**configured)
        _rules_cache[0] = configured
    rules: SignalRules = _rules_cache[1]
    return rules


@dataclass
class Context:
    """A payment being decided: the request, who sent it, its account, and what the engine reads of it."""

    request: AuthorizationRequest
    client_id: int
    account_id: int
    hash: str
    counterparty: str  # keyed hash of the payee's account, or ""
    txn: Transaction
    rules: SignalRules  # the device-signal rules (the defaults, never read, when the request has no signals)


def context_build(request: AuthorizationRequest, client_id: int) -> Context:
    account_id, _currency = account_resolve(request)
    counterparty = payee_index(request.counterparty_account) if request.counterparty_account else ""
    txn = Transaction(
        transaction_id=request.transaction_id,
        account_id=account_id,
        amount=request.amount,
        currency=request.currency,
        channel=request.channel,
        country=request.country,
        initiated_at=request.initiated_at.timestamp(),
        subdivision=request.subdivision,
        mcc=request.mcc,
        counterparty=counterparty or None,
        transfer=request.transfer,
        signals=request.device_signals,
    )
    rules = DEFAULT_SIGNAL_RULES if request.device_signals is None else signal_rules()
    return Context(request, client_id, account_id, request_hash(request), counterparty, txn, rules)
