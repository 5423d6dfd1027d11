"""Look a caller up and open a service session: the only way an agent gets to see a customer."""

import re
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts.models import BankAccount, Customer
from accounts.roles import staff_require
from locks.models import ServiceSession
from securitycenter.account_numbers import account_number_index
from securitycenter.errors import NotFound, NotPermitted, field_error
from securitycenter.securitylog.models import EventType
from securitycenter.securitylog.record import Actor, Origin, security_log_record

_PHONE = re.compile(r"^\+[1-9]\d{6,14}$")
_ACCOUNT_NUMBER = re.compile(r"^[0-9]{12,19}$")
LOOKUP_KINDS = ("customer_number", "phone", "account_number")


class UnknownCustomer(NotFound):
    default_code = "unknown_customer"
    default_detail = "No customer matches."


class SessionNotOpen(NotPermitted):
    default_code = "session_not_open"
    default_detail = "This service session has expired or was closed: verify the caller and open a new one."


def _digits(value: str) -> str:
    return re.sub(r"[\s-]", "", value)


def customer_find(*, by: str, value: str) -> Customer | None:
    """The customer `value` names: a customer number, a registered phone (E.164) or a card / account number.

    A card or account number is found through its blind index, never by a search of plain numbers.
    """
    value = value.strip()
    if by == "customer_number":
        return Customer.objects.filter(customer_number=value).first()
    if by == "phone":
        phone = _digits(value)
        if not _PHONE.match(phone):
            raise field_error("phone", "A phone number in E.164 form, e.g. +8613800138000.", "invalid_phone")
        return Customer.objects.filter(phone=phone).first()
    if by == "account_number":
        number = _digits(value)
        if not _ACCOUNT_NUMBER.match(number):
            raise field_error("account_number", "A card or account number is 12 to 19 digits.", "invalid_number")
        account = (
            BankAccount.objects.select_related("customer").filter(number_index=account_number_index(number)).first()
        )
        return account.customer if account is not None else None
    raise field_error("by", f"Look up by one of {', '.join(LOOKUP_KINDS)}.", "invalid_choice")


def customer_lookup(*, agent: Any, by: str, value: str, origin: Origin) -> Customer:
    """Find a caller's customer record (logged, found or not). Shows nothing but who it is: the details
    need a service session."""
    staff_require(agent, "accounts.view_customer")
    customer = customer_find(by=by, value=value)
    # What was searched is not logged: a mistyped card number is still a card number.
    security_log_record(
        event_type=EventType.AGENT_LOOKUP,
        actor=Actor.agent(agent),
        customer=customer,
        origin=origin,
        details={"by": by, "found": customer is not None},
    )
    if customer is None:
        raise UnknownCustomer(field=by)
    return customer


@transaction.atomic
def service_session_open(
    *,
    agent: Any,
    customer_number: str,
    verification_method: str,
    call_reference: str,
    reason: str,
    origin: Origin,
) -> ServiceSession:
    """Open a session on a verified caller's record; it lasts SERVICE_SESSION_LIFETIME."""
    staff_require(agent, "accounts.view_customer")
    if verification_method not in ServiceSession.Verification.values:
        choices = ", ".join(ServiceSession.Verification.values)
        raise field_error("verification_method", f"One of {choices}.", "invalid_choice")
    customer = Customer.objects.filter(customer_number=customer_number.strip()).first()
    if customer is None:
        raise UnknownCustomer(field="customer_number")
    now = timezone.now()
    session = ServiceSession.objects.create(
        agent=agent,
        customer=customer,
        verification_method=verification_method,
        call_reference=call_reference.strip(),
        reason=reason.strip(),
        opened_at=now,
        expires_at=now + settings.SERVICE_SESSION_LIFETIME,
    )
    security_log_record(
        event_type=EventType.SERVICE_SESSION_OPENED,
        actor=Actor.agent(agent),
        customer=customer,
        origin=origin,
        details=session_log_details(session),
    )
    return session


def session_log_details(session: ServiceSession) -> dict[str, Any]:
    """Who looked at whom, and why: on every entry a session writes."""
    return {
        "service_session_id": session.pk,
        "verification_method": session.verification_method,
        "call_reference": session.call_reference,
        "why": session.reason,
    }


def service_session_live(*, agent: Any, session_id: int, at: datetime | None = None) -> ServiceSession:
    """The agent's own open session: another agent's is a 404, an expired or closed one a 403."""
    session = ServiceSession.objects.select_related("customer").filter(pk=session_id, agent=agent).first()
    if session is None:
        raise NotFound("No such service session.", code="unknown_session")
    now = at or timezone.now()
    if session.closed_at is not None or session.expires_at <= now:
        raise SessionNotOpen()
    return session


@transaction.atomic
def service_session_close(*, agent: Any, session_id: int, origin: Origin) -> ServiceSession:
    session = ServiceSession.objects.select_for_update().filter(pk=session_id, agent=agent).first()
    if session is None:
        raise NotFound("No such service session.", code="unknown_session")
    if session.closed_at is None:
        session.closed_at = timezone.now()
        session.save(update_fields=["closed_at"])
        security_log_record(
            event_type=EventType.SERVICE_SESSION_CLOSED,
            actor=Actor.agent(agent),
            customer=session.customer,
            origin=origin,
            details=session_log_details(session),
        )
    return session
