"""The locks endpoints as callers see them: who is refused, what bad input gets, version conflicts, the
effective-policy read and the would-pass check, and concurrent edits on PostgreSQL."""

import pytest
from rest_framework.test import APIClient

from accounts.models import Notification
from accounts.service_clients import api_key_create
from accounts.tokens import auth_token_issue
from locks.decision.policy import CHANNELS
from locks.decision.reasons import Reason
from locks.models import LockSettings, PendingLoosening, TravelWindow
from securitycenter.securitylog.models import SecurityEvent
from tests.factories import (
    BankAccountFactory,
    PendingLooseningFactory,
    ServiceClientFactory,
    StaffUserFactory,
    TravelWindowFactory,
)
from tests.locks.conftest import CustomerSession, decision_of
from tests.support.race import run_at_once

pytestmark = pytest.mark.django_db


def snapshot(session, account=None):
    """What must not move when a request fails: the settings row, travel windows, pendings, log, notifications."""
    account = account or session.account
    body = session.locks(account)  # creates the row on first read
    row = LockSettings.objects.get(account=account)
    return {
        "version": body["version"],
        "document": {k: body[k] for k in ("region", "time", "limits", "channels", "freeze", "cooling_off")},
        "row_version": row.version,
        "travel": TravelWindow.objects.filter(account=account).count(),
        "pending": PendingLoosening.objects.filter(account=account).count(),
        "log": SecurityEvent.objects.filter(customer=session.customer).count(),
        "notifications": Notification.objects.filter(customer=session.customer).count(),
    }


# --- Refused callers ---------------------------------------------------------------------------------------


def endpoints(account_id, window_id=1, pending_id=1):
    """Every locks endpoint with a body that would be valid for the owner."""
    return [
        ("get", "/api/v1/accounts", None),
        ("get", f"/api/v1/accounts/{account_id}/locks", None),
        ("patch", f"/api/v1/accounts/{account_id}/locks", {"version": 1, "freeze": {"all_outgoing": True}}),
        (
            "post",
            f"/api/v1/accounts/{account_id}/locks/check",
            {"amount": 100, "currency": "CNY", "channel": "pos", "country": "CN"},
        ),
        (
            "post",
            f"/api/v1/accounts/{account_id}/travel-windows",
            {"regions": ["JP"], "starts_at": "2030-01-01T00:00:00Z", "ends_at": "2030-01-10T00:00:00Z"},
        ),
        ("delete", f"/api/v1/accounts/{account_id}/travel-windows/{window_id}", None),
        ("post", "/api/v1/locks/apply", {"accounts": [account_id], "changes": {"freeze": {"all_outgoing": True}}}),
        ("post", "/api/v1/locks/presets", {"preset": "night_protection", "accounts": [account_id]}),
        ("post", "/api/v1/locks/freeze", {"scope": "all_outgoing", "accounts": [account_id]}),
        ("post", "/api/v1/locks/unfreeze", {"scope": "all_outgoing", "accounts": [account_id]}),
        ("post", f"/api/v1/locks/pending/{pending_id}/cancel", None),
    ]


def call(client, method, url, body):
    return getattr(client, method)(url, body, format="json") if body is not None else getattr(client, method)(url)


def agent_client():
    client = APIClient()
    token = auth_token_issue(staff_user=StaffUserFactory(groups=["agent"]), ip_address=None).raw
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


def service_client():
    client = APIClient()
    raw, _ = api_key_create(client=ServiceClientFactory())
    client.credentials(HTTP_AUTHORIZATION=f"ApiKey {raw}")
    return client


@pytest.mark.parametrize(
    ("caller", "expected"),
    [("nobody", 401), ("agent", 403), ("service", 403)],
)
def test_callers_other_than_customers_are_refused_everywhere(session, caller, expected):
    client = {"nobody": APIClient, "agent": agent_client, "service": service_client}[caller]()
    before = snapshot(session)
    for method, url, body in endpoints(session.account.pk):
        response = call(client, method, url, body)
        assert response.status_code == expected, (method, url, response.content)
        assert response.json()["status"] == expected
    assert snapshot(session) == before


