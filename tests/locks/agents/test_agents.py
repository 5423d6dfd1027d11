"""95588 agents: look-up, service sessions, the customer view, remote freezes, four eyes, risk proposals, calls."""

from contextlib import contextmanager
from datetime import timedelta
from unittest import mock

import pytest
from django.utils import timezone

from accounts.models import Notification
from locks.agents.tasks import remote_freezes_expire
from locks.models import Case, FreezeLiftRequest, LockSettings, PayeeRiskEntry, RemoteFreeze
from locks.risklist.services import RISK_KEY, payee_hash
from securitycenter.securitylog.models import EventType, SecurityEvent

pytestmark = pytest.mark.django_db


@contextmanager
def clock_moved(delta):
    real_now = timezone.now
    with mock.patch("django.utils.timezone.now", side_effect=lambda: real_now() + delta):
        yield


def entries(customer, event_type):
    return list(SecurityEvent.objects.filter(customer=customer, event_type=event_type).order_by("seq"))


def freeze(agent, session_id, **overrides):
    body = {"scope": "card_not_present", "accounts": "all", "reason_code": "lost_phone", "note": "n", **overrides}
    return agent.post(f"/api/v1/agent/service-sessions/{session_id}/freezes", body)


# --- look-up ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("by", ["customer_number", "phone", "account_number"])
def test_look_up_by_number_phone_or_card(agent, session, by):
    value = {
        "customer_number": session.customer.customer_number,
        "phone": session.customer.phone,
        "account_number": session.account.number[:4] + " " + session.account.number[4:],
    }[by]
    response = agent.post("/api/v1/agent/lookups", {"by": by, "value": value})
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["customer_number"] == session.customer.customer_number
    assert session.customer.phone not in body["phone"]
    [logged] = entries(session.customer, EventType.AGENT_LOOKUP)
    assert logged.actor_id == str(agent.user.pk)
    assert logged.details == {"by": by, "found": True}


def test_look_up_refusals_name_the_problem(agent, session):
    unknown = agent.post("/api/v1/agent/lookups", {"by": "customer_number", "value": "C999"})
    assert unknown.status_code == 404
    assert unknown.json()["code"] == "unknown_customer"
    bad_phone = agent.post("/api/v1/agent/lookups", {"by": "phone", "value": "12345"})
    assert bad_phone.status_code == 400
    assert bad_phone.json()["errors"][0]["field"] == "phone"
    bad_kind = agent.post("/api/v1/agent/lookups", {"by": "name", "value": "x"})
    assert bad_kind.status_code == 400
    assert bad_kind.json()["errors"][0]["field"] == "by"
    # The unknown look-up is logged too, on the bank's chain.
    assert SecurityEvent.objects.filter(chain="bank", event_type=EventType.AGENT_LOOKUP).count() == 1


# --- service sessions and the customer view ------------------------------------------------------------


def test_every_read_inside_a_session_is_logged(agent, session):
    session_id = agent.open_session(session.customer, call_reference="CALL-77", reason="lost card")
    [opened] = entries(session.customer, EventType.SERVICE_SESSION_OPENED)
    assert opened.details["call_reference"] == "CALL-77"
    for _ in range(2):
        response = agent.get(f"/api/v1/agent/service-sessions/{session_id}/customer")
        assert response.status_code == 200
    body = response.json()
    assert {a["id"] for a in body["accounts"]} == {a.pk for a in session.accounts}
    pairs = zip(body["accounts"], session.accounts, strict=True)
    assert all(shown["masked_number"].endswith(account.number[-4:]) for shown, account in pairs)
    assert session.account.number not in response.content.decode()
    assert set(body) >= {"accounts", "remote_freezes", "holds", "recent_declines", "security_log", "open_cases"}
    reads = entries(session.customer, EventType.AGENT_VIEWED)
    assert len(reads) == 2
    assert all(
        r.actor_id == str(agent.user.pk)
        and r.details["service_session_id"] == session_id
        and r.details["verification_method"] == "sms_code"
        and r.details["why"] == "lost card"
        for r in reads
    )


