"""Elderly protection as a lock: the preset switches it on (a tightening), switching it off is a loosening."""

import pytest

pytestmark = pytest.mark.django_db


def test_the_preset_switches_protection_on_without_an_otp(session, settings):
    response = session.client.post(
        "/api/v1/locks/presets", {"preset": "elderly_protection", "accounts": [session.account.pk]}, format="json"
    )

    assert response.status_code == 200, response.json()
    body = session.locks()
    assert body["protection"] == {"elderly": True}
    assert body["call_back_threshold"] == settings.ELDERLY_CALL_BACK_THRESHOLD


def test_switching_it_off_needs_a_one_time_password(session):
    assert session.patch({"version": session.locks()["version"], "protection": {"elderly": True}}).status_code == 200

    refused = session.patch({"version": session.locks()["version"], "protection": {"elderly": False}})

    assert refused.status_code == 403
    assert refused.json()["code"] == "otp_required"
    assert session.locks()["protection"] == {"elderly": True}
    allowed = session.patch(
        {"version": session.locks()["version"], "protection": {"elderly": False}}, otp=session.otp()
    )
    assert allowed.status_code in (200, 202)


def test_a_fresh_account_is_unprotected(session):
    body = session.locks()

    assert body["protection"] == {"elderly": False}
    assert body["call_back_threshold"] is None
