from datetime import UTC, datetime, timedelta

import orjson
import pytest
from django.test import Client

from accounts.models import ApiKey, ServiceClient
from locks.authorizations import context as authorizations
from locks.authorizations import views as hotpath
from locks.authorizations.tasks import authorization_outbox_sweep
from locks.models import Authorization, LockSettings
from securitycenter.crypto import token_hash
from securitycenter.securitylog.models import EventType, SecurityEvent
from tests.factories import BankAccountFactory, PayeeRiskEntryFactory
from tests.locks.authorizations.support import RAW_KEY, locks, payment
from tests.support.race import errors_of, run_at_once


def post(path, body, key=RAW_KEY, **headers):
    if key is not None:
        headers["HTTP_AUTHORIZATION"] = f"ApiKey {key}"
    return Client().post(path, orjson.dumps(body), content_type="application/json", **headers)


def authorize(body, **kw):
    return post("/api/v1/authorizations", body, **kw)


pytestmark = pytest.mark.django_db


def test_an_unlocked_payment_is_approved_and_recorded(service, account):
    response = authorize(payment(account))
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["decision"] == "approve"
    assert body["reasons"] == []
    row = Authorization.objects.get(transaction_id=body["transaction_id"])
    assert (row.pk, row.outcome, row.counted, row.amount) == (body["decision_id"], "approve", True, 10_000)
    assert body["policy_version"] == LockSettings.objects.get(account=account).version


def test_account_can_be_referenced_by_its_number(service, account):
    body = payment(account)
    del body["account_id"]
    body["account_number"] = account.number
    assert authorize(body).json()["decision"] == "approve"


@pytest.mark.parametrize(
    ("lock", "overrides", "reason"),
    [
        ({"freeze_all_outgoing": True}, {}, "account_frozen"),
        ({"freeze_card_not_present": True}, {"channel": "card_not_present"}, "card_not_present_frozen"),
        ({"channels_off": ["pos"]}, {}, "channel_off"),
        ({"region_mode": "allow", "regions": ["CN-BJ"]}, {"subdivision": "CN-AH"}, "region_not_allowed"),
        ({"limits": {"per_transaction": 5_000}}, {}, "over_per_transaction_limit"),
        ({"limits": {"daily": 5_000}}, {}, "over_daily_limit"),
        ({"limits": {"monthly": 5_000}}, {}, "over_monthly_limit"),
    ],
)
def test_each_customer_lock_declines_with_its_reason(service, account, lock, overrides, reason):
    locks(account, **lock)
    body = authorize(payment(account, **overrides)).json()
    assert body["decision"] == "decline"
    codes = [r["code"] for r in body["reasons"]]
    assert reason in codes
    assert all(set(r["message"]) == {"zh-Hans", "en"} for r in body["reasons"])
    assert not Authorization.objects.get(transaction_id=body["transaction_id"]).counted


def test_outside_allowed_time_uses_the_customers_time_zone(service, account):
    locks(account, time_windows=[{"days": list(range(7)), "start": "06:00", "end": "24:00"}])
    # 18:30 UTC is 02:30 in Shanghai: inside night protection.
    night = datetime.now(UTC).replace(hour=18, minute=30, second=0, microsecond=0)
    if night > datetime.now(UTC):
        night -= timedelta(days=1)
    body = authorize(payment(account, initiated_at=night.isoformat())).json()
    assert [r["code"] for r in body["reasons"]] == ["outside_allowed_time"]


def test_payee_on_the_risk_list(service, account):
    payee = "6222029999000011112"
    PayeeRiskEntryFactory(account=payee, severity="high", source="police")
    body = authorize(payment(account, channel="online_transfer", counterparty_account=payee)).json()
    assert body["decision"] == "decline"
    assert "payee_high_risk" in [r["code"] for r in body["reasons"]]


def test_daily_limit_counts_approved_amounts(service, account):
    locks(account, limits={"daily": 25_000})
    outcomes = [authorize(payment(account, n)).json()["decision"] for n in range(4)]
    assert outcomes == ["approve", "approve", "decline", "decline"]


def test_same_transaction_same_body_is_answered_once_and_counted_once(service, account):
    locks(account, limits={"daily": 15_000})
    first = authorize(payment(account)).json()
    again = authorize(payment(account)).json()
    assert again == first
    assert Authorization.objects.count() == 1
    # Counted once: another 5,000 still fits under 15,000.
    assert authorize(payment(account, 2, amount=5_000)).json()["decision"] == "approve"