def test_another_customers_account_is_not_found_everywhere(session, other_session):
    theirs = other_session.account
    window = TravelWindowFactory(account=theirs)
    pending = PendingLooseningFactory(account=theirs)
    before = snapshot(other_session)
    for method, url, body in endpoints(theirs.pk, window.pk, pending.pk):
        if url == "/api/v1/accounts":
            continue
        response = call(session.client, method, url, body)
        assert response.status_code == 404, (method, url, response.content)
    assert snapshot(other_session) == before
    pending.refresh_from_db()
    window.refresh_from_db()
    assert pending.status == PendingLoosening.Status.PENDING
    assert window.cancelled_at is None


def test_account_list_shows_only_my_accounts_masked(session, other_session):
    response = session.client.get("/api/v1/accounts")
    assert response.status_code == 200
    assert [a["id"] for a in response.json()] == [a.pk for a in session.accounts]
    for shown, account in zip(response.json(), session.accounts, strict=True):
        assert shown["masked_number"] == account.masked_number
        assert account.number not in str(response.json())


def test_closed_account_is_not_found(session):
    closed = BankAccountFactory(customer=session.customer, status="closed")
    assert session.client.get(f"/api/v1/accounts/{closed.pk}/locks").status_code == 404


# --- The effective policy in one read --------------------------------------------------------------------


def test_fresh_account_reads_as_unlocked_with_the_bank_maximums(session, settings):
    body = session.locks()
    assert body["version"] == 1
    assert body["account"]["id"] == session.account.pk
    assert body["region"] == {"mode": "any", "regions": []}
    assert body["time"] == {"windows": []}
    assert body["channels"] == dict.fromkeys(CHANNELS, True)
    assert body["freeze"] == {"card_not_present": False, "all_outgoing": False}
    assert body["limits"] == {
        "currency": "CNY",
        "per_transaction": None,
        "daily": None,
        "monthly": None,
        "channels": {},
    }
    maxima = settings.BANK_MAX_LIMITS["CNY"]
    assert body["effective_limits"] == {
        "currency": "CNY",
        **{kind: maxima[kind] for kind in ("per_transaction", "daily", "monthly")},
        "bank_maximums": maxima,
    }
    assert body["travel_windows"] == []
    assert body["pending_loosenings"] == []
    assert body["cooling_off_threshold"] == settings.COOLING_OFF_DEFAULT_THRESHOLD


# --- Bad input: 400 naming the field, nothing half-applied -----------------------------------------------

