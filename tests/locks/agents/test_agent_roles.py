"""The role matrix of every agent endpoint: the wrong callers are refused at the door, and nothing changes."""

import pytest
from django.contrib.auth import get_user_model
from django.db.models import Sum
from rest_framework.test import APIClient

from accounts.service_clients import api_key_create
from accounts.tokens import auth_token_issue
from locks.cases.services import case_open
from locks.models import (
    BankCall,
    Case,
    CaseWork,
    FreezeLiftRequest,
    LockSettings,
    PayeeRiskEntry,
    RemoteFreeze,
    RiskEntryProposal,
    ServiceSession,
)
from securitycenter.securitylog.models import SecurityEvent
from securitycenter.securitylog.record import Actor
from tests.factories import ServiceClientFactory, StaffUserFactory
from tests.locks.agents.conftest import Staff

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(agent, session):
    """A live session of `agent`, a freeze in it, a lift request, a call and a risk-list proposal, all by `agent`."""
    session_id = agent.open_session(session.customer)
    freeze_id = agent.post(
        f"/api/v1/agent/service-sessions/{session_id}/freezes",
        {"scope": "card_not_present", "accounts": "all", "reason_code": "lost_phone"},
    ).json()["id"]
    request_id = agent.post(
        f"/api/v1/agent/service-sessions/{session_id}/freezes/{freeze_id}/lift-requests", {"reason": "found it"}
    ).json()["id"]
    call_id = agent.post(f"/api/v1/agent/service-sessions/{session_id}/calls").json()["id"]
    case_id = case_open(kind=Case.Kind.REVIEW, customer=session.customer, source="test", actor=Actor.system("test")).pk
    proposal_id = agent.post("/api/v1/agent/risk-proposals", {"account": "62220200001234", "severity": "high"}).json()[
        "id"
    ]
    return {
        "customer_number": session.customer.customer_number,
        "s": session_id,
        "f": freeze_id,
        "r": request_id,
        "c": call_id,
        "p": proposal_id,
        "k": case_id,
        "account": session.account.pk,
    }


# (method, url template, body, does it act?) An acting endpoint refuses the auditor too.
ENDPOINTS = [
    ("post", "/api/v1/agent/lookups", {"by": "customer_number", "value": "{customer_number}"}, False),
    (
        "post",
        "/api/v1/agent/service-sessions",
        {
            "customer_number": "{customer_number}",
            "verification_method": "sms_code",
            "call_reference": "x",
            "reason": "why",
        },
        False,
    ),
    ("get", "/api/v1/agent/service-sessions/{s}/customer", None, False),
    ("post", "/api/v1/agent/service-sessions/{s}/close", {}, False),
    (
        "post",
        "/api/v1/agent/service-sessions/{s}/freezes",
        {"scope": "all_outgoing", "accounts": "all", "reason_code": "suspected_fraud"},
        True,
    ),
    ("post", "/api/v1/agent/service-sessions/{s}/emergency", {"scenario": "being_scammed_now"}, True),
    ("post", "/api/v1/agent/service-sessions/{s}/freezes/{f}/lift-requests", {"reason": "please lift"}, True),
    ("post", "/api/v1/agent/service-sessions/{s}/calls", {}, True),
    ("post", "/api/v1/agent/calls/{c}/end", {}, False),
    ("get", "/api/v1/agent/lift-requests", None, True),
    ("post", "/api/v1/agent/lift-requests/{r}/approve", {}, True),
    ("post", "/api/v1/agent/lift-requests/{r}/reject", {}, True),
    ("get", "/api/v1/agent/risk-proposals", None, True),
    ("post", "/api/v1/agent/risk-proposals", {"account": "62220200005555", "severity": "high"}, True),
    ("post", "/api/v1/agent/risk-proposals/{p}/approve", {}, True),
    ("post", "/api/v1/agent/risk-proposals/{p}/reject", {}, True),
    ("post", "/api/v1/agent/holds/1/stop", {"reason": "call-back found fraud"}, True),
    ("get", "/api/v1/agent/callbacks", None, False),
    ("post", "/api/v1/agent/callbacks/{k}/claim", {}, True),
    ("post", "/api/v1/agent/callbacks/{k}/outcome", {"outcome": "confirmed"}, True),
    ("post", "/api/v1/agent/callbacks/{k}/calls", {}, True),
]
# Only supervisors (approve_unfreeze, manage_risk_list) may call these: an agent is refused too.
SUPERVISOR_ONLY = {
    "/api/v1/agent/lift-requests",
    "/api/v1/agent/lift-requests/{r}/approve",
    "/api/v1/agent/lift-requests/{r}/reject",
    "/api/v1/agent/risk-proposals/{p}/approve",
    "/api/v1/agent/risk-proposals/{p}/reject",
}


