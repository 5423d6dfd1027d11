"""Reads of cases: a customer's own (another's is a 404), and the open ones in queue order."""

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from accounts.models import Customer
from locks.models import Case
from securitycenter.errors import NotFound


def customer_cases(*, customer: Customer, status: str | None = None) -> QuerySet[Case]:
    cases = Case.objects.filter(customer=customer).select_related("account")
    if status:
        cases = cases.filter(status=status)
    return cases.order_by("-opened_at", "-id")


def customer_case_get(*, customer: Customer, case_id: int) -> Case:
    case = customer_cases(customer=customer).filter(pk=case_id).first()
    if case is None:
        raise NotFound(_("No such case."))
    return case


def cases_open_queue(*, kinds: list[str] | None = None) -> QuerySet[Case]:
    """Open cases, most urgent first, oldest first within a priority: the call-back queue's order."""
    cases = Case.objects.filter(status=Case.Status.OPEN).select_related("customer", "account", "hold")
    if kinds:
        cases = cases.filter(kind__in=kinds)
    return cases.order_by("-priority", "opened_at", "id")