BAD_PATCHES = [
    pytest.param({"region": {"mode": "allow", "regions": ["XX"]}}, "region.regions.0", id="unknown-country"),
    pytest.param({"region": {"mode": "allow", "regions": ["CN-XX"]}}, "region.regions.0", id="unknown-subdivision"),
    pytest.param({"region": {"mode": "block", "regions": ["CN", "ZZ"]}}, "region.regions.1", id="unknown-second"),
    pytest.param({"region": {"mode": "allow", "regions": ["CHN"]}}, "region.regions.0", id="alpha-3"),
    pytest.param({"region": {"mode": "allow", "regions": []}}, "region.regions", id="allow-nothing"),
    pytest.param({"region": {"mode": "any", "regions": ["CN"]}}, "region.regions", id="any-with-regions"),
    pytest.param({"region": {"mode": "somewhere", "regions": ["CN"]}}, "region.mode", id="unknown-mode"),
    pytest.param(
        {"time": {"windows": [{"days": [0], "start": "25:00", "end": "26:00"}]}}, "time.windows.0.start", id="25:00"
    ),
    pytest.param(
        {"time": {"windows": [{"days": [0], "start": "6am", "end": "18:00"}]}}, "time.windows.0.start", id="6am"
    ),
    pytest.param(
        {"time": {"windows": [{"days": [0], "start": "09:00", "end": "09:00"}]}}, "time.windows.0.end", id="empty"
    ),
    pytest.param(
        {"time": {"windows": [{"days": [], "start": "09:00", "end": "17:00"}]}}, "time.windows.0.days", id="no-days"
    ),
    pytest.param(
        {"time": {"windows": [{"days": [7], "start": "09:00", "end": "17:00"}]}}, "time.windows.0.days.0", id="day-7"
    ),
    pytest.param(
        {"time": {"windows": [{"days": [1, 1], "start": "09:00", "end": "17:00"}]}},
        "time.windows.0.days",
        id="repeated-day",
    ),
    pytest.param(
        {"time": {"windows": [{"days": [1], "start": "24:00", "end": "06:00"}]}}, "time.windows.0.start", id="24:00"
    ),
    pytest.param(
        {"time": {"windows": [{"days": [1], "start": "09:00", "end": "17:00", "tz": "UTC"}]}},
        "time.windows.0.tz",
        id="window-unknown-field",
    ),
    pytest.param({"limits": {"per_transaction": -1}}, "limits.per_transaction", id="negative"),
    pytest.param({"limits": {"daily": "100"}}, "limits.daily", id="string"),
    pytest.param({"limits": {"daily": 1.5}}, "limits.daily", id="float"),
    pytest.param({"limits": {"daily": 100.0}}, "limits.daily", id="whole-float"),
    pytest.param({"limits": {"monthly": True}}, "limits.monthly", id="bool"),
    pytest.param({"limits": {"per_transaction": 100_000_001}}, "limits.per_transaction", id="above-bank-max"),
    pytest.param({"limits": {"monthly": 10**30}}, "limits.monthly", id="absurd"),
    pytest.param({"limits": {"per_transaction": 200, "daily": 100}}, "limits.per_transaction", id="txn-over-daily"),
    pytest.param({"limits": {"daily": 200, "monthly": 100}}, "limits.daily", id="daily-over-monthly"),
    pytest.param({"limits": {"per_transaction": 300, "monthly": 100}}, "limits.per_transaction", id="txn-over-month"),
    pytest.param(
        {"limits": {"channels": {"atm": {"per_transaction": 500, "daily": 100}}}},
        "limits.channels.atm.per_transaction",
        id="channel-order",
    ),
    pytest.param(
        {"limits": {"channels": {"atm": {"daily": 500_000_001}}}}, "limits.channels.atm.daily", id="channel-max"
    ),
    pytest.param({"limits": {"channels": {"atm": {"daily": -5}}}}, "limits.channels.atm.daily", id="channel-negative"),
    pytest.param({"limits": {"channels": {"teleport": {"daily": 100}}}}, "limits.channels", id="limit-channel"),
    pytest.param({"limits": {"currency": "USD", "daily": 100}}, "limits.currency", id="wrong-currency"),
    pytest.param({"limits": {"daily": 100, "weekly": 50}}, "limits.weekly", id="unknown-limit-kind"),
    pytest.param({"channels": {"teleport": False}}, "channels.teleport", id="unknown-channel"),
    pytest.param({"channels": {"atm": "maybe"}}, "channels.atm", id="channel-not-bool"),
    pytest.param({"freeze": {"everything": True}}, "freeze.everything", id="unknown-freeze"),
    pytest.param({"cooling_off": {"threshold": 0}}, "cooling_off.threshold", id="zero-threshold"),
    pytest.param({"cooling_off": {"threshold": "5"}}, "cooling_off.threshold", id="string-threshold"),
    pytest.param({"regions": ["CN"]}, "regions", id="unknown-top-level"),
    pytest.param({"version": "one"}, "version", id="version-not-int"),
]


