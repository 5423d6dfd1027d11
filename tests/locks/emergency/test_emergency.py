import pytest
from rest_framework.test import APIClient

from accounts.models import AuthToken
from accounts.tokens import auth_token_issue
from locks.emergency.scenarios import Scenario
from locks.emergency.services import emergency_apply
from locks.holds.services import hold_place
from locks.models import Case, Hold, LockSettings
from securitycenter.securitylog.models import EventType, SecurityEvent
from securitycenter.securitylog.record import Actor, Origin
from tests.factories import AuthorizationFactory, BankAccountFactory, DeviceFactory, StaffUserFactory
from tests.locks.conftest import decision_of
from tests.support.callers import wrong_callers

pytestmark = pytest.mark.django_db


def apply(session, scenario, **body):
    return session.client.post("/api/v1/emergency", {"scenario": scenario, **body}, format="json")


def other_device_token(session):
    device = DeviceFactory(customer=session.customer)
    return auth_token_issue(customer=session.customer, device=device, ip_address=None).token


def row(account):
    return LockSettings.objects.get(account=account)


def test_lost_phone_ends_other_sessions_and_freezes_remote_payments_but_not_the_card(session, would_pass):
    other = other_device_token(session)
    response = apply(session, "lost_phone")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert [a["code"] for a in body["actions"]] == ["sessions_ended", "freeze_card_not_present", "channels_off"]
    assert body["lesson_id"] == "lost_phone" and body["case"] is None
    other.refresh_from_db()
    assert other.revoked_at is not None
    # The phone in the customer's hand keeps working.
    assert session.client.get("/api/v1/cases").status_code == 200
    for account in session.accounts:
        locks = row(account)
        assert locks.freeze_card_not_present and not locks.freeze_all_outgoing
        assert set(locks.channels_off) == {"quick_pay", "online_transfer"}
    assert decision_of(would_pass(channel="pos"))[0] == "approve"
    assert decision_of(would_pass(channel="atm"))[0] == "approve"
    assert decision_of(would_pass(channel="contactless"))[0] == "approve"
    assert decision_of(would_pass(channel="card_not_present"))[0] == "decline"
    assert decision_of(would_pass(channel="quick_pay"))[0] == "decline"
    assert decision_of(would_pass(channel="online_transfer"))[0] == "decline"
    event = SecurityEvent.objects.get(event_type=EventType.EMERGENCY_APPLIED)
    assert event.details["scenario"] == "lost_phone" and event.actor_type == "customer"


def test_every_action_says_how_to_lift_it_and_the_customer_can(session, would_pass, fresh_otp):
    body = apply(session, "lost_phone").json()
    lifts = {a["code"]: a["lift"] for a in body["actions"]}
    assert all(lift["message"] for lift in lifts.values())
    unfreeze = lifts["freeze_card_not_present"]["request"]
    assert unfreeze["otp"] is True and unfreeze["path"] == "/api/v1/locks/unfreeze"
    response = session.client.post(unfreeze["path"], unfreeze["body"], format="json", HTTP_X_OTP=fresh_otp())
    assert response.status_code == 200, response.json()
    channels = lifts["channels_off"]["request"]
    response = session.client.post(channels["path"], channels["body"], format="json", HTTP_X_OTP=fresh_otp())
    assert response.status_code == 200, response.json()
    assert decision_of(would_pass(channel="card_not_present"))[0] == "approve"
    assert decision_of(would_pass(channel="online_transfer"))[0] == "approve"


def test_lifting_without_an_otp_is_refused(session):
    apply(session, "lost_phone")
    response = session.client.post(
        "/api/v1/locks/unfreeze", {"scope": "card_not_present", "accounts": "all"}, format="json"
    )
    assert response.status_code in (401, 403), response.json()
    assert row(session.account).freeze_card_not_present


def test_lost_card_freezes_only_that_card(session):
    card, other = session.accounts
    response = apply(session, "lost_card", card_id=card.pk)
    assert response.status_code == 200, response.json()
    assert [a["code"] for a in response.json()["actions"]] == ["freeze_all_outgoing"]
    assert response.json()["actions"][0]["accounts"] == [card.pk]
    assert row(card).freeze_all_outgoing
    assert not LockSettings.objects.filter(account=other, freeze_all_outgoing=True).exists()


def test_lost_card_without_a_card_or_with_anothers_changes_nothing(session, other_session):
    response = apply(session, "lost_card")
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "card_id"
    response = apply(session, "lost_card", card_id=other_session.account.pk)
    assert response.status_code == 404
    assert response.json()["errors"][0]["field"] == "card_id"
    plain_account = BankAccountFactory(customer=session.customer, kind="account")
    assert apply(session, "lost_card", card_id=plain_account.pk).status_code == 404
    assert apply(session, "lost_card", card_id="12").status_code == 400
    assert not LockSettings.objects.filter(freeze_all_outgoing=True).exists()
    assert not SecurityEvent.objects.filter(event_type=EventType.EMERGENCY_APPLIED).exists()


