"""The world the access matrix and the schemathesis suite run in: one customer with one of each object a path
can name, another customer, an agent, a supervisor, the payment core with every scope and a service key
with none; `PATH_VALUES` fills a path parameter with the customer's own object."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.utils import timezone

from accounts.models import OtpDevice, ServiceClient
from accounts.service_clients import api_key_create
from accounts.tokens import auth_token_issue
from locks.cases.services import case_open
from locks.models import (
    BankCall,
    Case,
    ContactConfirmation,
    FreezeLiftRequest,
    Hold,
    RemoteFreeze,
    RiskEntryProposal,
    ServiceSession,
    TrustedContact,
)
from locks.selfcheck.services import self_check_run
from securitycenter.crypto import token_hash
from securitycenter.operations.heartbeats import heartbeat_record, required_heartbeats
from securitycenter.securitylog.models import EventType
from securitycenter.securitylog.record import Actor, security_log_record
from tests.factories import (
    AuthorizationFactory,
    BankAccountFactory,
    DeviceFactory,
    OtpDeviceFactory,
    PendingLooseningFactory,
    ServiceClientFactory,
    StaffUserFactory,
    TravelWindowFactory,
)

CALLERS = (
    "none",
    "other_customer",
    "customer",
    "agent",
    "supervisor",
    "service_without_scope",
    "service",
)


@dataclass
class World:
    customer: Any
    account: Any
    device: Any
    spare_device: Any
    otp_device: OtpDevice
    window: Any
    pending: Any
    hold: Hold
    authorization: Any
    case: Case
    entry: Any
    self_check: Any
    headers: dict[str, dict[str, str]]
    # A third agent's work on the customer: the matrix's agent and supervisor are other staff.
    session: Any = None
    freeze: Any = None
    lift_request: Any = None
    call: Any = None
    proposal: Any = None


def _customer_headers() -> tuple[Any, Any, dict[str, str]]:
    device: Any = DeviceFactory()
    raw = auth_token_issue(customer=device.customer, device=device, ip_address=None).raw
    return device.customer, device, {"HTTP_AUTHORIZATION": f"Bearer {raw}", "HTTP_X_DEVICE_ID": device.device_id}


def _staff_headers(group: str) -> dict[str, str]:
    user = StaffUserFactory(groups=[group])
    return {"HTTP_AUTHORIZATION": f"Bearer {auth_token_issue(staff_user=user, ip_address=None).raw}"}


def _service_headers(client: ServiceClient) -> dict[str, str]:
    raw, _ = api_key_create(client=client)
    return {"HTTP_AUTHORIZATION": f"ApiKey {raw}"}


def world_build() -> World:
    # Readiness answers 200 (not 503) only when a worker on every queue and beat were seen lately.
    heartbeat_record(*required_heartbeats())
    customer, device, customer_headers = _customer_headers()
    _, _, other_headers = _customer_headers()
    account = BankAccountFactory(customer=customer)
    service = ServiceClientFactory(scopes=[scope.value for scope in ServiceClient.Scope])
    authorization = AuthorizationFactory(account=account, client=service, outcome="hold", amount=5_000_000)
    hold = Hold.objects.create(
        authorization=authorization,
        account=account,
        client=service,
        amount=authorization.amount,
        currency="CNY",
        reasons=["large_transfer_hold"],
        release_at=timezone.now() + timedelta(hours=12),
    )
    owner = StaffUserFactory(groups=["agent"])
    now = timezone.now()
    session = ServiceSession.objects.create(
        agent=owner,
        customer=customer,
        verification_method="sms_code",
        call_reference="CALL-1",
        reason="matrix",
        opened_at=now,
        expires_at=now + timedelta(minutes=30),
    )
    freeze = RemoteFreeze.objects.create(
        customer=customer,
        session=session,
        placed_by=owner,
        scope="card_not_present",
        account_ids=[account.pk],
        applied={str(account.pk): {"freeze": ["card_not_present"], "channels_off": []}},
        reason_code="lost_phone",
        placed_at=now,
    )
    lift_request = FreezeLiftRequest.objects.create(
        freeze=freeze, session=session, requested_by=owner, reason="matrix", requested_at=now
    )
    call = BankCall.objects.create(
        customer=customer,
        agent=owner,
        session=session,
        spoken_code="1234",
        started_at=now,
        ends_at=now + timedelta(minutes=5),
    )
    proposal = RiskEntryProposal.objects.create(
        counterparty="x" * 64,
        masked_account="****1234",
        severity="high",
        source="95588",
        proposed_by=owner,
        proposed_at=now,
    )
    return World(
        session=session,
        freeze=freeze,
        lift_request=lift_request,
        call=call,
        proposal=proposal,
        customer=customer,
        account=account,
        device=device,
        spare_device=DeviceFactory(customer=customer),
        otp_device=OtpDeviceFactory(customer=customer, confirmed_at=None),
        window=TravelWindowFactory(account=account),
        pending=PendingLooseningFactory(account=account),
        hold=hold,
        authorization=authorization,
        case=case_open(kind=Case.Kind.INCIDENT, customer=customer, source="not_me", actor=Actor.system()),
        self_check=self_check_run(customer=customer),
        entry=security_log_record(
            event_type=EventType.LOGIN_SUCCEEDED,
            actor=Actor.customer(customer),
            customer=customer,
            details={"device_pk": device.pk, "new_device": False},
        ),
        # As Django's test client takes them (WSGI environ keys); `http_headers` gives the wire names.
        headers={
            "none": {},
            "customer": customer_headers,
            "other_customer": other_headers,
            "agent": _staff_headers("agent"),
            "supervisor": _staff_headers("supervisor"),
            "service_without_scope": _service_headers(ServiceClientFactory(scopes=[])),
            "service": _service_headers(service),
        },
    )


def _confirmation_token(world: "World") -> str:
    """A pending request to the customer's (verified) trusted contact, and its token."""
    contact, _ = TrustedContact.objects.get_or_create(
        customer=world.customer, defaults={"phone": "+8613900002222", "name": "Son", "verified_at": timezone.now()}
    )
    ContactConfirmation.objects.get_or_create(
        contact=contact,
        defaults={
            "customer": world.customer,
            "action": ContactConfirmation.Action.CONTACT_REMOVAL,
            "token_hash": token_hash("access-matrix-token"),
            "expires_at": timezone.now() + timedelta(hours=1),
        },
    )
    return "access-matrix-token"