def test_session_refusals(agent, other_agent, session, settings):
    settings.SERVICE_SESSION_LIFETIME = timedelta(minutes=5)  # shorter than the staff token's idle timeout
    session_id = agent.open_session(session.customer)
    url = f"/api/v1/agent/service-sessions/{session_id}/customer"
    assert other_agent.get(url).status_code == 404
    with clock_moved(timedelta(minutes=6)):
        expired = agent.get(url)
    assert expired.status_code == 403
    assert expired.json()["code"] == "session_not_open"
    agent.post(f"/api/v1/agent/service-sessions/{session_id}/close")
    assert agent.get(url).json()["code"] == "session_not_open"
    assert entries(session.customer, EventType.AGENT_VIEWED) == []
    bad = agent.post(
        "/api/v1/agent/service-sessions",
        {"customer_number": "C1", "verification_method": "asked_nicely", "call_reference": "x", "reason": "why"},
    )
    assert bad.status_code == 400
    assert bad.json()["errors"][0]["field"] == "verification_method"
    unknown = agent.post(
        "/api/v1/agent/service-sessions",
        {"customer_number": "C-none", "verification_method": "sms_code", "call_reference": "x", "reason": "why"},
    )
    assert (unknown.status_code, unknown.json()["code"]) == (404, "unknown_customer")


# --- remote freeze -------------------------------------------------------------------------------------


def test_a_remote_freeze_holds_on_the_very_next_authorization(
    agent, session, payment_core, django_capture_on_commit_callbacks
):
    assert payment_core(session.account)["decision"] == "approve"  # its policy is now cached in Redis
    session_id = agent.open_session(session.customer)
    with django_capture_on_commit_callbacks(execute=True):  # the republish runs on commit, as in production
        response = freeze(agent, session_id)
    assert response.status_code == 201, response.json()
    decided = payment_core(session.account)
    assert decided["decision"] == "decline"
    # A card-present payment still goes through: only what was frozen is.
    assert payment_core(session.account, channel="pos")["decision"] == "approve"
    [placed, _] = entries(session.customer, EventType.FREEZE_PLACED)
    assert (placed.actor_type, placed.actor_id) == ("agent", str(agent.user.pk))
    assert placed.details["reason_code"] == "lost_phone"
    assert placed.details["service_session_id"] == session_id
    told = Notification.objects.filter(customer=session.customer, template="agent_freeze_placed")
    assert {n.channel for n in told} == {"push", "sms"}
    assert all(n.params["agent"] == f"{agent.user.pk:04d}" for n in told)
    assert not Notification.objects.filter(customer=session.customer, template="lock_changed").exists()


def test_freeze_of_chosen_channels_and_accounts(agent, session, payment_core, django_capture_on_commit_callbacks):
    session_id = agent.open_session(session.customer)
    card = session.accounts[1]
    payment_core(card, channel="pos")
    with django_capture_on_commit_callbacks(execute=True):
        response = freeze(
            agent, session_id, scope="channels", channels=["atm", "pos"], accounts=[card.pk], expires_at=None
        )
    assert response.status_code == 201, response.json()
    assert LockSettings.objects.get(account=card).channels_off == ["atm", "pos"]
    assert not LockSettings.objects.filter(account=session.account, channels_off__contains=["atm"]).exists()
    assert payment_core(card, channel="pos")["decision"] == "decline"
    assert payment_core(session.account, channel="pos")["decision"] == "approve"


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"scope": "channels"}, "channels"),
        ({"scope": "channels", "channels": ["teleport"]}, "channels"),
        ({"scope": "everything"}, "scope"),
        ({"reason_code": "bored"}, "reason_code"),
        ({"expires_at": "2001-01-01T00:00:00Z"}, "expires_at"),
        ({"accounts": []}, "accounts"),
    ],
)
def test_bad_freeze_input_is_a_400_naming_the_field(agent, session, overrides, field):
    session_id = agent.open_session(session.customer)
    response = freeze(agent, session_id, **overrides)
    assert response.status_code == 400, response.json()
    assert response.json()["errors"][0]["field"] == field
    assert not RemoteFreeze.objects.exists()
    assert not entries(session.customer, EventType.FREEZE_PLACED)