@pytest.mark.parametrize(("changes", "field"), BAD_PATCHES)
def test_bad_patch_is_400_naming_the_field_and_changes_nothing(session, changes, field):
    before = snapshot(session)
    # A valid tightening rides along in every request: it must not be applied either.
    body = {"version": before["version"], "channels": {"atm": False}, **changes}
    response = session.patch(body, otp=session.otp())
    assert response.status_code == 400, response.json()
    fields = [e["field"] for e in response.json()["errors"]]
    assert field in fields, response.json()
    assert snapshot(session) == before


def test_patch_without_version_is_400(session):
    response = session.patch({"freeze": {"all_outgoing": True}})
    assert response.status_code == 400
    assert [e["field"] for e in response.json()["errors"]] == ["version"]


def test_patch_body_must_be_an_object(session):
    response = session.client.patch(f"/api/v1/accounts/{session.account.pk}/locks", [1, 2], format="json")
    assert response.status_code == 400


def test_wrong_currency_on_a_usd_account(session):
    usd = BankAccountFactory(customer=session.customer, currency="USD")
    response = session.patch({"version": 1, "limits": {"currency": "CNY", "daily": 100}}, account=usd)
    assert response.status_code == 400
    assert [e["field"] for e in response.json()["errors"]] == ["limits.currency"]
    ok = session.patch({"version": 1, "limits": {"currency": "USD", "daily": 100}}, account=usd)
    assert ok.status_code == 200, ok.json()
    assert session.locks(usd)["limits"]["daily"] == 100
    # The USD bank maximum, not the CNY one, caps a USD account.
    over = session.patch({"version": 2, "limits": {"per_transaction": 15_000_001}}, account=usd)
    assert over.status_code == 400
    assert [e["field"] for e in over.json()["errors"]] == ["limits.per_transaction"]


BAD_CHECKS = [
    pytest.param({"country": "XX"}, "country", id="unknown-country"),
    pytest.param({"country": "CN-AH"}, "country", id="subdivision-as-country"),
    pytest.param({"subdivision": "CN-XX"}, "subdivision", id="unknown-subdivision"),
    pytest.param({"subdivision": "JP-13"}, "subdivision", id="subdivision-of-another-country"),
    pytest.param({"channel": "teleport"}, "channel", id="unknown-channel"),
    pytest.param({"amount": 0}, "amount", id="zero"),
    pytest.param({"amount": -100}, "amount", id="negative"),
    pytest.param({"amount": 10**16}, "amount", id="absurd"),
    pytest.param({"currency": "RMBX"}, "currency", id="currency-shape"),
    pytest.param({"at": "yesterday"}, "at", id="at"),
    pytest.param({"merchant": "x"}, "merchant", id="unknown-field"),
]


@pytest.mark.parametrize(("change", "field"), BAD_CHECKS)
def test_bad_would_pass_is_400_naming_the_field(would_pass, change, field):
    response = would_pass(**change)
    assert response.status_code == 400, response.json()
    assert field in [e["field"] for e in response.json()["errors"]]


BAD_APPLY = [
    pytest.param({"accounts": [], "changes": {"freeze": {"all_outgoing": True}}}, "accounts", id="no-accounts"),
    pytest.param({"accounts": "some", "changes": {"freeze": {"all_outgoing": True}}}, "accounts", id="not-all"),
    pytest.param({"accounts": ["1"], "changes": {"freeze": {"all_outgoing": True}}}, "accounts", id="string-ids"),
    pytest.param({"accounts": "all", "changes": {"channels": {"warp": False}}}, "changes.channels.warp", id="chan"),
    pytest.param({"accounts": "all", "changes": {"limits": {"daily": -1}}}, "changes.limits.daily", id="negative"),
    pytest.param({"accounts": "all"}, "changes", id="no-changes"),
    pytest.param({"accounts": "all", "changes": {}, "extra": 1}, "extra", id="unknown-field"),
]


