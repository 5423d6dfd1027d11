"""The call-back queue: review cases, the queue's order, claims (and their race), outcomes and their effects,
escalation, and the review deadline sweep."""

import json
from contextlib import contextmanager
from datetime import timedelta
from unittest import mock

import pytest
from django.utils import timezone

from accounts.models import Notification
from locks.callbacks.claims import ClaimedByAnother, callback_claim
from locks.callbacks.tasks import callbacks_escalate_sweep, reviews_default_sweep
from locks.cases.services import case_open
from locks.holds.webhooks import webhook_verify
from locks.models import Case, CaseWork, Hold, LockSettings, RiskEntryProposal, WebhookDelivery
from securitycenter.securitylog.models import EventType, SecurityEvent
from securitycenter.securitylog.record import Actor, Origin
from tests.factories import AuthorizationFactory, BankAccountFactory, CustomerFactory, StaffUserFactory
from tests.support.race import errors_of, run_at_once

pytestmark = pytest.mark.django_db


@contextmanager
def clock_moved(delta):
    real_now = timezone.now
    with mock.patch("django.utils.timezone.now", side_effect=lambda: real_now() + delta):
        yield


def review_case(account=None, amount=300_000, counterparty="c" * 64, **case_fields):
    account = account or BankAccountFactory()
    authorization = AuthorizationFactory(
        account=account, outcome="review", amount=amount, counterparty=counterparty, reasons=["payee_medium_risk"]
    )
    authorization.client.webhook_url = "https://core.example/webhooks"
    authorization.client.webhook_secret = "whsec-test-secret"
    authorization.client.save()
    return case_open(
        kind=Case.Kind.REVIEW,
        customer=account.customer,
        account=account,
        authorization=authorization,
        source="rule:payee_medium_risk",
        actor=Actor.system("test"),
        **case_fields,
    )


def hold_case(account=None, release_in=timedelta(hours=12), amount=6_000_000):
    account = account or BankAccountFactory()
    authorization = AuthorizationFactory(account=account, outcome="hold", amount=amount, counterparty="d" * 64)
    hold = Hold.objects.create(
        authorization=authorization,
        account=account,
        client=authorization.client,
        amount=amount,
        currency="CNY",
        reasons=["large_transfer_hold"],
        release_at=timezone.now() + release_in,
    )
    return case_open(
        kind=Case.Kind.HOLD_CALLBACK,
        customer=account.customer,
        account=account,
        authorization=authorization,
        hold=hold,
        source="hold",
        actor=Actor.system("test"),
    )


def claim(staff, case):
    return staff.post(f"/api/v1/agent/callbacks/{case.pk}/claim")


def outcome(staff, case, what, note="called"):
    return staff.post(f"/api/v1/agent/callbacks/{case.pk}/outcome", {"outcome": what, "note": note})


# --- review cases ------------------------------------------------------------------------------------


def test_a_review_decision_opens_a_review_case(payment_core, session):
    from tests.factories import PayeeRiskEntryFactory

    PayeeRiskEntryFactory(account="6222029000000777", severity="medium")
    decided = payment_core(session.account, channel="pos", counterparty_account="6222029000000777")
    assert decided["decision"] == "review", decided
    case = Case.objects.get(kind=Case.Kind.REVIEW, customer=session.customer)
    assert case.authorization.transaction_id == decided["transaction_id"]


# --- the queue ----------------------------------------------------------------------------------------


def test_the_queue_orders_by_risk_time_left_and_age_and_shows_the_wait(agent):
    elderly = BankAccountFactory(
        customer=CustomerFactory(date_of_birth=timezone.localdate() - timedelta(days=80 * 366))
    )
    normal = review_case()
    soon = hold_case(release_in=timedelta(hours=2))
    later = hold_case(release_in=timedelta(hours=11))
    old_customer = hold_case(account=elderly, release_in=timedelta(hours=11))
    urgent = review_case(priority=Case.Priority.URGENT)
    response = agent.get("/api/v1/agent/callbacks")
    assert response.status_code == 200, response.json()
    order = [e["case_id"] for e in response.json()]
    assert order.index(urgent.pk) == 0
    assert order.index(old_customer.pk) < order.index(soon.pk) < order.index(later.pk)
    assert normal.pk in order
    entry = response.json()[0]
    assert entry["waited_seconds"] >= 0
    assert {"seconds_left", "amount", "customer_age", "claimed_by", "attempts"} <= set(entry)


