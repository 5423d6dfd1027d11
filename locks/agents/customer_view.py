"""What an agent sees of a customer inside a service session; each read is security-logged."""

from dataclasses import dataclass
from typing import Any

from accounts.models import BankAccount, Customer
from accounts.selectors import customer_accounts
from locks.agents.sessions import service_session_live, session_log_details
from locks.models import Authorization, Case, Hold, LockSettings, RemoteFreeze, ServiceSession
from locks.rules.documents import document_from_row
from securitycenter.securitylog.models import EventType, SecurityEvent
from securitycenter.securitylog.record import Actor, Origin, security_log_record

RECENT_DECLINES = 20
RECENT_LOG_ENTRIES = 50


@dataclass(frozen=True)
class AccountView:
    account: BankAccount
    locks: dict[str, Any]


@dataclass(frozen=True)
class CustomerView:
    session: ServiceSession
    customer: Customer
    accounts: list[AccountView]
    remote_freezes: list[RemoteFreeze]
    holds: list[Hold]
    recent_declines: list[Authorization]
    security_log: list[SecurityEvent]
    open_cases: list[Case]


def phone_masked(phone: str) -> str:
    return phone[:6] + "*" * max(0, len(phone) - 10) + phone[-4:] if len(phone) > 10 else "*" * len(phone)


def _accounts(customer: Customer) -> list[AccountView]:
    accounts = list(customer_accounts(customer=customer).select_related("customer"))
    rows = {row.account_id: row for row in LockSettings.objects.filter(account__in=accounts)}
    views = []
    for account in accounts:
        # An account nobody locked has no row yet: its document is the defaults (reading creates nothing).
        row = rows.get(account.pk) or LockSettings(account=account)
        row.account = account
        views.append(AccountView(account=account, locks=document_from_row(row)))
    return views


def customer_view(*, agent: Any, session_id: int, origin: Origin) -> CustomerView:
    """The caller's accounts and cards (masked), locks and freezes, holds, recent declines, security log and
    open cases, for the agent's own live session. The read is logged on the customer's chain."""
    session = service_session_live(agent=agent, session_id=session_id)
    customer = session.customer
    view = CustomerView(
        session=session,
        customer=customer,
        accounts=_accounts(customer),
        remote_freezes=list(RemoteFreeze.objects.filter(customer=customer).order_by("-placed_at", "-id")[:20]),
        holds=list(Hold.objects.filter(account__customer=customer).select_related("authorization", "account")[:50]),
        recent_declines=list(
            Authorization.objects.filter(account__customer=customer, outcome=Authorization.Outcome.DECLINE)
            .select_related("account")
            .order_by("-created_at", "-id")[:RECENT_DECLINES]
        ),
        security_log=list(
            SecurityEvent.objects.filter(customer=customer).order_by("-occurred_at", "-seq")[:RECENT_LOG_ENTRIES]
        ),
        open_cases=list(Case.objects.filter(customer=customer, status=Case.Status.OPEN).order_by("-priority", "pk")),
    )
    security_log_record(
        event_type=EventType.AGENT_VIEWED,
        actor=Actor.agent(agent),
        customer=customer,
        origin=origin,
        details={**session_log_details(session), "viewed": "customer"},
    )
    return view