def test_another_customers_account_is_a_404_and_changes_nothing(agent, session, other_session):
    session_id = agent.open_session(session.customer)
    response = freeze(agent, session_id, accounts=[other_session.account.pk])
    assert response.status_code == 404
    assert not RemoteFreeze.objects.exists()


# --- lifting: four eyes, the customer's OTP, expiry ------------------------------------------------------


def place(agent, session, **overrides):
    session_id = agent.open_session(session.customer)
    response = freeze(agent, session_id, **overrides)
    assert response.status_code == 201, response.json()
    return session_id, response.json()["id"]


def frozen(account):
    return LockSettings.objects.get(account=account).freeze_card_not_present


def test_four_eyes_unfreeze(agent, supervisor, session, payment_core, django_capture_on_commit_callbacks):
    session_id, freeze_id = place(agent, session)
    asked = agent.post(
        f"/api/v1/agent/service-sessions/{session_id}/freezes/{freeze_id}/lift-requests", {"reason": "found phone"}
    )
    assert asked.status_code == 201, asked.json()
    request_id = asked.json()["id"]
    # Asking loosens nothing, and the agent cannot approve (no such role), nor ask twice.
    assert frozen(session.account)
    assert agent.post(f"/api/v1/agent/lift-requests/{request_id}/approve").status_code == 403
    again = agent.post(
        f"/api/v1/agent/service-sessions/{session_id}/freezes/{freeze_id}/lift-requests", {"reason": "again"}
    )
    assert (again.status_code, again.json()["code"]) == (409, "lift_already_requested")
    assert frozen(session.account)

    with django_capture_on_commit_callbacks(execute=True):
        approved = supervisor.post(f"/api/v1/agent/lift-requests/{request_id}/approve", {"note": "called back"})
    assert approved.status_code == 200, approved.json()
    assert approved.json()["status"] == "approved"
    assert not frozen(session.account)
    assert payment_core(session.account)["decision"] == "approve"
    assert RemoteFreeze.objects.get(pk=freeze_id).status == "lifted"
    [approval] = entries(session.customer, EventType.FREEZE_LIFT_APPROVED)
    assert approval.details["requested_by"] == agent.user.pk
    assert approval.details["approved_by"] == supervisor.user.pk
    lifted = entries(session.customer, EventType.FREEZE_LIFTED)
    assert {e.details["account_id"] for e in lifted} == {a.pk for a in session.accounts}
    assert all(e.details["approval"]["kind"] == "four_eyes" for e in lifted)
    assert Notification.objects.filter(customer=session.customer, template="agent_freeze_lifted").exists()
    twice = supervisor.post(f"/api/v1/agent/lift-requests/{request_id}/approve")
    assert (twice.status_code, twice.json()["code"]) == (409, "lift_request_decided")


def test_nobody_approves_their_own_request(supervisor, session):
    """A supervisor who asks (they hold the agent's permissions too) cannot approve it themselves."""
    session_id, freeze_id = place(supervisor, session)
    request_id = supervisor.post(
        f"/api/v1/agent/service-sessions/{session_id}/freezes/{freeze_id}/lift-requests", {"reason": "mine"}
    ).json()["id"]
    own = supervisor.post(f"/api/v1/agent/lift-requests/{request_id}/approve")
    assert (own.status_code, own.json()["code"]) == (403, "own_request")
    assert frozen(session.account)
    assert FreezeLiftRequest.objects.get(pk=request_id).status == "pending"
    assert not entries(session.customer, EventType.FREEZE_LIFT_APPROVED)


