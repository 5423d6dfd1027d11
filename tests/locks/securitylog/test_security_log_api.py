from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from locks.authorizations.declines import authorization_decline_log
from securitycenter.securitylog.models import EventType, SecurityEvent
from securitycenter.securitylog.record import Actor, Origin, security_log_record
from tests.factories import DEFAULT_PASSWORD, AuthorizationFactory, StaffUserFactory
from tests.support.callers import wrong_callers

pytestmark = pytest.mark.django_db


def entries(session, query=""):
    response = session.client.get(f"/api/v1/security-log{query}")
    assert response.status_code == 200, response.json()
    return response.json()


def sign_in(session, device_id="thief-phone", name="Unknown Android"):
    response = APIClient().post(
        "/api/v1/auth/login",
        {
            "login": session.customer.phone,
            "password": DEFAULT_PASSWORD,
            "device": {"id": device_id, "name": name, "platform": "android"},
        },
        format="json",
        REMOTE_ADDR="198.51.100.23",
    )
    assert response.status_code == 200, response.json()
    return SecurityEvent.objects.filter(event_type=EventType.LOGIN_SUCCEEDED).latest("id")


def test_newest_first_with_sentence_actor_device_and_masked_ip(session):
    sign_in(session)
    session.patch({"version": 1, "channels": {"atm": False}})
    body = entries(session)
    first, second = body["results"][0], body["results"][1]
    assert first["event_type"] == "lock.changed" and first["category"] == "locks"
    assert first["actor"] == {"type": "you", "name": "您本人"}
    assert second["event_type"] == "login.succeeded" and second["category"] == "sign_in"
    assert second["ip"] == "198.51.100.*"
    assert "Unknown Android" in second["message"]
    assert second["reportable"] is True and second["reported"] is False


def test_lock_change_old_and_new_values_for_people(session):
    session.patch({"version": 1, "limits": {"daily": 500_000}, "channels": {"atm": False}}, otp=None)
    change = entries(session, "?category=locks")["results"][0]
    rows = {c["field"]: c for c in change["changes"]}
    assert rows["limits.daily"]["old"] in ("no limit", "不限")
    assert "5,000.00" in rows["limits.daily"]["new"]
    assert rows["channels.atm"]["old"] != rows["channels.atm"]["new"]
    assert change["account"] == session.account.masked_number


def test_the_customers_language_by_accept_language_then_profile(session):
    session.patch({"version": 1, "limits": {"daily": 500_000}})
    english = entries_in(session, "en")
    chinese = entries_in(session, "zh-Hans")
    assert english["message"].startswith("The locks of")
    assert "yuan" in {c["field"]: c for c in english["changes"]}["limits.daily"]["new"]
    assert "元" in {c["field"]: c for c in chinese["changes"]}["limits.daily"]["new"]
    assert chinese["message"] != english["message"]
    session.customer.language = "en"
    session.customer.save()
    assert entries(session)["results"][0]["message"] == english["message"]


def entries_in(session, language):
    response = session.client.get("/api/v1/security-log", HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 200
    return response.json()["results"][0]


def test_agent_acts_name_the_staff_number_and_declines_the_payment(session):
    agent = StaffUserFactory(username="A10086", groups=["agent"])
    security_log_record(
        event_type=EventType.AGENT_LOOKUP,
        actor=Actor.agent(agent),
        customer=session.customer,
        origin=Origin(ip_address="10.1.2.3"),
        details={"viewed": "holds"},
    )
    auth = AuthorizationFactory(
        account=session.account, outcome="decline", reasons=["channel_off"], channel="atm", country="JP"
    )
    authorization_decline_log(authorization_id=auth.pk)
    body = entries(session)["results"]
    decline, lookup = body[0], body[1]
    assert lookup["actor"]["type"] == "agent" and "A10086" in lookup["actor"]["name"]
    assert decline["actor"]["type"] == "system" and decline["category"] == "payment"
    assert decline["country"] in ("Japan", "日本")
    assert "100.00" in decline["message"]


def test_filters_by_category_account_and_time(session):
    session.patch({"version": 1, "channels": {"atm": False}})
    session.patch({"version": 1, "channels": {"atm": False}}, account=session.accounts[1])
    sign_in(session)
    assert {e["category"] for e in entries(session, "?category=sign_in")["results"]} == {"sign_in"}
    mine = entries(session, f"?account={session.account.pk}")["results"]
    assert [e["account"] for e in mine] == [session.account.masked_number]
    later = (timezone.now() + timedelta(minutes=1)).isoformat().replace("+00:00", "Z")
    assert entries(session, f"?since={later}")["results"] == []
    assert len(entries(session, f"?until={later}")["results"]) == 3


def test_cursor_pagination_walks_every_entry_once(session):
    for _ in range(5):
        security_log_record(
            event_type=EventType.LOGOUT, actor=Actor.customer(session.customer), customer=session.customer
        )
    seen = []
    page = entries(session, "?page_size=2")
    while True:
        seen += [e["id"] for e in page["results"]]
        if not page["next"]:
            break
        page = session.client.get(page["next"]).json()
    assert len(seen) == 5 and len(set(seen)) == 5
    assert seen == sorted(seen, reverse=True)


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("?cursor=garbage", "cursor"),
        ("?category=nope", "category"),
        ("?account=abc", "account"),
        ("?since=yesterday", "since"),
        ("?page_size=0", "page_size"),
        ("?page_size=x", "page_size"),
        ("?sort=asc", "sort"),
    ],
)
def test_bad_filters_are_400s_naming_the_field(session, query, field):
    response = session.client.get(f"/api/v1/security-log{query}")
    assert response.status_code == 400, response.json()
    assert field in [e["field"] for e in response.json()["errors"]]


def test_another_customers_entries_never_show(session, other_session):
    other_session.patch({"version": 1, "channels": {"atm": False}})
    theirs = SecurityEvent.objects.get(customer=other_session.customer, event_type=EventType.LOCK_CHANGED)
    security_log_record(event_type=EventType.API_KEY_CREATED, actor=Actor.system("t"))  # the bank's chain
    assert entries(session)["results"] == []
    assert session.client.get(f"/api/v1/security-log/{theirs.pk}").status_code == 404
    assert session.client.post(f"/api/v1/security-log/{theirs.pk}/not-me").status_code == 404
    response = session.client.get(f"/api/v1/security-log?account={other_session.account.pk}")
    assert response.status_code == 404
    assert response.json()["errors"][0]["field"] == "account"


def test_no_secret_or_full_number_reaches_the_customer(session):
    security_log_record(
        event_type=EventType.LOCK_CHANGED,
        actor=Actor.customer(session.customer),
        customer=session.customer,
        details={"account_id": session.account.pk, "otp": "123456", "note": session.account.number},
    )
    text = session.client.get("/api/v1/security-log").content.decode()
    assert "123456" not in text
    assert session.account.number not in text


def test_security_log_refuses_everybody_but_customers(db):
    for name, headers in wrong_callers().items():
        for method, path in (
            ("get", "/api/v1/security-log"),
            ("get", "/api/v1/security-log/1"),
            ("post", "/api/v1/security-log/1/not-me"),
            ("post", "/api/v1/payments/txn-1/not-me"),
        ):
            status = getattr(APIClient(), method)(path, **headers).status_code
            assert status == (401 if name == "anonymous" else 403), (name, path, status)