@pytest.mark.parametrize(("body", "field"), BAD_APPLY)
def test_bad_apply_to_all_is_400(session, body, field):
    before = [snapshot(session, a) for a in session.accounts]
    response = session.client.post("/api/v1/locks/apply", body, format="json")
    assert response.status_code == 400, response.json()
    assert field in [e["field"] for e in response.json()["errors"]], response.json()
    assert [snapshot(session, a) for a in session.accounts] == before


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"scope": "everything", "accounts": "all"}, "scope"),
        ({"scope": "all_outgoing"}, "accounts"),
        ({"scope": "all_outgoing", "accounts": "all", "reason": "x"}, "reason"),
    ],
)
def test_bad_freeze_is_400(session, body, field):
    response = session.client.post("/api/v1/locks/freeze", body, format="json")
    assert response.status_code == 400
    assert field in [e["field"] for e in response.json()["errors"]]


# --- Version conflicts ---------------------------------------------------------------------------------------


def test_stale_version_is_409_with_the_current_state_and_writes_nothing(session):
    assert session.patch({"version": 1, "limits": {"daily": 500_000}}).status_code == 200
    before = snapshot(session)
    response = session.patch({"version": 1, "channels": {"atm": False}})
    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "version_conflict"
    assert body["account_id"] == session.account.pk
    current = body["current"]
    assert current["version"] == 2
    assert current["limits"]["daily"] == 500_000
    assert current["channels"]["atm"] is True
    assert snapshot(session) == before


def test_version_from_the_future_is_409_too(session):
    before = snapshot(session)
    response = session.patch({"version": 7, "channels": {"atm": False}})
    assert response.status_code == 409
    assert response.json()["current"]["version"] == 1
    assert snapshot(session) == before


def test_stale_loosening_is_409_and_nothing_is_written(session):
    session.patch({"version": 1, "channels": {"atm": False}})
    session.patch({"version": 2, "channels": {"pos": False}})
    before = snapshot(session)
    response = session.patch({"version": 2, "channels": {"atm": True}}, otp=session.otp())
    assert response.status_code == 409
    assert snapshot(session) == before


def test_each_write_moves_the_version_on_by_one(session):
    for version in range(1, 4):
        response = session.patch({"version": version, "limits": {"daily": 1_000_000 - version}})
        assert response.status_code == 200
        assert response.json()["accounts"][0]["version"] == version + 1
    assert session.locks()["version"] == 4


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_patches_with_one_version_one_wins_the_rest_conflict():
    session = CustomerSession()
    version = session.locks()["version"]
    credentials = session.client._credentials
    clients = []
    for _ in range(8):
        client = APIClient()
        client.credentials(**credentials)
        clients.append(client)

    def patch(i):
        response = clients[i].patch(
            f"/api/v1/accounts/{session.account.pk}/locks",
            {"version": version, "limits": {"daily": 100_000 + i}},
            format="json",
        )
        return response.status_code, response.json()

    results = run_at_once(8, patch)
    statuses = sorted(r[0] for r in results)
    assert statuses == [200] + [409] * 7, results
    winner = next(i for i, r in enumerate(results) if r[0] == 200)
    for status_code, body in results:
        if status_code == 409:
            assert body["code"] == "version_conflict"
    after = session.locks()
    assert after["version"] == version + 1
    assert after["limits"]["daily"] == 100_000 + winner
    assert SecurityEvent.objects.filter(customer=session.customer, event_type="lock.changed").count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_apply_to_all_and_patch_never_lose_a_write():
    """Writers that do not send a version still never overwrite each other silently."""
    session = CustomerSession()
    credentials = session.client._credentials
    clients = []
    for _ in range(6):
        client = APIClient()
        client.credentials(**credentials)
        clients.append(client)
    channels = ["atm", "pos", "contactless", "quick_pay", "online_transfer", "card_not_present"]

    def switch_off(i):
        response = clients[i].post(
            "/api/v1/locks/apply", {"accounts": "all", "changes": {"channels": {channels[i]: False}}}, format="json"
        )
        return response.status_code

    results = run_at_once(6, switch_off)
    assert set(results) <= {200, 409}, results
    won = [channels[i] for i, status_code in enumerate(results) if status_code == 200]
    for account in session.accounts:
        body = session.locks(account)
        assert body["version"] == 1 + len(won)
        assert sorted(name for name, on in body["channels"].items() if not on) == sorted(won)