def test_lifting_gives_back_only_what_the_freeze_added(agent, supervisor, session):
    """The customer had frozen card-not-present on one account themselves: that stays after the lift."""
    LockSettings.objects.update_or_create(account=session.account, defaults={"freeze_card_not_present": True})
    session_id, freeze_id = place(agent, session)
    asked = agent.post(
        f"/api/v1/agent/service-sessions/{session_id}/freezes/{freeze_id}/lift-requests", {"reason": "all fine"}
    )
    assert asked.status_code == 201, asked.json()
    request_id = asked.json()["id"]
    supervisor.post(f"/api/v1/agent/lift-requests/{request_id}/approve")
    assert frozen(session.account)
    assert not frozen(session.accounts[1])


def test_the_customer_lifts_a_bank_freeze_with_an_otp(agent, session, other_session, fresh_otp):
    _, freeze_id = place(agent, session)
    url = f"/api/v1/bank-freezes/{freeze_id}/lift"
    assert other_session.client.post(url, HTTP_X_OTP=fresh_otp()).status_code == 404
    without = session.client.post(url)
    assert (without.status_code, without.json()["code"]) == (403, "otp_required")
    assert frozen(session.account)
    listed = session.client.get("/api/v1/bank-freezes").json()
    assert [f["id"] for f in listed] == [freeze_id]
    response = session.client.post(url, HTTP_X_OTP=fresh_otp())
    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "lifted"
    assert not frozen(session.account)
    again = session.client.post(url, HTTP_X_OTP=fresh_otp())
    assert (again.status_code, again.json()["code"]) == (409, "freeze_not_active")


def test_a_freeze_ends_at_its_expiry_once(agent, session):
    until = timezone.now() + timedelta(hours=2)
    _, freeze_id = place(agent, session, expires_at=until.isoformat())
    assert remote_freezes_expire() == 0
    with clock_moved(timedelta(hours=3)):
        assert remote_freezes_expire() == 1
        assert remote_freezes_expire() == 0
    assert RemoteFreeze.objects.get(pk=freeze_id).status == "expired"
    assert not frozen(session.account)
    [lifted] = entries(session.customer, EventType.FREEZE_LIFTED)[-1:]
    assert (lifted.actor_type, lifted.actor_id) == ("system", "freeze_expiry")


def test_an_overlapping_freeze_keeps_holding_when_one_expires(agent, session):
    place(agent, session, expires_at=(timezone.now() + timedelta(hours=1)).isoformat())
    place(agent, session)
    with clock_moved(timedelta(hours=2)):
        assert remote_freezes_expire() == 1
    # The second freeze added nothing new (the first held it), yet it is still in force.
    assert frozen(session.account)


# --- risk-list proposals --------------------------------------------------------------------------------


def test_risk_entry_proposed_by_an_agent_approved_by_another_supervisor(
    agent, supervisor, redis_client, django_capture_on_commit_callbacks
):
    other_supervisor = type(supervisor)("supervisor")
    proposed = agent.post(
        "/api/v1/agent/risk-proposals", {"account": "6222 0200 0000 1234", "severity": "high", "note": "mule"}
    )
    assert proposed.status_code == 201, proposed.json()
    proposal_id = proposed.json()["id"]
    assert proposed.json()["masked_account"] == "****1234"
    assert not PayeeRiskEntry.objects.exists()
    assert agent.post(f"/api/v1/agent/risk-proposals/{proposal_id}/approve").status_code == 403

    mine = supervisor.post("/api/v1/agent/risk-proposals", {"account": "62220200009999", "severity": "medium"})
    own = supervisor.post(f"/api/v1/agent/risk-proposals/{mine.json()['id']}/approve")
    assert (own.status_code, own.json()["code"]) == (403, "own_proposal")

    with django_capture_on_commit_callbacks(execute=True):
        approved = other_supervisor.post(f"/api/v1/agent/risk-proposals/{proposal_id}/approve")
    assert approved.status_code == 200, approved.json()
    counterparty = payee_hash("6222020000001234")
    assert PayeeRiskEntry.objects.get(counterparty=counterparty).severity == "high"
    # Published to the hot path's mirror on commit.
    assert redis_client.hget(RISK_KEY, counterparty) == b"high"
    assert not PayeeRiskEntry.objects.filter(counterparty=payee_hash("62220200009999")).exists()
    logged = set(SecurityEvent.objects.filter(chain="bank").values_list("event_type", flat=True))
    assert {EventType.RISK_ENTRY_PROPOSED, EventType.RISK_ENTRY_APPROVED} <= logged
    assert "6222020000001234" not in str(list(SecurityEvent.objects.values_list("details", flat=True)))