def test_unknown_scenario_and_bad_types_name_the_field(session):
    for body, field in (
        ({"scenario": "zombies"}, "scenario"),
        ({"scenario": 7}, "scenario"),
        ({}, "scenario"),
        ({"scenario": "lost_phone", "extra": 1}, "extra"),
    ):
        response = session.client.post("/api/v1/emergency", body, format="json")
        assert response.status_code == 400, body
        assert field in [e["field"] for e in response.json()["errors"]], response.json()
    assert not SecurityEvent.objects.filter(event_type=EventType.EMERGENCY_APPLIED).exists()


def test_suspected_fraud_also_blocks_cross_border_and_opens_one_case(session):
    other = other_device_token(session)
    first = apply(session, "suspected_fraud").json()
    assert first["case"]["priority"] == "high" and first["case"]["kind"] == "incident"
    assert set(row(session.account).channels_off) == {"quick_pay", "online_transfer", "cross_border"}
    other.refresh_from_db()
    assert other.revoked_at is not None
    version = row(session.account).version
    second = apply(session, "suspected_fraud").json()
    # Again: nothing changes twice, and the same case stays open.
    assert second["case"]["id"] == first["case"]["id"]
    assert row(session.account).version == version
    assert Case.objects.filter(customer=session.customer).count() == 1


def _held_transfer(account):
    auth = AuthorizationFactory(account=account, outcome="hold", amount=6_000_000)
    return hold_place(authorization_id=auth.pk)


def test_being_scammed_now_freezes_everything_cancels_holds_and_asks_for_a_call_back(session, would_pass):
    hold = _held_transfer(session.account)
    released = _held_transfer(session.accounts[1])
    Hold.objects.filter(pk=released.pk).update(status=Hold.Status.RELEASED)
    response = apply(session, "being_scammed_now")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert [a["code"] for a in body["actions"]] == ["freeze_all_outgoing", "holds_cancelled", "case_opened"]
    assert body["case"]["priority"] == "urgent"
    assert body["lesson_id"] == "fake_police_safe_account"
    hold.refresh_from_db()
    released.refresh_from_db()
    assert hold.status == Hold.Status.CANCELLED and released.status == Hold.Status.RELEASED
    assert all(row(a).freeze_all_outgoing for a in session.accounts)
    assert decision_of(would_pass(channel="pos"))[0] == "decline"
    case = Case.objects.get(customer=session.customer)
    assert case.status == Case.Status.OPEN and case.priority == Case.Priority.URGENT


def test_a_scam_in_progress_after_suspected_fraud_opens_an_urgent_case_of_its_own(session):
    first = apply(session, "suspected_fraud").json()["case"]
    second = apply(session, "being_scammed_now").json()["case"]
    # Two scenarios, two call-back reasons: each its own case, the urgent one first in the queue.
    assert first["id"] != second["id"]
    assert second["priority"] == "urgent"


def test_no_otp_and_no_redis_needed(session, settings, django_capture_on_commit_callbacks):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    with django_capture_on_commit_callbacks(execute=True):
        response = apply(session, "being_scammed_now")
    assert response.status_code == 200, response.json()
    assert row(session.account).freeze_all_outgoing


def test_customer_is_told_on_every_channel_in_their_language(session):
    session.customer.email = "c@example.com"
    session.customer.language = "en"
    session.customer.save()
    apply(session, "lost_phone")
    notes = session.customer.notifications.filter(template="emergency_applied")
    assert sorted(n.channel for n in notes) == ["email", "push", "sms"]
    assert notes[0].params["scenario"] == "Lost phone"


def test_an_agent_runs_the_same_scenario_and_every_session_ends(session):
    agent = StaffUserFactory(groups=["agent"])
    outcome = emergency_apply(
        customer=session.customer, scenario=Scenario.LOST_PHONE, actor=Actor.agent(agent), origin=Origin()
    )
    assert outcome.actions[0].count == 1
    assert not AuthToken.objects.filter(customer=session.customer, revoked_at__isnull=True).exists()
    event = SecurityEvent.objects.get(event_type=EventType.EMERGENCY_APPLIED)
    assert event.actor_type == "agent" and event.actor_id == str(agent.pk)


def test_scenarios_are_listed(session):
    body = session.client.get("/api/v1/emergency").json()
    assert {s["scenario"] for s in body} == {s.value for s in Scenario}
    assert [s["needs_card"] for s in body if s["scenario"] == "lost_card"] == [True]


def test_emergency_refuses_everybody_but_customers(db):
    for name, headers in wrong_callers().items():
        status = APIClient().post("/api/v1/emergency", {"scenario": "lost_phone"}, format="json", **headers)
        assert status.status_code == (401 if name == "anonymous" else 403), name
    assert not SecurityEvent.objects.filter(event_type=EventType.EMERGENCY_APPLIED).exists()