# --- Apply to all: all or nothing ---------------------------------------------------------------------------


def test_apply_to_all_changes_every_account_and_keeps_their_own_settings(session):
    first, second = session.accounts
    session.patch({"version": 1, "limits": {"daily": 300_000}}, account=first)
    response = session.client.post(
        "/api/v1/locks/apply", {"accounts": "all", "changes": {"channels": {"atm": False}}}, format="json"
    )
    assert response.status_code == 200, response.json()
    assert sorted(a["account_id"] for a in response.json()["accounts"]) == [first.pk, second.pk]
    assert session.locks(first)["channels"]["atm"] is False
    assert session.locks(second)["channels"]["atm"] is False
    assert session.locks(first)["limits"]["daily"] == 300_000
    assert session.locks(second)["limits"]["daily"] is None


def test_apply_to_all_with_another_customers_account_is_404_and_changes_nothing(session, other_session):
    before = [snapshot(session, a) for a in session.accounts]
    theirs = snapshot(other_session)
    response = session.client.post(
        "/api/v1/locks/apply",
        {"accounts": [session.accounts[0].pk, other_session.account.pk], "changes": {"channels": {"atm": False}}},
        format="json",
    )
    assert response.status_code == 404
    assert [snapshot(session, a) for a in session.accounts] == before
    assert snapshot(other_session) == theirs


def test_apply_to_all_where_one_account_fails_validation_changes_none(session):
    usd = BankAccountFactory(customer=session.customer, currency="USD")
    accounts = [*session.accounts, usd]
    before = [snapshot(session, a) for a in accounts]
    # 20,000,000 fen is within the CNY maximum but above the USD one: the USD account refuses it.
    response = session.client.post(
        "/api/v1/locks/apply",
        {"accounts": "all", "changes": {"limits": {"per_transaction": 20_000_000}}},
        format="json",
    )
    assert response.status_code == 400
    assert [e["field"] for e in response.json()["errors"]] == ["limits.per_transaction"]
    assert [snapshot(session, a) for a in accounts] == before


def test_apply_to_all_loosening_needs_one_otp_for_all(session):
    session.client.post(
        "/api/v1/locks/apply", {"accounts": "all", "changes": {"channels": {"atm": False}}}, format="json"
    )
    before = [snapshot(session, a) for a in session.accounts]
    refused = session.client.post(
        "/api/v1/locks/apply", {"accounts": "all", "changes": {"channels": {"atm": True}}}, format="json"
    )
    assert refused.status_code == 403
    assert refused.json()["code"] == "otp_required"
    assert [snapshot(session, a) for a in session.accounts] == before
    response = session.client.post(
        "/api/v1/locks/apply",
        {"accounts": "all", "changes": {"channels": {"atm": True}}, "otp": session.otp()},
        format="json",
    )
    assert response.status_code == 200, response.json()
    assert all(a["loosened"] == ["channels_off"] for a in response.json()["accounts"])
    assert all(session.locks(a)["channels"]["atm"] for a in session.accounts)


# --- OTP handling -------------------------------------------------------------------------------------------


def test_loosening_with_a_wrong_or_malformed_otp_changes_nothing(session):
    session.patch({"version": 1, "channels": {"atm": False}})
    before = snapshot(session)
    wrong = session.patch({"version": 2, "channels": {"atm": True}}, otp="000000")
    assert wrong.status_code == 403
    assert wrong.json()["code"] == "otp_invalid"
    malformed = session.patch({"version": 2, "channels": {"atm": True}}, otp="12ab")
    assert malformed.status_code == 400
    assert malformed.json()["code"] == "otp_invalid"
    after = snapshot(session)
    # The failed attempt is logged (otp.failed) and nothing else moved.
    assert {k: v for k, v in after.items() if k != "log"} == {k: v for k, v in before.items() if k != "log"}
    assert SecurityEvent.objects.filter(customer=session.customer, event_type="otp.failed").count() == 1


