import pytest
from rest_framework.test import APIClient

from locks.authorizations.declines import authorization_decline_log
from locks.decision.reasons import Reason
from locks.emergency.scenarios import SCENARIOS
from locks.holds.services import hold_place
from locks.lessons.catalogue import LESSONS, LESSONS_BY_ID
from locks.lessons.fit import LESSON_OF_REASON
from locks.securitylog.api import _LESSON_OF_KIND
from tests.factories import AuthorizationFactory
from tests.support.callers import wrong_callers

pytestmark = pytest.mark.django_db

SEED_TRICKS = {
    "fake_tax_refund",
    "fake_police_safe_account",
    "million_insurance_cancellation",
    "fake_customer_service_membership",
    "fake_school_fees_abroad",
    "screen_sharing",
    "remote_control_apps",
    "sms_code_requests",
}


def test_at_least_fifteen_lessons_covering_the_seed_tricks():
    assert len(LESSONS) >= 15
    assert len(LESSONS_BY_ID) == len(LESSONS)
    assert set(LESSONS_BY_ID) >= SEED_TRICKS


def test_every_lesson_id_that_is_handed_out_exists():
    handed_out = {*LESSON_OF_REASON.values(), *(s.lesson for s in SCENARIOS.values()), *_LESSON_OF_KIND.values()}
    assert handed_out <= set(LESSONS_BY_ID)


def test_list_and_one_lesson_in_both_languages(session):
    english = session.client.get("/api/v1/lessons", HTTP_ACCEPT_LANGUAGE="en").json()
    chinese = session.client.get("/api/v1/lessons", HTTP_ACCEPT_LANGUAGE="zh-Hans").json()
    assert [x["id"] for x in english] == [x["id"] for x in chinese] == [x.id for x in LESSONS]
    police_en = session.client.get("/api/v1/lessons/fake_police_safe_account", HTTP_ACCEPT_LANGUAGE="en").json()
    police_zh = session.client.get("/api/v1/lessons/fake_police_safe_account", HTTP_ACCEPT_LANGUAGE="zh-CN").json()
    assert "safe account" in police_en["title"]
    assert "安全账户" in police_zh["title"]
    assert len(police_zh["signs"]) == len(police_en["signs"]) >= 2 and police_zh["what_to_do"]
    # Every lesson has its Chinese text (none falls back to the English message id).
    for en, zh in zip(english, chinese, strict=True):
        assert en["title"] != zh["title"], en["id"]


def test_unknown_lesson_is_a_404_naming_it(session):
    response = session.client.get("/api/v1/lessons/no-such-lesson")
    assert response.status_code == 404
    assert response.json()["errors"][0]["field"] == "lesson_id"


def test_declines_holds_and_checks_carry_the_fitting_lesson(session, would_pass):
    session.patch({"version": 1, "channels": {"cross_border": False}})
    response = would_pass(country="JP")
    assert response.json()["lesson_id"] == "cross_border_card_fraud"
    assert would_pass().json()["lesson_id"] is None

    auth = AuthorizationFactory(account=session.account, outcome="decline", reasons=[Reason.CHANNEL_OFF])
    authorization_decline_log(authorization_id=auth.pk)
    held = AuthorizationFactory(account=session.account, outcome="hold", reasons=[Reason.COOLING_OFF])
    hold_place(authorization_id=held.pk)
    log = session.client.get("/api/v1/security-log?category=payment").json()["results"]
    assert log[0]["lesson_id"] == "card_details_phishing"
    holds_log = session.client.get("/api/v1/security-log?category=hold").json()["results"]
    assert holds_log[0]["lesson_id"] == "fake_police_safe_account"
    holds = session.client.get("/api/v1/holds").json()["results"]
    assert holds[0]["lesson_id"] == "fake_police_safe_account"


def test_lessons_refuse_everybody_but_customers(db):
    for name, headers in wrong_callers().items():
        for path in ("/api/v1/lessons", "/api/v1/lessons/fake_tax_refund"):
            status = APIClient().get(path, **headers).status_code
            assert status == (401 if name == "anonymous" else 403), (name, path)


def test_error_details_follow_the_language_too(session):
    zh = session.client.post("/api/v1/emergency", {}, format="json", HTTP_ACCEPT_LANGUAGE="zh-Hans").json()
    en = session.client.post("/api/v1/emergency", {}, format="json", HTTP_ACCEPT_LANGUAGE="en").json()
    assert zh["errors"][0]["message"] == "该字段是必填项。"  # DRF's own zh-Hans catalogue
    assert en["errors"][0]["message"] == "This field is required."
    missing = session.client.get("/api/v1/lessons/nope", HTTP_ACCEPT_LANGUAGE="zh-Hans").json()
    assert missing["detail"] == "没有这节课程。"
    # No header: the customer's profile language (zh-Hans by default).
    assert session.client.get("/api/v1/lessons/nope").json()["detail"] == "没有这节课程。"
