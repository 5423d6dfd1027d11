"""The agents' and the call-status endpoints are in the OpenAPI schema, with their bodies and errors."""

import pytest

pytestmark = pytest.mark.django_db

OPERATIONS = {
    ("/api/v1/agent/lookups", "post"),
    ("/api/v1/agent/service-sessions", "post"),
    ("/api/v1/agent/service-sessions/{session_id}/close", "post"),
    ("/api/v1/agent/service-sessions/{session_id}/customer", "get"),
    ("/api/v1/agent/service-sessions/{session_id}/freezes", "post"),
    ("/api/v1/agent/service-sessions/{session_id}/emergency", "post"),
    ("/api/v1/agent/service-sessions/{session_id}/freezes/{freeze_id}/lift-requests", "post"),
    ("/api/v1/agent/service-sessions/{session_id}/calls", "post"),
    ("/api/v1/agent/calls/{call_id}/end", "post"),
    ("/api/v1/agent/lift-requests", "get"),
    ("/api/v1/agent/lift-requests/{request_id}/approve", "post"),
    ("/api/v1/agent/lift-requests/{request_id}/reject", "post"),
    ("/api/v1/agent/risk-proposals", "get"),
    ("/api/v1/agent/risk-proposals", "post"),
    ("/api/v1/agent/risk-proposals/{proposal_id}/approve", "post"),
    ("/api/v1/agent/risk-proposals/{proposal_id}/reject", "post"),
    ("/api/v1/bank-freezes", "get"),
    ("/api/v1/bank-freezes/{freeze_id}/lift", "post"),
    ("/api/v1/call-status", "get"),
    ("/api/v1/call-status/fake-call-reports", "post"),
    ("/api/v1/agent/callbacks", "get"),
    ("/api/v1/agent/callbacks/{case_id}/claim", "post"),
    ("/api/v1/agent/callbacks/{case_id}/outcome", "post"),
    ("/api/v1/agent/callbacks/{case_id}/calls", "post"),
}


def test_every_agent_and_call_status_operation_is_documented(client):
    document = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    for path, method in OPERATIONS:
        operation = document["paths"][path][method]
        success = [code for code in operation["responses"] if code.startswith("2")]
        assert success, (path, method)
        assert "403" in operation["responses"] or path.startswith("/api/v1/call-status"), (path, method)
        assert operation.get("security"), (path, method)
    freeze_request = document["components"]["schemas"]["RemoteFreezeRequestRequest"]["properties"]
    assert {"scope", "channels", "accounts", "reason_code", "note", "expires_at"} <= set(freeze_request)
    call_status = document["components"]["schemas"]["CallStatus"]["properties"]
    assert {"calling", "agent", "code", "message"} <= set(call_status)
    assert {"holdTransition", "reviewOutcome"} <= set(document["x-webhooks"])
    login = document["components"]["schemas"]["StaffLoginRequest"]
    assert "totp" in login["required"]