# --- claims ---------------------------------------------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_claims_racing_one_agent_wins():
    case = review_case()
    agents = [StaffUserFactory(groups=["agent"]) for _ in range(6)]

    def work(i):
        return callback_claim(agent=agents[i], case_id=case.pk, origin=Origin())

    results = run_at_once(len(agents), work)
    errors = errors_of(results)
    winners = [r for r in results if isinstance(r, CaseWork)]
    assert len(winners) == 1
    assert len(errors) == len(agents) - 1
    assert all(isinstance(e, ClaimedByAnother) for e in errors)
    assert CaseWork.objects.get(case=case).claimed_by_id == winners[0].claimed_by_id
    assert SecurityEvent.objects.filter(event_type=EventType.CASE_CLAIMED).count() == 1


def test_a_claim_lapses_and_is_one_agents(agent, other_agent, settings):
    settings.CALLBACK_CLAIM_LIFETIME = timedelta(minutes=3)
    case = review_case()
    assert claim(agent, case).status_code == 200
    taken = claim(other_agent, case)
    assert (taken.status_code, taken.json()["code"]) == (409, "claimed_by_another")
    others = outcome(other_agent, case, "confirmed")
    assert (others.status_code, others.json()["code"]) == (409, "claimed_by_another")
    with clock_moved(timedelta(minutes=4)):
        lapsed = outcome(agent, case, "confirmed")
        assert (lapsed.status_code, lapsed.json()["code"]) == (409, "claim_expired")
        assert claim(other_agent, case).status_code == 200
    assert Case.objects.get(pk=case.pk).status == "open"
    unknown = claim(agent, type("C", (), {"pk": 999_999})())
    assert (unknown.status_code, unknown.json()["code"]) == (404, "unknown_case")
    bad = agent.post(f"/api/v1/agent/callbacks/{case.pk}/outcome", {"outcome": "maybe"})
    assert bad.status_code == 400
    assert bad.json()["errors"][0]["field"] == "outcome"


# --- outcomes -------------------------------------------------------------------------------------------


def test_confirmed_review_is_approved_and_the_payment_core_told_by_signed_webhook(
    agent, django_capture_on_commit_callbacks
):
    case = review_case()
    claim(agent, case)
    with mock.patch("locks.holds.webhooks.webhook_deliver.delay"):
        response = outcome(agent, case, "confirmed")
    assert response.status_code == 200, response.json()
    assert response.json()["case_status"] == "closed"
    delivery = WebhookDelivery.objects.get(authorization=case.authorization)
    assert delivery.event == "review.approved"
    assert delivery.payload["review"]["transaction_id"] == case.authorization.transaction_id
    assert delivery.payload["review"]["outcome"] == "approve"
    # Sent signed like every webhook: the receiver recomputes the HMAC over timestamp and body.
    sent = {}

    class Answer:
        status = 204

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

    def urlopen(request, timeout):
        sent["headers"] = dict(request.header_items())
        sent["body"] = request.data
        return Answer()

    from locks.holds.webhooks import webhook_send

    with mock.patch("urllib.request.urlopen", urlopen):
        assert webhook_send(delivery_id=delivery.pk)
    headers = {k.lower(): v for k, v in sent["headers"].items()}
    secret = case.authorization.client.webhook_secret
    assert webhook_verify(
        header=headers["x-sc-signature"], secret=secret, timestamp=headers["x-sc-timestamp"], body=sent["body"]
    )
    assert json.loads(sent["body"])["event"] == "review.approved"


def test_confirmed_hold_keeps_its_release_time(agent):
    case = hold_case()
    release_at = case.hold.release_at
    claim(agent, case)
    assert outcome(agent, case, "confirmed").status_code == 200
    hold = Hold.objects.get(pk=case.hold.pk)
    assert (hold.status, hold.release_at) == ("held", release_at)
    assert Case.objects.get(pk=case.pk).status == "closed"


def test_fraud_confirmed_stops_freezes_proposes_and_teaches(agent):
    case = hold_case()
    other = BankAccountFactory(customer=case.customer)
    claim(agent, case)
    with mock.patch("locks.holds.webhooks.webhook_deliver.delay"):
        response = outcome(agent, case, "fraud_confirmed", note="fake police")
    assert response.status_code == 200, response.json()
    assert Hold.objects.get(pk=case.hold.pk).status == "stopped"
    assert all(LockSettings.objects.get(account=a).freeze_all_outgoing for a in (case.account, other))
    proposal = RiskEntryProposal.objects.get(counterparty="d" * 64)
    assert (proposal.status, proposal.proposed_by_id, proposal.case_id) == ("pending", agent.user.pk, case.pk)
    assert Notification.objects.filter(customer=case.customer, template="fraud_confirmed_lesson").exists()
    [recorded] = SecurityEvent.objects.filter(event_type=EventType.CASE_OUTCOME_RECORDED, customer=case.customer)
    assert {"payment_stopped", "outgoing_frozen", "payee_proposed"} <= set(recorded.details["effects"])