def test_same_transaction_with_a_different_body_is_a_conflict(service, account):
    authorize(payment(account))
    response = authorize(payment(account, amount=99))
    assert response.status_code == 409
    assert response.json()["code"] == "idempotency_conflict"


def test_reversal_gives_the_amount_back_once(service, account, django_capture_on_commit_callbacks):
    locks(account, limits={"daily": 20_000})
    authorize(payment(account, 1))
    authorize(payment(account, 2))
    assert authorize(payment(account, 3)).json()["decision"] == "decline"
    path = f"/api/v1/authorizations/txn-{account.pk}-1/reversal"
    with django_capture_on_commit_callbacks(execute=True):
        first = post(path, {})
    assert first.status_code == 200
    assert first.json()["amount_returned"] == 10_000
    for _ in range(3):
        with django_capture_on_commit_callbacks(execute=True):
            assert post(path, {}).json()["amount_returned"] == 0
    assert authorize(payment(account, 4)).json()["decision"] == "approve"
    assert authorize(payment(account, 5)).json()["decision"] == "decline"


def test_reversal_of_an_unknown_transaction_is_404(service):
    response = post("/api/v1/authorizations/nope/reversal", {})
    assert response.status_code == 404


def test_recorded_decision_can_be_read_back(service, account):
    decided = authorize(payment(account)).json()
    response = Client().get(
        f"/api/v1/authorizations/{decided['transaction_id']}", HTTP_AUTHORIZATION=f"ApiKey {RAW_KEY}"
    )
    assert response.status_code == 200
    assert response.json() == decided
    missing = Client().get("/api/v1/authorizations/none", HTTP_AUTHORIZATION=f"ApiKey {RAW_KEY}")
    assert missing.status_code == 404


def test_counters_are_rebuilt_from_the_database_when_redis_loses_them(service, account, redis_client):
    locks(account, limits={"daily": 30_000})
    assert authorize(payment(account, 1)).json()["decision"] == "approve"
    assert authorize(payment(account, 2)).json()["decision"] == "approve"
    redis_client.flushdb()
    authorizations.caches_clear()
    assert authorize(payment(account, 3)).json()["decision"] == "approve"
    redis_client.flushdb()
    assert authorize(payment(account, 4)).json()["decision"] == "decline"
    # A replay after the loss is still answered from the record, not counted again.
    redis_client.flushdb()
    replay = authorize(payment(account, 3)).json()
    assert replay["decision"] == "approve"
    assert Authorization.objects.filter(counted=True).count() == 3


def test_redis_outage_follows_the_degraded_mode(service, account, settings):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    cnp = authorize(payment(account, 1, channel="card_not_present")).json()
    transfer = authorize(payment(account, 2, channel="online_transfer", counterparty_account="6222020000000001")).json()
    pos = authorize(payment(account, 3)).json()
    assert [r["code"] for r in cnp["reasons"]] == ["service_degraded"]
    assert cnp["decision"] == transfer["decision"] == "decline"
    assert pos["decision"] == "approve"
    assert cnp["degraded"] and pos["degraded"]
    assert SecurityEvent.objects.filter(event_type=EventType.DEGRADED_MODE).count() == 3


def test_degraded_mode_still_enforces_limits_from_the_database(service, account, settings):
    locks(account, limits={"daily": 15_000})
    assert authorize(payment(account, 1)).json()["decision"] == "approve"
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    assert authorize(payment(account, 2)).json()["decision"] == "decline"
    assert authorize(payment(account, 3, amount=5_000)).json()["decision"] == "approve"


def test_a_decline_for_a_customer_lock_is_logged_and_announced(service, account):
    locks(account, channels_off=["atm"])
    body = authorize(payment(account, channel="atm"), outbox=False).json()
    row = Authorization.objects.get(pk=body["decision_id"])
    assert row.logged_at is None  # nothing but the record on the request: the outbox does the rest
    assert authorization_outbox_sweep() == 1
    assert authorization_outbox_sweep() == 0
    row.refresh_from_db()
    assert row.logged_at is not None
    event = SecurityEvent.objects.get(event_type=EventType.AUTHORIZATION_DECLINED)
    assert event.customer_id == account.customer_id
    assert event.details["reasons"] == ["channel_off"]
    notification = account.customer.notifications.get(template="authorization_declined")
    assert notification.params["account"] == account.masked_number


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"amount": -1}, "amount"),
        ({"amount": "100"}, "amount"),
        ({"amount": 1.5}, "amount"),
        ({"currency": "cny"}, "currency"),
        ({"channel": "teleport"}, "channel"),
        ({"country": "China"}, "country"),
        ({"subdivision": "US-CA"}, "subdivision"),
        ({"initiated_at": "2020-01-01T00:00:00Z"}, "initiated_at"),
        ({"initiated_at": "2026-11-22T10:00:00"}, "initiated_at"),
        ({"surprise": 1}, "surprise"),
        ({"account_id": 999_999_999}, "account_id"),
    ],
)
def test_bad_input_names_the_field(service, account, change, field):
    response = authorize({**payment(account), **change})
    assert 400 <= response.status_code < 500
    body = response.json()
    assert response["Content-Type"] == "application/problem+json"
    assert body["errors"][0]["field"] == field, body
    assert not Authorization.objects.exists()


