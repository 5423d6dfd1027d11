"""Reads of a customer's own accounts and cards: another customer's are indistinguishable from missing ones."""

from django.db.models import QuerySet

from accounts.models import BankAccount, Customer
from securitycenter.errors import NotFound


def customer_accounts(*, customer: Customer) -> QuerySet[BankAccount]:
    return BankAccount.objects.filter(customer=customer).exclude(status=BankAccount.Status.CLOSED).order_by("id")


def customer_account_get(*, customer: Customer, account_id: int) -> BankAccount:
    """The customer's own account; another customer's is indistinguishable from a missing one (404)."""
    account = customer_accounts(customer=customer).select_related("customer").filter(pk=account_id).first()
    if account is None:
        raise NotFound("No such account.")
    return account


def customer_accounts_pick(*, customer: Customer, account_ids: list[int] | None) -> list[BankAccount]:
    """`None` means all of the customer's accounts; any id that is not theirs is a 404 for the whole request."""
    accounts = list(customer_accounts(customer=customer).select_related("customer"))
    if account_ids is None:
        return accounts
    by_id = {a.pk: a for a in accounts}
    missing = [i for i in account_ids if i not in by_id]
    if missing:
        raise NotFound(f"No such account: {missing[0]}.")
    return [by_id[i] for i in dict.fromkeys(account_ids)]