def test_otp_in_the_body_works_and_cannot_be_replayed(session):
    session.patch({"version": 1, "channels": {"atm": False, "pos": False}})
    code = session.otp()
    first = session.patch({"version": 2, "channels": {"atm": True}, "otp": code})
    assert first.status_code == 200, first.json()
    replay = session.patch({"version": 3, "channels": {"pos": True}, "otp": code})
    assert replay.status_code == 403
    assert replay.json()["code"] == "otp_invalid"
    assert session.locks()["channels"]["pos"] is False


# --- Would this pass? -----------------------------------------------------------------------------------------


def test_would_pass_explains_every_reason_in_both_languages(session, would_pass):
    session.patch(
        {
            "version": 1,
            "region": {"mode": "block", "regions": ["US"]},
            "channels": {"pos": False, "cross_border": False},
            "limits": {"per_transaction": 100_000},
            "freeze": {"all_outgoing": True},
        }
    )
    response = would_pass(amount=200_000, channel="pos", country="US")
    assert response.status_code == 200
    body = response.json()
    assert body["decision"] == "decline"
    codes = [r["code"] for r in body["reasons"]]
    assert codes == [
        Reason.ACCOUNT_FROZEN,
        Reason.CHANNEL_OFF,
        Reason.CROSS_BORDER_OFF,
        Reason.REGION_NOT_ALLOWED,
        Reason.OVER_PER_TRANSACTION_LIMIT,
    ]
    for reason in body["reasons"]:
        assert set(reason["message"]) == {"zh-Hans", "en"}
        assert reason["message"]["zh-Hans"] and reason["message"]["en"]
    assert "冻结" in body["reasons"][0]["message"]["zh-Hans"]
    assert "frozen" in body["reasons"][0]["message"]["en"]


def test_would_pass_approves_with_no_reasons(would_pass):
    response = would_pass()
    assert response.json() == {"decision": "approve", "reasons": [], "lesson_id": None}


def test_would_pass_reports_holds_for_large_transfers(would_pass, settings):
    outcome, reasons = decision_of(would_pass(amount=settings.COOLING_OFF_DEFAULT_THRESHOLD, channel="online_transfer"))
    assert outcome == "hold"
    assert Reason.COOLING_OFF in reasons


def test_would_pass_accepts_lower_case_codes(would_pass, session):
    session.patch({"version": 1, "region": {"mode": "allow", "regions": ["cn-ah"]}})
    assert session.locks()["region"]["regions"] == ["CN-AH"]
    assert decision_of(would_pass(country="cn", subdivision="cn-ah", currency="cny")) == ("approve", [])


def test_schema_documents_every_locks_endpoint(session):
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    paths = schema["paths"]
    for method, url, _ in endpoints("{account_id}", "{window_id}", "{pending_id}"):
        assert url in paths, url
        operation = paths[url][method]
        assert operation.get("summary"), url
        assert "401" in operation["responses"], url


def test_absurd_amounts_are_refused_in_a_currency_without_bank_maximums(session, django_capture_on_commit_callbacks):
    eur = BankAccountFactory(customer=session.customer, currency="EUR")
    for changes, field in (
        ({"limits": {"daily": 10**30}}, "limits.daily"),
        ({"limits": {"channels": {"atm": {"monthly": 10**20}}}}, "limits.channels.atm.monthly"),
        ({"cooling_off": {"threshold": 10**25}}, "cooling_off.threshold"),
    ):
        response = session.patch({"version": 1, **changes}, account=eur)
        assert response.status_code == 400, response.json()
        assert [e["field"] for e in response.json()["errors"]] == [field]
    with django_capture_on_commit_callbacks(execute=True):
        ok = session.patch({"version": 1, "limits": {"daily": 10**15}}, account=eur)
    assert ok.status_code == 200