# Path parameter name → its value in the world: always one of the customer's own objects.
PATH_VALUES: dict[str, Callable[[World], Any]] = {
    "pk": lambda w: w.spare_device.pk,
    "device_id": lambda w: w.otp_device.pk,
    "account_id": lambda w: w.account.pk,
    "window_id": lambda w: w.window.pk,
    "pending_id": lambda w: w.pending.pk,
    "hold_id": lambda w: w.hold.pk,
    "case_id": lambda w: w.case.pk,
    "entry_id": lambda w: w.entry.pk,
    "lesson_id": lambda w: "fake_tax_refund",
    "run_id": lambda w: w.self_check.pk,
    "customer_number": lambda w: w.customer.customer_number,
    "transaction_id": lambda w: w.authorization.transaction_id,
    "session_id": lambda w: w.session.pk,
    "freeze_id": lambda w: w.freeze.pk,
    "request_id": lambda w: w.lift_request.pk,
    "call_id": lambda w: w.call.pk,
    "proposal_id": lambda w: w.proposal.pk,
    "token": lambda w: _confirmation_token(w),
}


def http_headers(environ: dict[str, str]) -> dict[str, str]:
    """{"HTTP_X_DEVICE_ID": …} → {"X-Device-Id": …}"""
    return {key.removeprefix("HTTP_").replace("_", "-").title(): value for key, value in environ.items()}