def test_fraud_on_a_review_declines_it(agent):
    case = review_case()
    claim(agent, case)
    with mock.patch("locks.holds.webhooks.webhook_deliver.delay"):
        assert outcome(agent, case, "fraud_confirmed").status_code == 200
    assert WebhookDelivery.objects.get(authorization=case.authorization).event == "review.declined"
    case.authorization.refresh_from_db()
    assert case.authorization.reversed_at is not None


def test_unreachable_retries_then_goes_to_a_supervisor(agent, other_agent, supervisor, settings):
    settings.CALLBACK_RETRY_AFTER = timedelta(minutes=10)
    case = hold_case(release_in=timedelta(hours=5))
    claim(agent, case)
    assert outcome(agent, case, "unreachable").status_code == 200
    work = CaseWork.objects.get(case=case)
    assert (work.attempts, work.escalated_at) == (1, None)
    assert case.pk not in [e["case_id"] for e in agent.get("/api/v1/agent/callbacks").json()]
    with clock_moved(timedelta(hours=4, minutes=10)):
        for staff in (agent, other_agent):
            staff.sign_in_again()
        assert case.pk in [e["case_id"] for e in agent.get("/api/v1/agent/callbacks").json()]
        assert claim(other_agent, case).status_code == 200
        assert outcome(other_agent, case, "unreachable").status_code == 200
    work.refresh_from_db()
    assert work.attempts == 2
    assert work.escalated_at is not None
    with clock_moved(timedelta(hours=4, minutes=25)):
        for staff in (agent, supervisor):
            staff.sign_in_again()
        refused = claim(agent, case)
        assert (refused.status_code, refused.json()["code"]) == (403, "escalated_to_supervisor")
        assert case.pk not in [e["case_id"] for e in agent.get("/api/v1/agent/callbacks").json()]
        assert case.pk in [e["case_id"] for e in supervisor.get("/api/v1/agent/callbacks").json()]
        assert claim(supervisor, case).status_code == 200


def test_the_escalation_sweep_gives_unreached_cases_to_a_supervisor_once():
    near = hold_case(release_in=timedelta(minutes=50))
    far = hold_case(release_in=timedelta(hours=6))
    assert callbacks_escalate_sweep() == 1
    assert callbacks_escalate_sweep() == 0
    assert CaseWork.objects.get(case=near).escalated_at is not None
    assert not CaseWork.objects.filter(case=far, escalated_at__isnull=False).exists()


# --- the review deadline -------------------------------------------------------------------------------


def test_the_review_deadline_sweep_declines_once(settings):
    settings.REVIEW_DEADLINE = timedelta(minutes=30)
    settings.REVIEW_DEFAULT_OUTCOME = "decline"
    case = review_case()
    fresh = review_case()
    with mock.patch("locks.holds.webhooks.webhook_deliver.delay"):
        assert reviews_default_sweep() == 0
        with clock_moved(timedelta(minutes=31)):
            AuthorizationFactory._meta.model.objects.filter(pk=fresh.authorization.pk).update(
                created_at=timezone.now() + timedelta(minutes=31)
            )
            assert reviews_default_sweep() == 1
            assert reviews_default_sweep() == 0
    assert Case.objects.get(pk=case.pk).status == "closed"
    assert Case.objects.get(pk=fresh.pk).status == "open"
    assert CaseWork.objects.get(case=case).outcome == "defaulted"
    [delivery] = WebhookDelivery.objects.filter(authorization=case.authorization)
    assert delivery.event == "review.declined"
    assert Notification.objects.filter(customer=case.customer, template="review_declined").exists()
    case.authorization.refresh_from_db()
    assert case.authorization.reversed_at is not None


# --- a call from a case --------------------------------------------------------------------------------


def test_a_call_started_from_a_claimed_case_shows_in_the_app(agent, other_agent, session):
    case = review_case(account=session.account)
    refused = agent.post(f"/api/v1/agent/callbacks/{case.pk}/calls")
    assert (refused.status_code, refused.json()["code"]) == (409, "not_claimed")
    claim(agent, case)
    assert other_agent.post(f"/api/v1/agent/callbacks/{case.pk}/calls").status_code == 409
    call = agent.post(f"/api/v1/agent/callbacks/{case.pk}/calls")
    assert call.status_code == 201, call.json()
    status = session.client.get("/api/v1/call-status").json()
    assert (status["calling"], status["code"]) == (True, call.json()["spoken_code"])
