"""Account kinds (personal, corporate): the bank's ceilings and cooling-off thresholds of each, from settings.

Read at compile time (and when a customer's limits are checked against the ceilings), never on the hot
path: the compiled policy carries the result.
"""

from dataclasses import dataclass

from django.conf import settings

from accounts.models import BankAccount


@dataclass(frozen=True)
class AccountKind:
    ceilings: dict[str, int] | None  # per_transaction / daily / monthly in the account's currency, if any
    cooling_off_threshold: int | None
    cooling_off_new_payee_threshold: int | None


def account_kind(account: BankAccount) -> AccountKind:
    """The bank's ceilings and cooling-off thresholds for this account's kind and currency."""
    if account.holder == BankAccount.Holder.CORPORATE:
        return AccountKind(
            settings.CORPORATE_MAX_LIMITS.get(account.currency),
            settings.CORPORATE_COOLING_OFF_THRESHOLD,
            settings.CORPORATE_COOLING_OFF_NEW_PAYEE_THRESHOLD,
        )
    return AccountKind(
        settings.BANK_MAX_LIMITS.get(account.currency),
        settings.COOLING_OFF_DEFAULT_THRESHOLD,
        settings.COOLING_OFF_NEW_PAYEE_THRESHOLD,
    )