def test_malformed_json_is_400(service):
    response = Client().post(
        "/api/v1/authorizations", b"{nope", content_type="application/json", HTTP_AUTHORIZATION=f"ApiKey {RAW_KEY}"
    )
    assert response.status_code == 400
    assert response.json()["code"] == "parse_error"


def test_refused_callers(service, account):
    from accounts.tokens import auth_token_issue
    from tests.factories import DeviceFactory

    assert authorize(payment(account), key=None).status_code == 401
    assert authorize(payment(account), key="sc_unknown_key").status_code == 401
    device = DeviceFactory(customer=account.customer)
    token = auth_token_issue(customer=account.customer, device=device, ip_address=None).raw
    customer = authorize(
        payment(account), key=None, HTTP_AUTHORIZATION=f"Bearer {token}", HTTP_X_DEVICE_ID=device.device_id
    )
    assert customer.status_code == 403
    reader = ServiceClient.objects.create(name="reporting", scopes=["authorizations:read"])
    ApiKey.objects.create(client=reader, prefix="readonly", key_hash=token_hash("sc_readonly_x"))
    assert authorize(payment(account), key="sc_readonly_x").status_code == 403
    ApiKey.objects.filter(prefix="testkey1").update(revoked_at=datetime.now(UTC))
    hotpath.key_cache_clear()
    assert authorize(payment(account), key=RAW_KEY).status_code == 401
    assert not Authorization.objects.exists()


def test_batch_answers_each_item_in_order_and_isolates_bad_ones(service, account):
    locks(account, limits={"daily": 25_000})
    items = [payment(account, n) for n in range(3)]
    items.insert(1, {**payment(account, 99), "amount": -5})
    response = post("/api/v1/authorizations/batch", {"transactions": items})
    assert response.status_code == 200
    results = response.json()["results"]
    assert [r["ok"] for r in results] == [True, False, True, True]
    assert results[1]["error"]["errors"][0]["field"] == "amount"
    assert [r.get("decision") for r in results] == ["approve", None, "approve", "decline"]
    assert [r.get("transaction_id") for r in results if r["ok"]] == [
        i["transaction_id"] for i in items if i["amount"] > 0
    ]


def test_batch_size_is_bounded(service, account):
    response = post("/api/v1/authorizations/batch", {"transactions": [payment(account, n) for n in range(501)]})
    assert response.status_code == 400
    assert post("/api/v1/authorizations/batch", {"transactions": []}).status_code == 400


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("run", range(3))
def test_parallel_payments_never_exceed_the_daily_limit(run, redis_client):
    client = ServiceClient.objects.create(name=f"core-{run}", scopes=["authorizations:write"])
    ApiKey.objects.create(client=client, prefix=f"race{run}", key_hash=token_hash(f"sc_race{run}_k"))
    account = BankAccountFactory()
    locks(account, limits={"daily": 100_000})

    def pay(worker):
        return [
            authorize(payment(account, f"{worker}-{i}", amount=7_000), key=f"sc_race{run}_k").json()["decision"]
            for i in range(4)
        ]

    results = run_at_once(16, pay)
    assert errors_of(results) == []
    outcomes = [decision for decisions in results for decision in decisions]
    approved = Authorization.objects.filter(account=account, outcome="approve")
    total = sum(approved.values_list("amount", flat=True))
    assert len(outcomes) == 64
    assert total <= 100_000
    assert approved.count() == 100_000 // 7_000  # the limit is used up, not under-used


def test_reversing_a_decline_returns_nothing_and_says_so(service, account):
    locks(account, channels_off=["pos"])
    decided = authorize(payment(account)).json()
    assert decided["decision"] == "decline"
    response = post(f"/api/v1/authorizations/{decided['transaction_id']}/reversal", {})
    assert response.status_code == 200
    assert response.json() == {
        "transaction_id": decided["transaction_id"],
        "reversed": False,
        "amount_returned": 0,
        "already_reversed": False,
    }
