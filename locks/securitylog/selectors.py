"""The customer's own security-log entries, newest first, filtered as the app asks."""

from datetime import datetime

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from accounts.models import Customer
from locks.securitylog.entries import event_types_of
from securitycenter.errors import NotFound
from securitycenter.securitylog.models import SecurityEvent
from securitycenter.securitylog.record import chain_name


def customer_log_entries(
    *,
    customer: Customer,
    category: str | None = None,
    account_id: int | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> QuerySet[SecurityEvent]:
    # The customer's own chain only: acts on no customer (the bank's chain) and other customers' never show.
    entries = SecurityEvent.objects.filter(chain=chain_name(customer.pk), customer=customer)
    if category:
        entries = entries.filter(event_type__in=event_types_of(category))
    if account_id is not None:
        entries = entries.filter(details__account_id=account_id)
    if since is not None:
        entries = entries.filter(occurred_at__gte=since)
    if until is not None:
        entries = entries.filter(occurred_at__lt=until)
    return entries.order_by("-occurred_at", "-id")


def customer_log_entry_get(*, customer: Customer, entry_id: int) -> SecurityEvent:
    entry = customer_log_entries(customer=customer).filter(pk=entry_id).first()
    if entry is None:
        raise NotFound(_("No such security-log entry."))
    return entry