def test_a_payee_cannot_be_proposed_twice_while_pending(agent, other_agent):
    assert (
        agent.post("/api/v1/agent/risk-proposals", {"account": "62220200001234", "severity": "high"}).status_code == 201
    )
    again = other_agent.post("/api/v1/agent/risk-proposals", {"account": "62220200001234", "severity": "medium"})
    assert (again.status_code, again.json()["code"]) == (409, "already_proposed")
    bad = agent.post("/api/v1/agent/risk-proposals", {"account": "12", "severity": "high"})
    assert bad.status_code == 400
    assert bad.json()["errors"][0]["field"] == "account"


# --- call status -------------------------------------------------------------------------------------------


def test_call_status_on_and_off(agent, session, other_session):
    off = session.client.get("/api/v1/call-status").json()
    assert off["calling"] is False
    assert "95588" in off["message"]
    session_id = agent.open_session(session.customer)
    call = agent.post(f"/api/v1/agent/service-sessions/{session_id}/calls")
    assert call.status_code == 201, call.json()
    on = session.client.get("/api/v1/call-status").json()
    assert on["calling"] is True
    assert on["agent"] == f"{agent.user.pk:04d}"
    assert on["code"] == call.json()["spoken_code"]
    assert on["code"] in on["message"]
    # Another customer is not being called.
    assert other_session.client.get("/api/v1/call-status").json()["calling"] is False
    assert agent.post(f"/api/v1/agent/calls/{call.json()['id']}/end").status_code == 200
    assert session.client.get("/api/v1/call-status").json()["calling"] is False
    assert [e.event_type for e in entries(session.customer, EventType.CALL_STARTED)] == ["call.started"]


def test_a_forgotten_call_stops_showing(agent, session, settings):
    settings.CALL_STATUS_MAX = timedelta(minutes=5)  # shorter than the customer token's idle timeout
    session_id = agent.open_session(session.customer)
    agent.post(f"/api/v1/agent/service-sessions/{session_id}/calls")
    with clock_moved(settings.CALL_STATUS_MAX + timedelta(seconds=1)):
        assert session.client.get("/api/v1/call-status").json()["calling"] is False


def test_reporting_a_fake_call_opens_an_incident_case(session):
    response = session.client.post(
        "/api/v1/call-status/fake-call-reports", {"caller_number": "+85212345678", "note": "said police"}, format="json"
    )
    assert response.status_code == 201, response.json()
    case = Case.objects.get(pk=response.json()["id"])
    assert (case.kind, case.customer, case.priority) == ("fake_call", session.customer, Case.Priority.HIGH)
    assert entries(session.customer, EventType.FAKE_CALL_REPORTED)
    bad = session.client.post("/api/v1/call-status/fake-call-reports", {"colour": "red"}, format="json")
    assert bad.status_code == 400
    assert bad.json()["errors"][0]["field"] == "colour"


# --- the agent's emergency scenarios ------------------------------------------------------------------------


def test_an_agent_applies_an_emergency_scenario_for_the_caller(agent, session):
    session_id = agent.open_session(session.customer)
    response = agent.post(f"/api/v1/agent/service-sessions/{session_id}/emergency", {"scenario": "being_scammed_now"})
    assert response.status_code == 200, response.json()
    assert LockSettings.objects.get(account=session.account).freeze_all_outgoing
    [applied] = entries(session.customer, EventType.EMERGENCY_APPLIED)
    assert applied.actor_id == str(agent.user.pk)