def _client(headers):
    client = APIClient()
    client.credentials(**headers)
    return client


def _staff(**fields):
    user = StaffUserFactory(**fields)
    return {"HTTP_AUTHORIZATION": f"Bearer {auth_token_issue(staff_user=user, ip_address=None).raw}"}


def wrong_callers(session, acting, supervisor_only):
    raw, _ = api_key_create(client=ServiceClientFactory(scopes=["authorizations:write", "holds:read"]))
    callers = {
        "nobody": ({}, 401),
        "customer": (
            {
                "HTTP_AUTHORIZATION": session.client._credentials["HTTP_AUTHORIZATION"],
                "HTTP_X_DEVICE_ID": session.device.device_id,
            },
            403,
        ),
        "staff without a role": (_staff(), 403),
        "superuser": (_staff(is_superuser=True), 403),
        "administrator": (_staff(groups=["administrator"]), 403),
        "service key": ({"HTTP_AUTHORIZATION": f"ApiKey {raw}"}, 403),
    }
    if acting:
        callers["auditor"] = (_staff(groups=["auditor"]), 403)
    if supervisor_only:
        callers["agent"] = (_staff(groups=["agent"]), 403)
    return callers


def snapshot():
    return (
        ServiceSession.objects.filter(closed_at__isnull=True).count(),
        list(RemoteFreeze.objects.values_list("pk", "status").order_by("pk")),
        list(FreezeLiftRequest.objects.values_list("pk", "status").order_by("pk")),
        list(RiskEntryProposal.objects.values_list("pk", "status").order_by("pk")),
        list(BankCall.objects.values_list("pk", "ended_at").order_by("pk")),
        PayeeRiskEntry.objects.count(),
        Case.objects.count(),
        LockSettings.objects.aggregate(v=Sum("version"))["v"],
        get_user_model().objects.filter(is_active=True).count(),
        SecurityEvent.objects.exclude(chain="bank").count(),
        list(CaseWork.objects.values_list("pk", "claimed_by_id", "outcome")),
    )


@pytest.mark.parametrize(
    ("method", "template", "body", "acting"), ENDPOINTS, ids=[f"{m} {t}" for m, t, _, _ in ENDPOINTS]
)
def test_wrong_callers_are_refused_and_nothing_changes(world, session, method, template, body, acting):
    url = template.format(**world)
    data = {k: v.format(**world) if isinstance(v, str) else v for k, v in (body or {}).items()}
    for name, (headers, expected) in wrong_callers(session, acting, template in SUPERVISOR_ONLY).items():
        before = snapshot()
        client = _client(headers)
        response = client.get(url) if method == "get" else client.post(url, data, format="json")
        assert response.status_code == expected, (name, response.content[:300])
        assert response.json()["code"] in {"not_authenticated", "permission_denied"}, (name, response.json())
        assert snapshot() == before, name


def test_the_right_roles_get_in(world, session):
    """The matrix above would pass with a door that refuses everybody: the right callers are let in."""
    auditor = Staff("auditor")
    other_supervisor = Staff("supervisor")
    assert (
        auditor.post("/api/v1/agent/lookups", {"by": "customer_number", "value": world["customer_number"]}).status_code
        == 200
    )
    session_id = auditor.open_session(session.customer, reason="quality review")
    assert auditor.get(f"/api/v1/agent/service-sessions/{session_id}/customer").status_code == 200
    assert other_supervisor.get("/api/v1/agent/lift-requests").status_code == 200
    assert other_supervisor.post(f"/api/v1/agent/risk-proposals/{world['p']}/approve").status_code == 200
    assert other_supervisor.post(f"/api/v1/agent/lift-requests/{world['r']}/approve").status_code == 200
